"""A pool of worker processes that run tool calls and can be killed at their time limit.

Threads cannot be stopped: a tool stuck in one long C call (``round(10**4000, -10**8)``)
holds the interpreter lock, and neither its time limit nor Ctrl-C/SIGTERM can stop it.
:class:`WorkerPool` runs each call in a worker process instead. Workers are forked once
(they inherit the function table, so nothing is pickled but arguments and results) and
reused across calls, so a call costs one pipe round trip rather than a fork. A worker
that overruns its limit, dies or is cancelled is killed and replaced on the next call.

Tools therefore cannot change the calling process's memory: use ``isolation="thread"``
for a tool that must share state with its caller.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from toolbench.executors.timeouts import ToolTimeout

logger = logging.getLogger(__name__)

Target = Callable[[str, dict[str, Any]], Any]
POLL_SECONDS = 0.1  # how often a waiting call checks for cancellation


class WorkerDied(RuntimeError):
    """A worker process ended without answering (crashed, out of memory, killed)."""


def _portable_error(exc: BaseException) -> BaseException:
    """``exc`` when it pickles (and unpickles), else a ``RuntimeError`` with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _serve(conn: Any, parent_end: Any, target: Target) -> None:
    """The worker loop: receive ``(key, kwargs)``, answer ``(ok, value)``, until EOF."""
    parent_end.close()  # so the worker sees EOF when the parent goes away
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; Ctrl-C reaches it too
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            key, kwargs = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply: tuple[bool, Any] = (True, target(key, kwargs))
        except BaseException as exc:  # noqa: BLE001 - sent to the parent
            reply = (False, _portable_error(exc))
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - a result that does not pickle
            conn.send((False, RuntimeError(f"the tool's result cannot be sent back: {exc}")))


class _Worker:
    """One forked worker process and the parent's end of its pipe."""

    def __init__(self, target: Target) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child, self.conn, target), daemon=True,
                                       name="toolbench-tool-worker")
        self.process.start()
        child.close()

    def kill(self) -> None:
        """Kill the process (if alive) and close the pipe; never raises."""
        try:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(1.0)
        except (OSError, ValueError, AssertionError):
            pass
        self.conn.close()


class WorkerPool:
    """Up to ``size`` reused worker processes running ``target(key, kwargs)`` with a time limit.

    >>> pool = WorkerPool(lambda key, kwargs: {"key": key, **kwargs}, size=1)
    >>> pool.call("add", {"a": 1}, timeout=10.0)
    {'key': 'add', 'a': 1}
    >>> pool.close()
    """

    def __init__(self, target: Target, size: int | None = None) -> None:
        self.target = target
        self.size = max(1, size or min(8, os.cpu_count() or 1))
        self._slots = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._generation = 0
        self.killed = 0

    def call(self, key: str, kwargs: dict[str, Any], timeout: float) -> Any:
        """``target(key, kwargs)`` in a worker; :class:`ToolTimeout` after ``timeout`` seconds."""
        with self._slots:
            worker, generation = self._checkout()
            healthy = False
            try:
                value = self._exchange(worker, generation, key, kwargs, timeout)
                healthy = True
            finally:
                self._checkin(worker, healthy)
        ok, result = value
        if not ok:
            raise result
        return result

    def _exchange(self, worker: _Worker, generation: int, key: str, kwargs: dict[str, Any],
                  timeout: float) -> tuple[bool, Any]:
        deadline = time.monotonic() + timeout
        try:
            worker.conn.send((key, kwargs))
            while not worker.conn.poll(max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))):
                if self._generation != generation:
                    raise ToolTimeout("the tool call was cancelled (process killed)")
                if time.monotonic() >= deadline:
                    raise ToolTimeout(f"the tool did not answer within {timeout:g} s (process killed)")
            return worker.conn.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            if self._generation != generation:
                raise ToolTimeout("the tool call was cancelled (process killed)") from None
            raise WorkerDied(f"the tool process died (exit code {worker.process.exitcode})") from None

    def _checkout(self) -> tuple[_Worker, int]:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    break
                worker.kill()
            else:
                worker = _Worker(self.target)
            self._busy.add(worker)
            return worker, self._generation

    def _checkin(self, worker: _Worker, healthy: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
            if healthy:
                self._idle.append(worker)
                return
            self.killed += 1
        worker.kill()

    def cancel(self) -> None:
        """Make every call in flight stop within :data:`POLL_SECONDS` (their workers are killed)."""
        with self._lock:
            self._generation += 1
            busy = list(self._busy)
        for worker in busy:
            if worker.process.is_alive():
                worker.process.kill()

    def close(self) -> None:
        """Kill every worker (calls in flight are cancelled)."""
        self.cancel()
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
