"""Errors a user can act on, as opposed to bugs."""

import errno


class PhotosorterError(Exception):
    """An expected failure with a message meant for the user (no traceback)."""


class PhotosorterWarning(UserWarning):
    """Our own warnings; the test run turns them into errors."""


class CatalogError(PhotosorterError):
    """A catalog problem the user can act on (disk full, locked, corrupt, too new, not ours)."""


class EnvironmentFault(PhotosorterError):
    """The machine failed, not the photo: disk full, I/O error, read-only or unwritable storage, no memory.

    Work stops (the CLI) or waits and retries (the live library) with this message; it is never
    recorded as a property of a photo, so the next run reads that photo again.
    """

    retry_seconds = 60.0  # how long background work waits before trying again (space may be freed)


# errno values that describe the storage or the machine, whatever file they happened on
_ENVIRONMENT_ERRNOS: dict[int, str] = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "disk quota exceeded",
    errno.EIO: "input/output error (the disk may be failing or was disconnected)",
    errno.EROFS: "the file system is read-only",
    errno.ENOMEM: "out of memory",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
}


def environment_fault(error: BaseException, where: str) -> EnvironmentFault | None:
    """The fault ``error`` means for the machine (``where``: the file or folder involved), or None when
    it says something about the file itself."""
    if isinstance(error, EnvironmentFault):
        return error
    if isinstance(error, MemoryError):
        return EnvironmentFault(f"out of memory while reading {where}")
    if isinstance(error, OSError) and error.errno in _ENVIRONMENT_ERRNOS:
        return EnvironmentFault(f"{_ENVIRONMENT_ERRNOS[error.errno]}: {where}")
    return None


def storage_fault(error: OSError, where: str) -> EnvironmentFault:
    """Any failure to write our own files (thumbnails, caches) is the storage's, never the photo's."""
    if fault := environment_fault(error, where):
        return fault
    return EnvironmentFault(f"cannot write to {where}: {error.strerror or error}")
