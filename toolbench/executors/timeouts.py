"""Run a tool function with a time limit, so a tool that hangs never hangs the run.

Isolations: ``process`` (default) runs calls in reused worker processes that are killed
at the limit (:mod:`toolbench.executors.workers`; the executors own the pool).
``thread`` runs the call in a daemon worker thread and stops waiting after the limit
(the thread is abandoned and counted; Python cannot kill threads, and a long C call
keeps the interpreter lock, so Ctrl-C waits for it): for tools that must share the
caller's memory. ``none`` calls in place (benchmarks, tools known to be fast).
:func:`run_in_process` forks one child per call (fresh state every time).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

ISOLATIONS = ("process", "thread", "none")
DEFAULT_ISOLATION = "process"


class ToolTimeout(Exception):
    """The call did not finish within its time limit."""


class _Box:
    __slots__ = ("value", "error", "done")

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = False


def _run_into(box: _Box, fn: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        box.value = fn(**kwargs)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller
        box.error = exc
    box.done = True


_abandoned_lock = threading.Lock()
abandoned_threads = 0


def run_in_thread(fn: Callable[..., Any], kwargs: dict[str, Any], timeout: float) -> Any:
    """``fn(**kwargs)`` in a worker thread; raise :class:`ToolTimeout` after ``timeout`` s.

    >>> run_in_thread(pow, {"base": 2, "exp": 10}, timeout=1.0)
    1024
    """
    global abandoned_threads
    box = _Box()
    worker = threading.Thread(target=_run_into, args=(box, fn, kwargs), daemon=True, name="toolbench-tool")
    worker.start()
    worker.join(timeout)
    if not box.done:
        with _abandoned_lock:
            abandoned_threads += 1
        raise ToolTimeout(f"the tool did not answer within {timeout:g} s")
    if box.error is not None:
        raise box.error
    return box.value


def _child(conn: Any, fn: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        conn.send((True, fn(**kwargs)))
    except BaseException as exc:  # noqa: BLE001 - sent to the parent
        try:
            conn.send((False, exc))
        except Exception:  # the exception itself does not pickle
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def run_in_process(fn: Callable[..., Any], kwargs: dict[str, Any], timeout: float) -> Any:
    """``fn(**kwargs)`` in a forked child that is killed after ``timeout`` seconds."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, fn, kwargs), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise ToolTimeout(f"the tool did not answer within {timeout:g} s (process killed)")
        try:
            ok, value = parent.recv()
        except EOFError:
            raise RuntimeError(f"the tool process died (exit code {process.exitcode})") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(1.0)
        parent.close()
    if not ok:
        raise value
    return value


def run_with_timeout(
    fn: Callable[..., Any], kwargs: dict[str, Any], timeout: float | None, isolation: str = "thread"
) -> Any:
    """Dispatch to the runner for ``isolation``; ``timeout`` ``None`` or ``<= 0`` means in place."""
    if isolation == "none" or not timeout or timeout <= 0:
        return fn(**kwargs)
    if isolation == "process":
        return run_in_process(fn, kwargs, timeout)
    return run_in_thread(fn, kwargs, timeout)
