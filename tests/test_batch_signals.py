"""Workers die with their parent; SIGTERM and SIGINT stop a run cleanly (issue 13 item 2).
Real processes: the CLI with two worker processes, killed the ways a user or a system kills it."""

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from .conftest import make_pdf

WORKER_EXIT_BOUND_S = 20.0  # generous for a loaded 2-core machine; the guard acts within ~1 s
START_BOUND_S = 180.0  # the CLI and two spawned workers importing the layout engine


def reported(out) -> int:
    try:
        return len(json.loads((out / "docparse-report.json").read_text())["files"])
    except (OSError, ValueError):
        return 0


def start_run(tmp_path, files: int = 24, until=lambda out: list(out.rglob("*.md")), workers: int = 2):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(files):
        make_pdf(src / f"d{i:02d}.pdf", [f"Document {i} page {p}." for p in range(3)])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "docparse.cli", "convert", str(src), "-o", str(out), "-w", str(workers), "-q", "-f", "md,json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + START_BOUND_S
    while not until(out):  # the workers are converting
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "the run did not start converting in time"
        time.sleep(0.1)
    children = psutil.Process(proc.pid).children(recursive=True)
    assert workers == 1 or len(children) >= workers, children
    return proc, children, out


def stop_all(proc, workers):
    for p in [proc, *workers]:
        try:
            p.kill()
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass


@pytest.mark.slow
def test_workers_die_when_the_cli_is_killed(tmp_path):
    proc, workers, out = start_run(tmp_path)
    try:
        assert proc.poll() is None, "the run finished before it could be killed: give it more files"
        os.kill(proc.pid, signal.SIGKILL)
        _, alive = psutil.wait_procs(workers, timeout=WORKER_EXIT_BOUND_S)
        assert not alive, f"workers outlived the killed CLI: {alive}"
        proc.communicate(timeout=10)  # EOF on its pipes: no worker holds them open
        # the killed CLI itself may have been writing the report (nothing survives SIGKILL to
        # remove that file; the next run's report write removes it): the workers' files must be clean
        left = [p for p in out.rglob("*.tmp") if not p.name.startswith(".docparse-report.json.")]
        assert not left, "a worker stopped mid-write left a temporary file"
    finally:
        stop_all(proc, workers)


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_cleanly(tmp_path, signum, code):
    proc, workers, out = start_run(tmp_path, until=reported)  # a file is done: the report has entries
    try:
        assert proc.poll() is None, "the run finished before the signal: give it more files"
        os.kill(proc.pid, signum)
        _, stderr = proc.communicate(timeout=60)
        stderr = stderr.decode()
        assert proc.returncode == code, stderr
        assert "Traceback" not in stderr and "interrupted" in stderr, stderr
        _, alive = psutil.wait_procs(workers, timeout=WORKER_EXIT_BOUND_S)
        assert not alive
        assert not list(out.rglob("*.tmp")), "no half-written file may stay"
        report = json.loads((out / "docparse-report.json").read_text())
        assert report["files"] and all(f["status"] == "ok" for f in report["files"])
        assert len(report["files"]) < 24  # it stopped; the rest is converted by a rerun
    finally:
        stop_all(proc, workers)


@pytest.mark.slow
def test_sigterm_stops_a_run_in_one_process_cleanly(tmp_path):
    """-w 1 (the default): the page pipeline in the CLI's own process."""
    proc, children, out = start_run(tmp_path, until=reported, workers=1)
    try:
        assert proc.poll() is None, "the run finished before the signal: give it more files"
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 143, stderr.decode()
        assert "Traceback" not in stderr.decode()
        assert not list(out.rglob("*.tmp"))
        report = json.loads((out / "docparse-report.json").read_text())
        assert 0 < len(report["files"]) < 24
    finally:
        stop_all(proc, children)


def test_watchdog_alone_ends_a_worker_whose_parent_died():
    """The portable fallback (no parent-death signal): a real child with only the watchdog thread,
    its real parent killed with -9."""
    child_code = (
        "import os, signal, sys, threading, time\n"
        "from docparse.process_guard import _watch_parent\n"
        "signal.signal(signal.SIGTERM, lambda *_: os._exit(143))\n"
        "threading.Thread(target=_watch_parent, args=(int(sys.argv[1]),), daemon=True).start()\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    parent_code = (
        "import os, subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', {child_code!r}, str(os.getpid())])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, start_new_session=True)
    child = psutil.Process(int(parent.stdout.readline()))
    try:
        assert parent.stdout.readline().strip() == b"ready"  # the watchdog thread is up
        assert child.is_running()
        parent.kill()
        parent.wait()
        _, alive = psutil.wait_procs([child], timeout=10)
        assert not alive, "the watchdog did not end the orphaned worker"
    finally:
        stop_all(parent, [child])
