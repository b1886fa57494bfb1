"""Pages/second of ``docparse convert`` with the local runner and with ``--runner ray``, same folder,
same machine, one run: a local Ray cluster (``ray start --head``, started and stopped here) with
as many CPUs as the local runner has workers.

    python benchmarks/ray_runner.py [--copies 4] [--workers 2]

The folder is samples/'s text PDFs (article, the two-page tables), ``--copies`` times each, under
distinct names. Each runner converts it into its own empty OUT. Wall time includes each runner's
start-up (worker processes and engines; for Ray the actors), which is what a user waits for.
Prints a table and writes benchmarks/RAY.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ["article.pdf", "table_two_pages.pdf", "table_two_pages_norepeat.pdf"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def convert(folder: Path, out: Path, *extra: str) -> tuple[float, int]:
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "docparse.cli", "convert", str(folder), "-o", str(out), "--quiet",
                          *extra], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"convert {' '.join(extra)} failed ({res.returncode}): {res.stderr[-2000:]}")
    report = json.loads((out / "docparse-report.json").read_text())
    return seconds, sum(f["pages"] for f in report["files"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dp-ray-bench-"))
    folder = work / "in"
    folder.mkdir()
    for n in range(args.copies):
        for name in SAMPLES:
            shutil.copy(ROOT / "samples" / name, folder / f"{Path(name).stem}-{n}.pdf")

    port = free_port()
    temp_dir = Path(tempfile.mkdtemp(prefix="dpray", dir="/tmp"))
    ray_cli = "from ray.scripts.scripts import main; main()"
    head = subprocess.Popen([sys.executable, "-c", ray_cli, "start", "--head", "--node-ip-address", "127.0.0.1",
                             "--port", str(port), "--num-cpus", str(args.workers), "--num-gpus", "0",
                             "--include-dashboard=false", "--disable-usage-stats", "--temp-dir", str(temp_dir),
                             "--block"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(120):
            ok = subprocess.run([sys.executable, "-c", ray_cli, "status", "--address", f"127.0.0.1:{port}"],
                                capture_output=True).returncode == 0
            if ok:
                break
            time.sleep(1)
        local_s, local_pages = convert(folder, work / "out-local", "--workers", str(args.workers))
        ray_s, ray_pages = convert(folder, work / "out-ray", "--runner", "ray", "--ray-address", f"127.0.0.1:{port}")
    finally:
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(head.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(temp_dir, ignore_errors=True)

    same = all((work / "out-ray" / p.relative_to(work / "out-local")).read_text() == p.read_text()
               for p in (work / "out-local").rglob("*.md"))
    rows = [("local", args.workers, local_pages, local_s), ("ray", args.workers, ray_pages, ray_s)]
    lines = [
        f"# --runner ray vs the local runner ({len(list(folder.iterdir()))} PDFs, same machine, one run)",
        "",
        f"`python benchmarks/ray_runner.py --copies {args.copies} --workers {args.workers}`; "
        f"machine: {os.cpu_count()} CPUs; Markdown identical: {same}",
        "",
        "| runner | workers / CPUs | pages | wall s | pages/s | vs local |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, workers, pages, seconds in rows:
        lines.append(f"| {name} | {workers} | {pages} | {seconds:.1f} | {pages / seconds:.2f} | "
                     f"{(pages / seconds) / (local_pages / local_s):.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks" / "RAY.md").write_text(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
