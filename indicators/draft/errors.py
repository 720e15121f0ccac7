"""The one error the drafting package raises for bad input: its message is Chinese and shown as is."""


class DraftInputError(ValueError):
    """A document that cannot be drafted from; ``str(exc)`` is the message for the user."""
