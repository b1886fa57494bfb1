"""Permissions and symlink loops in the inputs (issue 13 item 10). Root ignores permission bits,
so the unreadable cases run the real CLI as the user nobody (setpriv); they skip, saying why,
where that is impossible."""

import json
import shutil
import subprocess
import sys

from typer.testing import CliRunner

from docparse.cli import app

from .conftest import make_pdf
from .fs_helpers import as_nobody, world_dir

runner = CliRunner()


def report_by_name(out):
    files = json.loads((out / "docparse-report.json").read_text())["files"]
    return {f["input"].rstrip("/").split("/")[-1]: f for f in files}


def run_as_nobody(*args):
    cmd = as_nobody([sys.executable, "-m", "docparse.cli", "convert", *map(str, args), "-q", "-f", "md"])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_unreadable_file_on_the_command_line_fails_alone():
    root = world_dir()
    try:
        good = make_pdf(root / "good.pdf", ["Readable document."])
        locked = make_pdf(root / "locked.pdf", ["Nobody may read this."])
        locked.chmod(0o000)
        out = root / "out"
        res = run_as_nobody(good, locked, "-o", out)
        assert res.returncode == 1, res.stderr  # a per-file failure, not a usage error (was 2)
        assert "Traceback" not in res.stderr
        files = report_by_name(out)
        assert files["good.pdf"]["status"] == "ok"
        assert files["locked.pdf"]["status"] == "failed" and "permission denied" in files["locked.pdf"]["error"]
    finally:
        shutil.rmtree(root)


def test_unreadable_subfolder_is_reported_not_skipped():
    root = world_dir()
    try:
        src = root / "in"
        (src / "private").mkdir(parents=True)
        make_pdf(src / "a.pdf", ["Readable document."])
        make_pdf(src / "private" / "b.pdf", ["Behind a closed folder."])
        (src / "private").chmod(0o000)
        out = root / "out"
        res = run_as_nobody(src, "-o", out)
        assert res.returncode == 1, res.stderr  # was 0, and the folder was not in the report
        assert "Traceback" not in res.stderr
        files = report_by_name(out)
        assert files["a.pdf"]["status"] == "ok"
        assert files["private"]["status"] == "failed"
        assert "cannot read folder" in files["private"]["error"] and "permission denied" in files["private"]["error"]
    finally:
        (root / "in" / "private").chmod(0o755)
        shutil.rmtree(root)


def test_symlink_loop_says_symlink_loop(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    make_pdf(src / "a.pdf", ["A document."])
    (src / "loop.pdf").symlink_to(src / "loop.pdf")
    out = tmp_path / "out"
    res = runner.invoke(app, ["convert", str(src / "loop.pdf"), str(src / "a.pdf"), "-o", str(out), "-q", "-f", "md"])
    assert res.exit_code == 1, res.output
    assert "symlink loop" in report_by_name(out)["loop.pdf"]["error"]  # was "no such file"
    assert report_by_name(out)["a.pdf"]["status"] == "ok"
    # inside a folder too
    res = runner.invoke(app, ["convert", str(src), "-o", str(tmp_path / "out2"), "-q", "-f", "md"])
    assert res.exit_code == 1
    assert "symlink loop" in report_by_name(tmp_path / "out2")["loop.pdf"]["error"]


def test_output_folder_without_write_permission_is_one_line_exit_2():
    root = world_dir()
    try:
        pdf = make_pdf(root / "doc.pdf", ["A document."])
        out = root / "out"
        out.mkdir()
        out.chmod(0o555)  # root's folder: nobody may not write in it
        res = run_as_nobody(pdf, "-o", out)
        assert res.returncode == 2, res.stderr
        assert "not writable" in res.stderr and "permission denied" in res.stderr
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    finally:
        shutil.rmtree(root)
