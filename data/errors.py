"""Errors raised by the store; messages are shown to users as they are (Chinese)."""
from __future__ import annotations

from typing import Any, Optional


class StoreError(Exception):
    """Base of every refusal by the store; ``str(exc)`` is the user-facing message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConflictError(StoreError):
    """Someone else saved in between. ``current`` is the stored row now (or None)."""

    def __init__(self, message: str, current: Optional[Any] = None):
        super().__init__(message)
        self.current = current


class LockedError(StoreError):
    """The quarter is approved (locked) for the reporting unit."""


class TransitionError(StoreError):
    """Illegal submission state change (e.g. approving a draft)."""


class InvalidValueError(StoreError):
    def __init__(self, message: str, errors: Optional[list[str]] = None):
        super().__init__(message)
        self.errors = errors or [message]


class NotFoundError(StoreError):
    pass


class DuplicateError(StoreError):
    pass


class ImportRejected(StoreError):
    """An import refused as a whole; ``errors`` lists every problem, row-numbered."""

    def __init__(self, errors: list[str]):
        super().__init__("导入失败,未写入任何数据:\n" + "\n".join(errors))
        self.errors = errors
