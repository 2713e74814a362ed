"""One writer per output folder: an exclusive OS lock on the folder itself and on ``OUT/.lock``.

``fcntl.flock`` is released by the kernel when the process dies, so a SIGKILL never
leaves a stale lock behind. The lock that guards the store is taken on the output
folder's own descriptor: no file can be deleted to defeat it (removing ``OUT/.lock``
during a run used to let a second run in, and both paid for the same articles). The
``.lock`` file is locked too (what older versions look at) and holds who the holder is
(pid, host, start time, command, credentials removed), so a second run can say whom it
is waiting for; after locking it, the holder checks that the path still names the
file it locked, and locks again if the file was replaced in between.

>>> import tempfile
>>> out = tempfile.mkdtemp()
>>> with OutputLock(out) as lock:
...     lock.held
True
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
import socket
import sys
import time
from pathlib import Path
from typing import Any

from extractor.core.errors import OutputBusyError
from extractor.core.redact import redact_argv

try:  # pragma: no cover - Windows has no fcntl
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

__all__ = ["OutputLock", "LOCK_NAME"]

LOCK_NAME = ".lock"


class OutputLock:
    """Exclusive lock of an output folder, held for the life of a ``with`` block.

    Raises :class:`~extractor.core.errors.OutputBusyError` at once when another process
    holds it, or waits for it when ``wait`` is True (logging whom it waits for).
    Re-entrant within one object only: nest the ``with`` of one lock, not two locks.
    """

    def __init__(self, out: str | os.PathLike[str], *, wait: bool = False, command: list[str] | None = None):
        self.out = Path(out)
        self.path = self.out / LOCK_NAME
        self.wait = wait
        self.command = command if command is not None else list(sys.argv)
        self._fd: int | None = None
        self._dir_fd: int | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._reentered():
            return
        dir_fd = self._open_dir()
        try:
            if dir_fd is not None:
                self._lock(dir_fd)
            fd = self._lock_file(blocking=True)
        except BaseException:
            _close(dir_fd)
            raise
        self._hold(fd, dir_fd)

    async def aacquire(self, *, stop: asyncio.Event | None = None, poll_s: float = 0.2) -> bool:
        """:meth:`acquire` for a coroutine; False when ``stop`` was set while waiting.

        A wait polls without blocking the event loop: a thread blocked in ``flock`` would
        keep Ctrl-C from ending the process until the other run ended.
        """
        if self._reentered():
            return True
        dir_fd = self._open_dir()
        fd: int | None = None
        try:
            busy_said = False
            while True:
                if dir_fd is None or self._try_lock(dir_fd):
                    fd = self._lock_file(blocking=False)
                    if fd is not None:
                        break
                    if dir_fd is not None:
                        fcntl.flock(dir_fd, fcntl.LOCK_UN)
                if not busy_said:
                    self._busy()
                    busy_said = True
                if stop is not None and stop.is_set():
                    _close(dir_fd)
                    return False
                await asyncio.sleep(poll_s)
        except BaseException:
            _close(dir_fd)
            raise
        self._hold(fd, dir_fd)
        return True

    def _reentered(self) -> bool:
        if self._fd is None:
            return False
        self._depth += 1
        return True

    def _open_dir(self) -> int | None:
        """The output folder's descriptor to lock, or None where folders cannot be locked."""
        self.out.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover
            return None
        try:
            fd = os.open(self.out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:  # pragma: no cover - a platform without folder descriptors
            logger.debug("cannot open %s to lock it (%s): locking %s only", self.out, exc, self.path)
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # held by another run: the caller waits or refuses
        except OSError as exc:  # NFS and some FUSE file systems cannot lock a folder
            logger.debug("cannot lock the folder %s (%s): locking %s only", self.out, exc, self.path)
            os.close(fd)
            return None
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)  # taken for real by _lock/_try_lock, which may wait
        return fd

    def _open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)

    def _lock_file(self, *, blocking: bool) -> int | None:
        """Lock ``OUT/.lock`` and return its descriptor (None: busy and not ``blocking``).

        Locked, the path must still name the file locked: a file deleted or replaced
        between our open and our lock is opened and locked again.
        """
        for _ in range(100):
            fd = self._open()
            try:
                if blocking:
                    self._lock(fd)
                elif not self._try_lock(fd):
                    os.close(fd)
                    return None
                if self._names(fd):
                    return fd
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise OSError(f"{self.path} keeps being replaced; cannot lock it")  # pragma: no cover

    def _names(self, fd: int) -> bool:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)

    def _hold(self, fd: int | None, dir_fd: int | None) -> None:
        assert fd is not None
        self._fd, self._dir_fd = fd, dir_fd
        self._depth = 1
        self._write_holder(fd)

    def _try_lock(self, fd: int) -> bool:
        if fcntl is None:  # pragma: no cover - no OS lock: at least say so
            logger.warning("no file locking on this platform: do not run two writers on %s at once", self.out)
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _busy(self) -> None:
        """Raise OutputBusyError, or (with ``wait``) log whom we wait for."""
        holder = self.holder()
        if not self.wait:
            raise OutputBusyError(str(self.out), holder)
        logger.warning("waiting for the run that holds %s (pid %s on %s, started %s)", self.out,
                       holder.get("pid", "?") if holder else "?", holder.get("host", "?") if holder else "?",
                       holder.get("started", "?") if holder else "?")

    def _lock(self, fd: int) -> None:
        if self._try_lock(fd):
            return
        self._busy()
        fcntl.flock(fd, fcntl.LOCK_EX)  # in the main thread, Ctrl-C interrupts this wait

    def _write_holder(self, fd: int) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S%z"), "command": shlex.join(redact_argv(self.command))}
        data = json.dumps(info, ensure_ascii=False).encode("utf-8")
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)

    def holder(self) -> dict[str, Any] | None:
        """What the current holder wrote into the lock file (None when unreadable)."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._fd is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        fd, self._fd = self._fd, None
        dir_fd, self._dir_fd = self._dir_fd, None
        try:
            os.ftruncate(fd, 0)
        except OSError:  # pragma: no cover
            pass
        os.close(fd)  # closing the descriptor releases the flock
        _close(dir_fd)

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
