"""The SQLite connection: one per thread, one writer at a time, WAL, versioned schema.

WAL lets the GUI read while a scan writes, and makes a kill -9 at any moment
lose at most the transaction in flight (https://sqlite.org/wal.html).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from photosorter.core.catalog.schema import SCHEMA_VERSION, check_identity, migrate
from photosorter.core.errors import CatalogError

BUSY_TIMEOUT_MS = 10_000

# SQLite error codes that mean "the environment", not "a bug in our SQL".
_KNOWN_ERRORS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the catalog is read-only",
    sqlite3.SQLITE_BUSY: "the catalog is locked by another photosorter process",
    sqlite3.SQLITE_LOCKED: "the catalog is locked",
    sqlite3.SQLITE_CANTOPEN: "the catalog file cannot be opened",
    sqlite3.SQLITE_IOERR: "a disk read or write failed",
    sqlite3.SQLITE_CORRUPT: "the catalog is corrupt",
    sqlite3.SQLITE_NOTADB: "the file is not a photosorter catalog (not SQLite, or corrupt)",
}


def explain(error: sqlite3.Error, path: Path) -> CatalogError | None:
    """A CatalogError for known environmental failures; None means it is a bug and should propagate."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) and not _writable(path):
        return CatalogError(
            f"{path}: the catalog is read-only: photosorter cannot write {_unwritable_part(path)}; "
            f"make it writable or choose another --home ({error})"
        )
    reason = _KNOWN_ERRORS.get(primary) if primary is not None else None
    if reason is None:
        return None
    return CatalogError(f"{path}: {reason} ({error})")


def _writable(path: Path) -> bool:
    """Whether SQLite can write the catalog: the file, and its folder for the -wal and -shm files."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _unwritable_part(path: Path) -> str:
    return f"the file {path.name}" if path.exists() and not os.access(path, os.W_OK) else f"in {path.parent}"


class Catalog:
    """The catalog file. Reads use a connection per thread; writes go through ``transaction()``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._all_connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CatalogError(
                f"{self.path.parent}: cannot create the catalog's folder ({error.strerror})"
            ) from error
        try:
            with self._known_errors():
                conn = self._connect()
                self._adopt(conn)
                # read-only checks first: a file that is not ours is not even switched to WAL
                check_identity(conn, self.path)
                self._use_wal(conn)
                migrate(conn, self.path)
        except BaseException:
            self.close()
            raise

    # -- connections -------------------------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._adopt(conn)
            self._use_wal(conn)
        return conn

    def _adopt(self, conn: sqlite3.Connection) -> None:
        """Makes ``conn`` this thread's connection, closed by close()."""
        self._local.conn = conn
        with self._connections_lock:
            self._all_connections.append(conn)

    def _connect(self) -> sqlite3.Connection:
        """A connection that has written nothing to the file yet."""
        try:
            # autocommit mode: we issue BEGIN ourselves so a transaction's extent is explicit
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            # another process may be creating or migrating the catalog: wait for it rather than fail
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as error:
            raise self._cannot_open(error) from error
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        # Switching a new file to WAL needs an exclusive lock, and SQLite may answer SQLITE_BUSY at once
        # without calling the busy handler (another process holds a read lock while it opens the same new
        # file): wait for it here as busy_timeout would, with a short sleep between tries.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise self._cannot_open(error) from error
                time.sleep(0.01)
            except sqlite3.Error as error:
                raise self._cannot_open(error) from error
        if mode.lower() != "wal":
            raise CatalogError(f"{self.path}: could not switch the catalog to WAL mode (got {mode})")
        # NORMAL is durable against process crashes in WAL mode; only an OS crash may lose the last commit.
        conn.execute("PRAGMA synchronous = NORMAL")

    def _cannot_open(self, error: sqlite3.Error) -> CatalogError:
        return explain(error, self.path) or CatalogError(f"{self.path}: cannot open catalog ({error})")

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._all_connections:
                with contextlib.suppress(sqlite3.ProgrammingError):  # closed from its own thread already
                    conn.close()
            self._all_connections.clear()
        self._local = threading.local()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction. Nested use joins the outer transaction."""
        conn = self.connection()
        with self._write_lock:
            if conn.in_transaction:
                yield conn
                return
            with self._known_errors():
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    # inside the try: a Ctrl-C between the body and COMMIT once left the transaction
                    # open, and the next transaction() joined it and never committed (the scan's
                    # rows written on the way out of an interrupt were lost)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        conn = self.connection()
        with self._known_errors():
            cursor = conn.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    def query_one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: tuple | dict = ()) -> object:
        row = self.connection().execute(sql, params).fetchone()
        return row[0] if row else None

    @contextmanager
    def _known_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            known = explain(error, self.path)
            if known is None:
                raise
            raise known from error

    def integrity_check(self) -> str:
        return str(self.scalar("PRAGMA integrity_check"))


__all__ = ["SCHEMA_VERSION", "Catalog", "CatalogError"]
