"""A real local Ray cluster for the runner tests: ``ray start --head ... --block`` as a subprocess
of the test, on free ports of 127.0.0.1, stopped by its pid."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .live_process import free_port, start, stop, wait_until


@dataclass
class LocalCluster:
    address: str
    proc: subprocess.Popen
    temp_dir: Path
    log: Path

    def stop(self) -> None:
        stop(self.proc, timeout=30)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def start_cluster(log_dir: Path, cpus: int = 2) -> LocalCluster:
    port = free_port()  # an ephemeral port: outside Ray's default worker range (10002-19999)
    temp_dir = Path(tempfile.mkdtemp(prefix="dpray", dir="/tmp"))  # short: Ray's socket paths must fit
    log = log_dir / "ray-head.log"
    ray_cli = "from ray.scripts.scripts import main; main()"
    proc = start([sys.executable, "-c", ray_cli, "start", "--head", "--node-ip-address", "127.0.0.1",
                  "--port", str(port), "--num-cpus", str(cpus), "--num-gpus", "0", "--include-dashboard=false",
                  "--disable-usage-stats", "--temp-dir", str(temp_dir), "--block"], log)
    address = f"127.0.0.1:{port}"

    def up() -> bool:
        check = subprocess.run([sys.executable, "-c", ray_cli, "status", "--address", address],
                               capture_output=True, text=True, timeout=60)
        return check.returncode == 0

    try:
        wait_until(up, 180, "ray cluster start", proc, log)
    except BaseException:
        stop(proc)
        raise
    return LocalCluster(address, proc, temp_dir, log)
