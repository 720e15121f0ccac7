"""Draft a scheme's targets from its document (issue #17): pure Python, no Dash, no SQL.

``draft_file(path)`` → :class:`Draft` with :class:`Candidate` items; bad input raises
:class:`DraftInputError` whose message is Chinese. See docs/workbench.md.
"""
from .draft import Candidate, Draft, draft_file, draft_text
from .errors import DraftInputError
from .read import read_bytes, read_document

__all__ = ["Candidate", "Draft", "DraftInputError", "draft_file", "draft_text", "read_bytes", "read_document"]
