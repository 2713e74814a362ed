"""One writer per output folder: an exclusive OS lock on ``OUT/.lock``.

``fcntl.flock`` is released by the kernel when the process dies, so a SIGKILL never
leaves a stale lock behind. The holder writes who it is (pid, host, start time,
command) into the file, so a second run can say whom it is waiting for.

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
from extractor.store.sqlite import redact_argv

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
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._reentered():
            return
        fd = self._open()
        try:
            self._lock(fd)
        except BaseException:
            os.close(fd)
            raise
        self._hold(fd)

    async def aacquire(self, *, stop: asyncio.Event | None = None, poll_s: float = 0.2) -> bool:
        """:meth:`acquire` for a coroutine; False when ``stop`` was set while waiting.

        A wait polls without blocking the event loop: a thread blocked in ``flock`` would
        keep Ctrl-C from ending the process until the other run ended.
        """
        if self._reentered():
            return True
        fd = self._open()
        try:
            if not self._try_lock(fd):
                self._busy()
                while not self._try_lock(fd):
                    if stop is not None and stop.is_set():
                        os.close(fd)
                        return False
                    await asyncio.sleep(poll_s)
        except BaseException:
            os.close(fd)
            raise
        self._hold(fd)
        return True

    def _reentered(self) -> bool:
        if self._fd is None:
            return False
        self._depth += 1
        return True

    def _open(self) -> int:
        self.out.mkdir(parents=True, exist_ok=True)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    def _hold(self, fd: int) -> None:
        self._fd = fd
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
        try:
            os.ftruncate(fd, 0)
        except OSError:  # pragma: no cover
            pass
        os.close(fd)  # closing the descriptor releases the flock

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
