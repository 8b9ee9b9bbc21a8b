"""``EmbeddingCache``: an on-disk, content-addressed store of embeddings (``VectorCache``).

Entries are addressed by ``(namespace, key)``: the namespace is a digest of every setting that
changes a vector (``EncodingSettings.namespace()``), the key the sha256 of the exact text
encoded. A re-run, a second task sharing texts, or a second benchmark over the same corpus
therefore encodes nothing twice.

Layout under ``root``::

    index.sqlite3          which (namespace, key) lives in which shard, at which row, with its CRC-32
    shards/<uuid>.vec      one immutable file per ``put_many`` call (and dtype/dim): a 32-byte
                           header (magic, dtype, dim, rows) followed by the raw row-major vectors

* **fast**: a ``put_many`` writes one file with one ``fsync`` and one index transaction; a
  ``get_many`` is one index query plus a memory-mapped gather per shard (never one file per vector);
* **safe with concurrent writers**: the index is SQLite in WAL mode; writers take its write lock
  (``BEGIN IMMEDIATE``) before deciding which keys are new, so two processes storing the same
  keys store them once; readers never block and never see a half-written transaction;
* **crash safe**: a shard file is written to a temporary name, fsynced and ``os.replace``-d into
  place *before* the index transaction that refers to it commits. A killed writer leaves at worst
  an unreferenced file (swept later), never an index entry pointing at missing data. Every read
  checks the shard header and file size and each row's CRC-32: a bad entry is a miss and is deleted;
* **bounded**: with ``max_bytes``, whole shards are evicted least-recently-used first (reads
  refresh a shard's time) until the shard files fit;
* **never fatal to an evaluation**: ``get_many`` / ``put_many`` (what the encoding engine calls)
  never fail a run over the cache. A lock held by another process past ``timeout``, a read-only
  folder or a full disk is said once (a warning naming the cache and the cause) and the run goes
  on without that part of the cache; only real damage to the index (not a database, ``database
  disk image is malformed``, an index contradicting itself) sets the index aside, once, and
  starts a fresh one. A busy or read-only index is never moved. ``strict=True`` raises
  :class:`~mtebkit.errors.CacheError` instead; the maintenance methods (``info``, ``clear``,
  ``evict``, ``sweep``) always do.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import struct
import threading
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mtebkit._util.paths import embeddings_cache_dir
from mtebkit.errors import CacheError, MtebkitError, ResultsError

__all__ = ["EmbeddingCache", "VectorCache"]

logger = logging.getLogger(__name__)

INDEX_NAME = "index.sqlite3"
SHARD_DIR = "shards"
DESCRIPTION_DIR = "namespaces"  # <namespace>.json: which model and settings it belongs to
_SCHEMA_VERSION = "1"
_MAGIC = b"MTKVEC01"
_HEADER = struct.Struct("<8s8sQQ")  # magic, dtype (e.g. b"<f4"), dim, rows
# keys per index query (passed as one JSON array, so no bound-parameter limit applies)
_CHUNK = 50_000
# an unreferenced shard file older than this is a leftover of a killed writer
_ORPHAN_AGE_S = 3600.0
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    # AUTOINCREMENT: a namespace id is never reused, so an id cached by another process can
    # never come to mean a different namespace
    "CREATE TABLE IF NOT EXISTS namespaces (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE NOT NULL)",
    "CREATE TABLE IF NOT EXISTS shards (id INTEGER PRIMARY KEY, ns INTEGER NOT NULL, "
    "file TEXT UNIQUE NOT NULL, dtype TEXT NOT NULL, dim INTEGER NOT NULL, n INTEGER NOT NULL, "
    "nbytes INTEGER NOT NULL, atime REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (ns INTEGER NOT NULL, key TEXT NOT NULL, "
    "shard INTEGER NOT NULL, row INTEGER NOT NULL, crc INTEGER NOT NULL, "
    "PRIMARY KEY (ns, key)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS entries_shard ON entries (shard)",
    "CREATE INDEX IF NOT EXISTS shards_atime ON shards (atime)",
)


def _kind(exc: BaseException) -> str:
    """What went wrong: busy / readonly / full / corrupt / error (see :class:`CacheError`)."""
    if isinstance(exc, CacheError):
        return exc.kind
    msg = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError):
        if "locked" in msg or "busy" in msg:
            return "busy"
        if "readonly" in msg or "read-only" in msg:
            return "readonly"
        if "full" in msg:
            return "full"
        return "error"
    if isinstance(exc, sqlite3.IntegrityError):
        # keys are checked for presence inside the write transaction before they are inserted:
        # a UNIQUE failure means the index contradicts itself (a damaged b-tree)
        return "corrupt"
    if isinstance(exc, sqlite3.DatabaseError):  # "not a database", "disk image is malformed"
        return "corrupt"
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "full"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "readonly"
    return "error"


_WHAT = {
    "busy": "is busy: another process has held its write lock for more than {timeout:g}s",
    "readonly": "is read-only",
    "full": "is on a full disk",
    "corrupt": "has a damaged index",
    "error": "cannot be used",
}


class VectorCache(Protocol):
    """Storage for embeddings, addressed by (namespace, key): what the encoding engine needs."""

    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors among ``keys`` (missing ones are absent from the result)."""
        ...

    def put_many(self, namespace: str, items: Mapping[str, np.ndarray]) -> None:
        """Store vectors under their keys."""
        ...


