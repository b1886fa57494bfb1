"""Worker processes die with the run that started them, and a signal ends a run cleanly.

The parent (the CLI) turns SIGINT and SIGTERM into ``RunInterrupted``: the batch stops its
workers, writes the report and exits 130 (SIGINT) or 143 (SIGTERM), as shells expect (128 + n).

A worker must never outlive its parent (after ``kill -9`` of the CLI a worker would go on
converting into OUT, then sit idle holding the CLI's pipes open). Two guards:

- Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)``: the kernel signals the worker when its parent dies.
- everywhere: a watchdog thread that notices the parent pid is gone (the worker is re-parented).

A worker ignores SIGINT (Ctrl-C reaches the whole process group; the parent decides) and on
SIGTERM deletes the temporary files it is writing and exits at once, so nothing half-written stays.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, Callable

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCHDOG_SECONDS = 1.0  # how often a worker checks that its parent is alive
STOP_GRACE_SECONDS = 5.0  # how long a worker told to stop may take before it is killed


class RunInterrupted(KeyboardInterrupt):
    """The run was told to stop (SIGINT or SIGTERM). A KeyboardInterrupt, so every place that lets
    Ctrl-C through lets this through too."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def interrupt_on_signals() -> Callable[[], None]:
    """In the parent: SIGINT and SIGTERM raise ``RunInterrupted`` (once: a second signal during
    the clean-up is ignored). Returns a function that restores the previous handlers."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, _frame: Any) -> None:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        raise RunInterrupted(signum)

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def guard_worker(parent_pid: int) -> None:
    """In a worker, first thing: die with the parent; stop cleanly on SIGTERM; ignore SIGINT."""
    from docparse.output.files import remove_files_in_progress

    def stop(_signum: int, _frame: Any) -> None:
        remove_files_in_progress()
        os._exit(128 + signal.SIGTERM)  # at once: no clean-up of the pool's queues is wanted

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop)
    _set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before the guard was set
        stop(signal.SIGTERM, None)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="docparse-parent-watchdog", daemon=True).start()


def _set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent dies; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCHDOG_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)  # the handler cleans up in the main thread


def stop_processes(processes: list[Any]) -> None:
    """Ask worker processes (``multiprocessing.Process``) to stop, wait a little, then kill."""
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)
