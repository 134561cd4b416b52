"""Errors raised at the storage boundary.

Callers catch `StorageError`; the subclasses say what went wrong so the
controller can answer differently (retry later, 404, 409) without parsing
driver messages.
"""


class StorageError(Exception):
    """Anything the store could not do."""


# The name is part of the storage contract the rest of hotline was written against.
class StorageUnavailable(StorageError):
    """The database cannot be reached or opened; the message says what to do."""


class NotFoundError(StorageError):
    """A referenced agent, seat or skill does not exist."""


class ConflictError(StorageError):
    """The write collides with existing data (e.g. a token name already used)."""
