"""Who a run is, for the claims it takes in the catalog, and whether the holder of a claim is gone.

An owner is ``host:pid:run``. A claim of a process of this machine that no longer exists is free at
once; a claim of another machine (a catalog on a shared disk) is free once its lease expires.
"""

from __future__ import annotations

import os
import socket
import uuid

LEASE_SECONDS = 60.0  # a claim nobody renews is free after this long
RENEW_SECONDS = 10.0  # a working run renews its claims this often


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that id: assume it is the owner
    return True


def local_pid(owner: str) -> int | None:
    """The process id in ``owner`` when it names a process of this machine; None for another machine's."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    return int(pid_text)


def owner_gone(owner: str) -> bool:
    """True when ``owner`` names a process of this machine that has ended (killed, crashed, exited)."""
    pid = local_pid(owner)
    return pid is not None and not _pid_alive(pid)  # another machine's: only its lease tells