class EmbeddingCache:
    """On-disk embedding cache; implements :class:`VectorCache`.

    Args:
        root: folder holding the cache (created if missing). Default
            ``<cache root>/embeddings`` (``$MTEBKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtebkit``,
            else ``~/.cache/mtebkit``).
        max_bytes: bound on the total size of the shard files; least-recently-used shards are
            evicted after each write until it fits. ``None``: unbounded.
        timeout: seconds a writer waits for another process's write lock before giving up.
        strict: ``get_many`` / ``put_many`` raise :class:`~mtebkit.errors.CacheError` rather
            than warn and go on without the cache (see the module docstring).
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        max_bytes: int | None = None,
        timeout: float = 120.0,
        strict: bool = False,
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else embeddings_cache_dir()
        if max_bytes is not None and max_bytes < 0:
            raise MtebkitError(f"EmbeddingCache: max_bytes must be >= 0, not {max_bytes}")
        self.max_bytes = max_bytes
        self.timeout = float(timeout)
        self.index_path = self.root / INDEX_NAME
        self.shard_dir = self.root / SHARD_DIR
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.RLock()
        self._ns_ids: dict[str, int] = {}
        self.strict = strict
        self.readonly = False
        self._set_aside = False  # the index was set aside once already in this process
        self._no_reads: str | None = None  # why reads / writes are off for the rest of the run
        self._no_writes: str | None = None

    # ------------------------------------------------------------------ connection
    def _connect(self) -> sqlite3.Connection:
        # a connection must not cross fork(): reopen in a child process
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        # a read-only folder (or file system) is used read-only: never written, never moved
        self.readonly = self.root.is_dir() and not os.access(self.root, os.W_OK)
        if not self.readonly:
            try:
                self.shard_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CacheError(
                    f"embedding cache folder {self.root} cannot be created: {exc}", _kind(exc)
                ) from None
        try:
            conn = self._open()
        except (sqlite3.Error, OSError) as exc:
            kind = _kind(exc)
            if kind != "corrupt":
                raise self._error(kind, exc) from None
            self._move_index_aside(exc)
            try:
                conn = self._open()
            except (sqlite3.Error, OSError) as again:
                raise self._error(_kind(again), again) from None
        self._conn, self._pid, self._ns_ids = conn, os.getpid(), {}
        return conn

    @contextmanager
    def _raising(self) -> Iterator[None]:
        """Maintenance: a cache failure is a :class:`CacheError` naming the cache and the cause."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise self._error(_kind(exc), exc) from None

    def _error(self, kind: str, exc: BaseException) -> CacheError:
        what = _WHAT.get(kind, _WHAT["error"]).format(timeout=self.timeout)
        hint = {
            "busy": "; wait for the other run, or use another --cache-dir",
            "readonly": "; give write access, or use another --cache-dir",
            "full": "; free space, or use another --cache-dir or --no-cache",
        }.get(kind, "")
        return CacheError(f"embedding cache {self.root} {what} ({exc}){hint}", kind)

    def _move_index_aside(self, exc: BaseException) -> None:
        """Real damage (never a busy or read-only index): set the index aside, once per process.

        Its shards become orphans, swept later; the next open starts a fresh index.
        """
        if self._set_aside or self.readonly:
            raise self._error("corrupt", exc)
        self._set_aside = True
        if self._conn is not None and self._pid == os.getpid():
            with suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None
        aside = f"{self.index_path}.corrupt-{int(time.time())}-{os.getpid()}"
        logger.warning(
            "embedding cache index %s is damaged (%s); moved to %s and starting a fresh index",
            self.index_path,
            exc,
            aside,
        )
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{self.index_path}{suffix}")
            if src.exists():
                os.replace(src, f"{aside}{suffix}")

    def _open(self) -> sqlite3.Connection:
        if self.readonly:
            if not self.index_path.is_file():
                raise CacheError(f"embedding cache {self.root} is read-only and empty", "readonly")
            conn = self._open_readonly()
        else:
            conn = sqlite3.connect(
                self.index_path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            row = self._schema_row(conn)
            if not self.readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                # WAL + NORMAL: a killed process loses nothing committed; a power cut may lose
                # the last transactions but never corrupts the index
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA journal_size_limit = 67108864")
            if row is None and not self.readonly:
                # the write lock only to create the schema: opening a cache that another
                # process is writing to must not wait for its lock
                with _transaction(conn):
                    for stmt in _SCHEMA:
                        conn.execute(stmt)
                    row = conn.execute("SELECT v FROM meta WHERE k = 'schema'").fetchone()
                    if row is None:
                        conn.execute(
                            "INSERT INTO meta (k, v) VALUES ('schema', ?)", (_SCHEMA_VERSION,)
                        )
                        row = (_SCHEMA_VERSION,)
            if row is None:
                raise CacheError(f"embedding cache {self.root} has no index tables", "corrupt")
            if row[0] != _SCHEMA_VERSION:
                raise MtebkitError(
                    f"embedding cache {self.root} has schema {row[0]}, this mtebkit uses "
                    f"{_SCHEMA_VERSION}; delete the folder or use another --cache-dir"
                )
            conn.execute("SELECT count(*) FROM entries WHERE 0").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_readonly(self) -> sqlite3.Connection:
        """A read-only index: through its WAL when a -wal/-shm pair is there (a writer elsewhere
        may be live), else immutable (SQLite cannot create -shm in a read-only folder)."""
        uri = self.index_path.resolve().as_uri()
        conn = sqlite3.connect(
            f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("SELECT 1 FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            conn.close()
        return sqlite3.connect(
            f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False
        )

    @staticmethod
    def _schema_row(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
        """The stored schema version; None for a new (empty) index."""
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if has_meta is None:
            return None
        row = conn.execute("SELECT v FROM meta WHERE k = 'schema'").fetchone()
        return tuple(row) if row is not None else None

    def close(self) -> None:
        """Close the index connection (reopened on the next use)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.root)!r}, max_bytes={self.max_bytes})"

    def _ns_id(self, conn: sqlite3.Connection, namespace: str, *, create: bool) -> int | None:
        """The namespace's id. Only committed ids are remembered (writers look up afresh)."""
        if not create and namespace in self._ns_ids:
            return self._ns_ids[namespace]
        row = conn.execute("SELECT id FROM namespaces WHERE name = ?", (namespace,)).fetchone()
        if row is None:
            if not create:
                return None
            conn.execute("INSERT INTO namespaces (name) VALUES (?)", (namespace,))
            row = conn.execute("SELECT id FROM namespaces WHERE name = ?", (namespace,)).fetchone()
        elif not create:
            self._ns_ids[namespace] = int(row[0])
        return int(row[0])

    # ------------------------------------------------------------------ protocol
    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors among ``keys``; missing and damaged entries are simply absent."""
        if not keys or self._no_reads:
            return {}
        found: dict[str, np.ndarray] | None = self._guarded(
            "reads", lambda: self._get_many(namespace, keys)
        )
        return found or {}

    def stored_keys(self, namespace: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` the index holds (no vector is read: a dry run's cache count).

        An entry whose shard turns out damaged still counts here; it is a miss when read."""
        if not keys or self._no_reads:
            return set()
        found: set[str] | None = self._guarded("reads", lambda: self._stored_keys(namespace, keys))
        return found or set()

    def _stored_keys(self, namespace: str, keys: Sequence[str]) -> set[str]:
        with self._lock:
            conn = self._connect()
            ns = self._ns_id(conn, namespace, create=False)
            if ns is None:
                return set()
            wanted = list(dict.fromkeys(keys))
            out: set[str] = set()
            with _transaction(conn, "DEFERRED"):
                for start in range(0, len(wanted), _CHUNK):
                    rows = conn.execute(
                        "SELECT key FROM entries WHERE ns = ? "
                        "AND key IN (SELECT value FROM json_each(?))",
                        (ns, json.dumps(wanted[start : start + _CHUNK])),
                    ).fetchall()
                    out.update(str(r[0]) for r in rows)
            return out

    def _guarded(self, what: str, op: Any) -> Any:
        """Run ``op``; on a cache failure set a damaged index aside (once) and retry, else warn
        and turn ``what`` ("reads" / "writes") off for the rest of the run (see module doc)."""
        for attempt in (1, 2):
            try:
                return op()
            except (sqlite3.Error, OSError, MtebkitError) as exc:
                kind = _kind(exc)
                if kind == "corrupt" and attempt == 1 and not self._set_aside and not self.readonly:
                    with self._lock:
                        self._move_index_aside(exc)
                    continue  # a fresh index: reads find nothing, writes go there
                err = exc if isinstance(exc, MtebkitError) else self._error(kind, exc)
                if self.strict:
                    raise err from None
                self._turn_off(what, kind, err)
                return None
        return None

    def _turn_off(self, what: str, kind: str, err: BaseException) -> None:
        # a read-only or full cache can still be read; anything else is left alone entirely
        off = (
            ("writes",)
            if kind in ("readonly", "full") and what == "writes"
            else ("reads", "writes")
        )
        for name in off:
            if getattr(self, f"_no_{name}") is None:
                setattr(self, f"_no_{name}", str(err))
        logger.warning("%s; going on without the cache's %s", err, " and ".join(off))

    def _get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            conn = self._connect()
            # a remembered id is never reused (AUTOINCREMENT), so a stale one (the namespace
            # was cleared by another process) merely finds nothing
            ns = self._ns_id(conn, namespace, create=False)
            if ns is None:
                return {}
            wanted = list(dict.fromkeys(keys))
            by_shard: dict[tuple[int, str, str, int, int], list[tuple[str, int, int]]] = (
                defaultdict(list)
            )
            # one read transaction: a consistent snapshot even while another process writes
            with _transaction(conn, "DEFERRED"):
                for start in range(0, len(wanted), _CHUNK):
                    rows = conn.execute(
                        "SELECT e.key, e.row, e.crc, s.id, s.file, s.dtype, s.dim, s.n "
                        "FROM entries e JOIN shards s ON s.id = e.shard "
                        "WHERE e.ns = ? AND e.key IN (SELECT value FROM json_each(?))",
                        (ns, json.dumps(wanted[start : start + _CHUNK])),
                    ).fetchall()
                    for key, row, crc, sid, file, dtype, dim, n in rows:
                        by_shard[(sid, file, dtype, dim, n)].append((key, row, crc))
            out: dict[str, np.ndarray] = {}
            bad_keys: list[str] = []
            bad_shards: list[int] = []
            for (sid, file, dtype, dim, n), items in by_shard.items():
                data = self._map_shard(file, dtype, dim, n)
                if data is None:
                    bad_shards.append(sid)
                    continue
                block = data[
                    np.fromiter((r for _, r, _ in items), dtype=np.int64, count=len(items))
                ]
                for (key, _, crc), vec in zip(items, block, strict=True):
                    if zlib.crc32(vec.data) == crc:
                        out[key] = vec
                    else:
                        bad_keys.append(key)
                del data
            if by_shard:
                self._after_read(conn, ns, bad_keys, bad_shards, [k[0] for k in by_shard])
            return out

    def _map_shard(self, file: str, dtype: str, dim: int, n: int) -> np.ndarray | None:
        """The shard's (n, dim) array (memory-mapped), or None if the file is missing or damaged."""
        path = self._shard_path(file)
        if path is None:
            return None
        try:
            dt = np.dtype(dtype)
            with open(path, "rb") as fh:
                head = fh.read(_HEADER.size)
                size = os.fstat(fh.fileno()).st_size
            if len(head) != _HEADER.size:
                return None
            magic, hdtype, hdim, hn = _HEADER.unpack(head)
            if (
                magic != _MAGIC
                or hdtype.rstrip(b"\0").decode("ascii", "replace") != dtype
                or (hdim, hn) != (dim, n)
                or size != _HEADER.size + n * dim * dt.itemsize
            ):
                return None
            if n == 0 or dim == 0:
                return np.zeros((n, dim), dtype=dt)
            return np.memmap(path, dtype=dt, mode="r", offset=_HEADER.size, shape=(n, dim))
        except (OSError, TypeError, ValueError):
            return None

    def _after_read(
        self,
        conn: sqlite3.Connection,
        ns: int,
        bad_keys: list[str],
        bad_shards: list[int],
        used: list[int],
    ) -> None:
        """Drop damaged entries and refresh the LRU time of the shards read."""
        try:
            with _transaction(conn):
                if bad_keys:
                    conn.execute(
                        "DELETE FROM entries WHERE ns = ? AND key IN (SELECT value FROM json_each(?))",
                        (ns, json.dumps(bad_keys)),
                    )
                files = self._delete_shards(conn, bad_shards) if bad_shards else []
                conn.execute(
                    "UPDATE shards SET atime = ? WHERE id IN (SELECT value FROM json_each(?))",
                    (time.time(), json.dumps(used)),
                )
        except sqlite3.OperationalError as exc:  # e.g. a read-only folder: reading still works
            logger.debug("embedding cache %s: bookkeeping skipped (%s)", self.root, exc)
            return
        if bad_keys or bad_shards:
            logger.warning(
                "embedding cache %s: dropped %d damaged entries and %d damaged shards",
                self.root,
                len(bad_keys),
                len(bad_shards),
            )
        self._unlink(files)

    def put_many(self, namespace: str, items: Mapping[str, np.ndarray]) -> None:
        """Store vectors; a key already present keeps its stored vector. Atomic per call."""
        if not items:
            return
        groups: dict[tuple[str, int], list[tuple[str, np.ndarray]]] = defaultdict(list)
        for key, vec in items.items():
            arr = np.asarray(vec)
            if not isinstance(key, str) or arr.ndim != 1 or arr.dtype.kind not in "fiu":
                raise MtebkitError(
                    f"EmbeddingCache.put_many: {key!r} must map a str key to a 1-D numeric array, "
                    f"got {type(key).__name__} -> shape {arr.shape} dtype {arr.dtype}"
                )
            groups[(arr.dtype.str, int(arr.shape[0]))].append((key, arr))
        if self._no_writes:
            return
        self._guarded("writes", lambda: self._put_groups(namespace, groups))

    def _put_groups(
        self, namespace: str, groups: Mapping[tuple[str, int], list[tuple[str, np.ndarray]]]
    ) -> None:
        with self._lock:
            conn = self._connect()
            if self.readonly:
                raise CacheError(f"embedding cache {self.root} is read-only", "readonly")
            with _transaction(conn):
                ns = self._ns_id(conn, namespace, create=True)
                assert ns is not None
                for (dtype, dim), pairs in groups.items():
                    self._put_group(conn, ns, dtype, dim, pairs)
            if self.max_bytes is not None:
                self._evict(conn, self.max_bytes)

    def _put_group(
        self,
        conn: sqlite3.Connection,
        ns: int,
        dtype: str,
        dim: int,
        pairs: list[tuple[str, np.ndarray]],
    ) -> None:
        present: set[str] = set()
        keys = [k for k, _ in pairs]
        for start in range(0, len(keys), _CHUNK):
            present.update(
                r[0]
                for r in conn.execute(
                    "SELECT key FROM entries WHERE ns = ? AND key IN (SELECT value FROM json_each(?))",
                    (ns, json.dumps(keys[start : start + _CHUNK])),
                )
            )
        new = [(k, v) for k, v in pairs if k not in present]
        if not new:
            return
        block = np.empty((len(new), dim), dtype=np.dtype(dtype))
        for i, (_, v) in enumerate(new):
            block[i] = v
        file = f"{uuid.uuid4().hex}.vec"
        nbytes = _write_shard(self.shard_dir / file, block)
        cur = conn.execute(
            "INSERT INTO shards (ns, file, dtype, dim, n, nbytes, atime) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ns, file, dtype, dim, len(new), nbytes, time.time()),
        )
        sid = cur.lastrowid
        conn.executemany(
            "INSERT INTO entries (ns, key, shard, row, crc) VALUES (?, ?, ?, ?, ?)",
            # in key order: appending to the b-tree is about twice as fast as random inserts
            sorted((ns, k, sid, i, zlib.crc32(block[i].data)) for i, (k, _) in enumerate(new)),
        )

    # ------------------------------------------------------------------ maintenance
    def _delete_shards(self, conn: sqlite3.Connection, ids: Sequence[int]) -> list[str]:
        """Delete shards and their entries (inside the caller's transaction); return their files."""
        blob = json.dumps(list(ids))
        files = [
            r[0]
            for r in conn.execute(
                "SELECT file FROM shards WHERE id IN (SELECT value FROM json_each(?))", (blob,)
            )
        ]
        conn.execute("DELETE FROM entries WHERE shard IN (SELECT value FROM json_each(?))", (blob,))
        conn.execute("DELETE FROM shards WHERE id IN (SELECT value FROM json_each(?))", (blob,))
        return files

    def _unlink(self, files: Sequence[str]) -> None:
        # only after the commit: until then a reader may still be directed to these files
        for f in files:
            path = self._shard_path(f)
            if path is not None:
                with suppress(FileNotFoundError):
                    path.unlink()

    def _shard_path(self, file: str) -> Path | None:
        """``shards/<file>`` for a file name read from the index; None when the name is not a
        plain file name (a tampered index must never direct a read or a delete elsewhere)."""
        from mtebkit._util.paths import name_in

        try:
            return name_in(self.shard_dir, file, kind="shard file")
        except ResultsError:
            return None

    def _evict(self, conn: sqlite3.Connection, max_bytes: int) -> int:
        """Drop least-recently-used shards until the shard files total at most ``max_bytes``."""
        with _transaction(conn):
            total = conn.execute("SELECT coalesce(sum(nbytes), 0) FROM shards").fetchone()[0]
            doomed: list[int] = []
            if total > max_bytes:
                for sid, nbytes in conn.execute("SELECT id, nbytes FROM shards ORDER BY atime, id"):
                    if total <= max_bytes:
                        break
                    doomed.append(sid)
                    total -= nbytes
            files = self._delete_shards(conn, doomed) if doomed else []
        self._unlink(files)
        return len(doomed)

    def evict(self, max_bytes: int | None = None) -> int:
        """Evict LRU shards down to ``max_bytes`` (default: the cache's own bound); shards dropped."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        if limit is None:
            return 0
        with self._lock, self._raising():
            return self._evict(self._connect(), limit)

    def sweep(self, min_age_s: float = _ORPHAN_AGE_S) -> int:
        """Delete shard files no index entry refers to (left by killed writers); return how many."""
        with self._lock, self._raising():
            conn = self._connect()
            with _transaction(conn, "DEFERRED"):
                known = {r[0] for r in conn.execute("SELECT file FROM shards")}
            now = time.time()
            removed = 0
            for p in self.shard_dir.iterdir():
                # temporary files and fresh files may belong to a writer that has not committed yet
                try:
                    old = now - p.stat().st_mtime >= min_age_s
                except FileNotFoundError:
                    continue
                if p.name not in known and old:
                    p.unlink(missing_ok=True)
                    removed += 1
            return removed

    # ------------------------------------------------------------------ descriptions
    def _description_path(self, namespace: str) -> Path:
        """``namespaces/<namespace>.json``; a namespace that is not a plain name (``--namespace
        ../x`` to ``cache clear``) is refused before it reaches a path (CacheError)."""
        from mtebkit._util.paths import name_in

        try:
            return name_in(self.root / DESCRIPTION_DIR, namespace, kind="namespace", suffix=".json")
        except ResultsError as exc:
            raise CacheError(str(exc)) from None

    def describe(self, namespace: str, description: Mapping[str, Any]) -> None:
        """Record, once, what a namespace belongs to (model, revision, settings) for
        :meth:`info`. Best effort: a cache that cannot take it still caches vectors."""
        try:
            path = self._description_path(namespace)
        except CacheError as exc:
            logger.warning("embedding cache: %s", exc)
            return
        if path.exists():
            return
        try:
            from mtebkit._util.atomic import atomic_write_text

            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps(dict(description), indent=1, sort_keys=True))
        except OSError as exc:
            logger.warning("embedding cache: namespace %s not described (%s)", namespace, exc)

    def description(self, namespace: str) -> dict[str, Any] | None:
        """What :meth:`describe` recorded for ``namespace``; None if nothing (or unreadable)."""
        try:
            path = self._description_path(namespace)
        except CacheError:  # not a plain name: it was never described
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def info(self) -> dict[str, Any]:
        """``{"path", "entries", "bytes", "index_bytes", "max_bytes", "namespaces": {name: {...}}}``.

        ``bytes`` is the size of the shard files; ``index_bytes`` that of the SQLite index. A
        namespace with a recorded description has it under ``"description"``.
        """
        with self._lock, self._raising():
            conn = self._connect()
            with _transaction(conn, "DEFERRED"):
                per_ns = conn.execute(
                    "SELECT n.name, coalesce(sum(s.n), 0), coalesce(sum(s.nbytes), 0), max(s.atime) "
                    "FROM namespaces n LEFT JOIN shards s ON s.ns = n.id GROUP BY n.id ORDER BY n.name"
                ).fetchall()
                entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        index_bytes = sum(
            p.stat().st_size
            for p in (Path(f"{self.index_path}{s}") for s in ("", "-wal"))
            if p.exists()
        )
        namespaces = {
            name: {"entries": int(n), "bytes": int(b), "last_used": float(t) if t else None}
            for name, n, b, t in per_ns
            if n
        }
        return {
            "path": str(self.root),
            "entries": int(entries),
            "bytes": sum(v["bytes"] for v in namespaces.values()),
            "index_bytes": index_bytes,
            "max_bytes": self.max_bytes,
            "namespaces": {
                name: {**v, "description": self.description(name)} for name, v in namespaces.items()
            },
        }

    def clear(self, namespace: str | None = None) -> int:
        """Delete every entry (or one namespace's); return how many entries were deleted."""
        if namespace is not None:
            self._description_path(namespace)  # refuse ``../x`` before anything is deleted
        with self._lock, self._raising():
            conn = self._connect()
            with _transaction(conn):
                if namespace is None:
                    n = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
                    files = [r[0] for r in conn.execute("SELECT file FROM shards")]
                    for table in ("entries", "shards", "namespaces"):
                        conn.execute(f"DELETE FROM {table}")
                else:
                    ns = self._ns_id(conn, namespace, create=False)
                    if ns is None:
                        return 0
                    n = conn.execute("SELECT count(*) FROM entries WHERE ns = ?", (ns,)).fetchone()[
                        0
                    ]
                    ids = [r[0] for r in conn.execute("SELECT id FROM shards WHERE ns = ?", (ns,))]
                    files = self._delete_shards(conn, ids)
                    conn.execute("DELETE FROM namespaces WHERE id = ?", (ns,))
                self._ns_ids.clear()
            self._unlink(files)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        described = self.root / DESCRIPTION_DIR
        for p in [self._description_path(namespace)] if namespace else described.glob("*.json"):
            p.unlink(missing_ok=True)
        self.sweep()
        return int(n)


def _write_shard(path: Path, block: np.ndarray) -> int:
    """Write header + rows to a temporary file, fsync, rename into place; return the size."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    header = _HEADER.pack(_MAGIC, block.dtype.str.encode("ascii"), block.shape[1], block.shape[0])
    try:
        with open(tmp, "wb") as fh:
            fh.write(header)
            fh.write(np.ascontiguousarray(block).data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return len(header) + block.nbytes


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[None]:
    """BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield
    except BaseException:
        # a damaged index may refuse the rollback too: the original error is the one to see
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
