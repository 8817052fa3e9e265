"""Errors a user can act on, as opposed to bugs."""


class PhotosorterError(Exception):
    """An expected failure with a message meant for the user (no traceback)."""


class PhotosorterWarning(UserWarning):
    """Our own warnings; the test run turns them into errors."""


class CatalogError(PhotosorterError):
    """A catalog problem the user can act on (disk full, locked, corrupt, too new, not ours)."""
