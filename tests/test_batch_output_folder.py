"""The output folder: not a folder, read-only, a symlink planted inside it, a full disk, two runs
at once (issue 13 items 5, 11, 12). Real mounts and real processes where the machine allows."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from docparse.batch import BatchRun, BatchSettings
from docparse.cli import app
from docparse.discovery import discover
from docparse.options import ConvertOptions

from .conftest import make_pdf
from .fs_helpers import fill, tmpfs

runner = CliRunner()


def convert(*args):
    return runner.invoke(app, ["convert", *[str(a) for a in args], "--quiet", "-f", "md"], catch_exceptions=False)


def report(out):
    return json.loads((out / "docparse-report.json").read_text())


def test_output_folder_that_is_a_file_or_under_a_file_is_one_line_exit_2(tmp_path):
    pdf = make_pdf(tmp_path / "doc.pdf", ["Some text."])
    a_file = tmp_path / "taken"
    a_file.write_text("I am a file")
    for out, says in ((a_file, "is an existing file"), (a_file / "sub", "a file stands in its path")):
        res = convert(pdf, "-o", out)
        assert res.exit_code == 2, res.output
        assert says in res.output and "Traceback" not in res.output
        assert len(res.output.strip().splitlines()) == 1, res.output
    assert a_file.read_text() == "I am a file"


def test_read_only_output_folder_is_one_line_exit_2(tmp_path):
    pdf = make_pdf(tmp_path / "doc.pdf", ["Some text."])
    with tmpfs(tmp_path / "ro", size="1m", read_only=True) as ro:
        res = convert(pdf, "-o", ro)
        assert res.exit_code == 2, res.output
        assert "not writable" in res.output and "read-only file system" in res.output
        assert "Traceback" not in res.output


def test_symlink_planted_in_the_output_folder_fails_that_file_only(tmp_path):
    make_pdf(tmp_path / "a.pdf", ["Document A."])
    make_pdf(tmp_path / "b.pdf", ["Document B."])
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "a").symlink_to(elsewhere)  # OUT/a -> a folder outside OUT
    res = convert(tmp_path / "a.pdf", tmp_path / "b.pdf", "-o", out)
    assert res.exit_code == 1, res.output
    files = {f["input"].split("/")[-1]: f for f in report(out)["files"]}
    assert files["a.pdf"]["status"] == "failed" and "leads outside the output folder" in files["a.pdf"]["error"]
    assert files["b.pdf"]["status"] == "ok" and (out / "b" / "b.md").is_file()
    assert list(elsewhere.iterdir()) == []  # nothing written outside


def test_disk_full_fails_files_keeps_going_and_writes_the_report_when_space_allows(tmp_path):
    pdfs = [make_pdf(tmp_path / f"d{i}.pdf", [f"Document {i} text."]) for i in range(3)]
    with tmpfs(tmp_path / "disk", size="2m") as disk:
        out = disk / "out"
        out.mkdir()
        filler = fill(disk)
        notices: list[str] = []
        run = BatchRun(out, ConvertOptions(engine="layout"), BatchSettings(formats=["md", "json"]), on_notice=notices.append)
        items, problems = discover(pdfs, out)

        def on_file(res):  # after the second failure, space comes back
            if len(run.results) == 2:
                filler.unlink()

        results = run.run(items, problems, on_file=on_file)
        assert [r.status for r in results] == ["failed", "failed", "ok"]
        assert all("disk full" in r.error for r in results[:2]), [r.error for r in results]
        assert len(notices) == 1 and "disk full" in notices[0]  # said once, not per file
        assert run.finish()
        assert [f["status"] for f in report(out)["files"]] == ["failed", "failed", "ok"]
        assert not list(out.rglob("*.tmp"))


def test_disk_full_cli_exit_1_no_traceback(tmp_path):
    pdfs = [make_pdf(tmp_path / f"d{i}.pdf", [f"Document {i} text."]) for i in range(2)]
    with tmpfs(tmp_path / "disk", size="2m") as disk:
        out = disk / "out"
        out.mkdir()
        fill(disk)
        cmd = [sys.executable, "-m", "docparse.cli", "convert", *map(str, pdfs), "-o", str(out), "-q", "-f", "md"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert res.returncode == 1, res.stderr
        assert "Traceback" not in res.stderr
        assert res.stderr.count("cannot write the report") == 2, res.stderr  # the notice once, the final error once
        assert res.stderr.count("disk full") >= 2  # each file names its cause
        assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
def test_two_runs_into_one_folder_at_once_keep_every_entry(tmp_path):
    """Two real CLI processes, disjoint inputs, the same OUT, started together."""
    out = tmp_path / "out"
    groups = []
    for g in "ab":
        folder = tmp_path / g
        folder.mkdir()
        groups.append([make_pdf(folder / f"{g}{i}.pdf", [f"Doc {g}{i}."]) for i in range(5)])
    cmds = [[sys.executable, "-m", "docparse.cli", "convert", *map(str, grp), "-o", str(out), "-q", "-f", "md"] for grp in groups]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in cmds]
    for p in procs:
        _, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr.decode()
    names = sorted(f["input"].split("/")[-1] for f in report(out)["files"])
    assert names == sorted(f"{g}{i}.pdf" for g in "ab" for i in range(5))
    assert report(out)["counts"] == {"ok": 10}


def test_a_report_temporary_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    from docparse.report import REPORT_NAME, write_report

    stale = tmp_path / f".{REPORT_NAME}.abcd1234.tmp"  # what SIGKILL mid-write leaves
    stale.write_text('{"half": ')
    write_report(tmp_path, {"docparse": "test"}, [{"input": "a.pdf", "status": "ok"}])
    assert not stale.exists()
    assert (tmp_path / REPORT_NAME).exists()
