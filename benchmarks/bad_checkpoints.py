"""Every broken-checkpoint case of tests/model/checkpoint_factory.py through the two commands that
load a checkpoint, each in its own process under a time and memory bound; prints one row per run.

    .venv/bin/python benchmarks/bad_checkpoints.py [CASE ...] [--timeout 120] [--memory-gb 6]
    .venv/bin/python benchmarks/bad_checkpoints.py --in-process   # the refusal alone, no process start

Columns: case, command (`model info` or `convert --engine vlm`), seconds, peak RSS (MB), exit code,
whether a traceback reached the user, whether the run report lists the file as failed (convert),
and the last line of stderr. A good checkpoint runs first as the peer: what a healthy load costs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "model"))
from checkpoint_factory import CASES, good_checkpoint  # noqa: E402

DOCPARSE = Path(sys.executable).parent / "docparse"
PDF = ROOT / "samples" / "article.pdf"


def run_bounded(cmd: list[str], timeout: float, memory_bytes: int) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS in MB, stderr) of ``cmd`` under RLIMIT_AS and a wall-clock kill."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        os.setsid()

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=limit,
                            env={**os.environ, "COLUMNS": "200"})
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return code, seconds, usage.ru_maxrss / 1024, stderr


def in_process(cases: list[str]) -> int:
    """Milliseconds each refusal takes in one warm process (load through PageParser, then model info)."""
    from qwen2_5_vl.pipeline import PageParser
    from qwen2_5_vl.weights import checkpoint_info

    print(f"{'case':30} {'load ms':>9} {'info ms':>9}  load outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            folder = Path(tmp) / case
            good_checkpoint(folder)
            if case != "good":
                CASES[case](folder)
            start = time.perf_counter()
            try:
                PageParser.from_pretrained(folder, device="cpu")
                outcome = "loaded"
            except Exception as exc:  # noqa: BLE001 - the point is to see which type
                outcome = type(exc).__name__
            loaded = time.perf_counter()
            try:
                checkpoint_info(folder)
            except Exception:  # noqa: BLE001
                pass
            done = time.perf_counter()
            print(f"{case:30} {1000 * (loaded - start):9.1f} {1000 * (done - loaded):9.1f}  {outcome}", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    print(f"peak RSS of the whole run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="*", default=["good", *CASES])
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--memory-gb", type=float, default=6.0)
    parser.add_argument("--in-process", action="store_true", help="time the refusals in this process")
    args = parser.parse_args()
    if args.in_process:
        return in_process(args.cases)
    memory = int(args.memory_gb * 2**30)
    print(f"{'case':28} {'command':10} {'s':>6} {'MB':>6} {'rc':>4} {'tb':>3} {'report':>7}  message")
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases:
            folder = Path(tmp) / case / "ckpt"
            good_checkpoint(folder)
            if case != "good":
                CASES[case](folder)
            for command in ("info", "convert"):
                out = Path(tmp) / case / f"out-{command}"
                if command == "info":
                    cmd = [str(DOCPARSE), "model", "info", str(folder)]
                else:
                    cmd = [str(DOCPARSE), "convert", str(PDF), "--engine", "vlm", "--model", str(folder), "-o",
                           str(out), "--pages", "1", "--max-new-tokens", "8", "--max-pixels", "50176",
                           "--device", "cpu", "--quiet"]
                code, seconds, peak, stderr = run_bounded(cmd, args.timeout, memory)
                lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
                traceback = "Traceback" in stderr
                report = "-"
                if command == "convert":
                    try:
                        files = json.loads((out / "docparse-report.json").read_text())["files"]
                        report = files[0]["status"] if files else "empty"
                    except (OSError, ValueError, KeyError):
                        report = "none"
                if code in (-9, 137) and seconds >= args.timeout:
                    message = f"killed after {args.timeout:.0f} s"
                elif command == "info" and code == 0:
                    message = "(table; exit 0)"
                else:
                    message = lines[-1] if lines else ""
                print(f"{case:28} {command:10} {seconds:6.1f} {peak:6.0f} {code:4} {'yes' if traceback else 'no':>3} "
                      f"{report:>7}  {message[:160]}", flush=True)
            shutil.rmtree(Path(tmp) / case, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
