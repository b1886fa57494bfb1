"""``docparse convert --runner ray`` on a real local Ray cluster (started by the test, stopped by pid).

The same folder converted by the local runner and by Ray gives the same Markdown and JSON (a long
document split into page ranges over several workers included), the same report (a corrupt file
failed with the same message), and a rerun skips what is done.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("ray", reason="docparse[ray] is not installed (pip install -e '.[ray]')")
pytest.importorskip("ray.data", reason="docparse[ray] is not installed (pip install -e '.[ray]')")

from .ray_support import start_cluster  # noqa: E402
from .serve_support import CORRUPT_PDF, text_pdf  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    live = start_cluster(tmp_path_factory.mktemp("ray"))
    yield live
    live.stop()


@pytest.fixture
def folder(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    text_pdf(src / "a.pdf", ["Alpha document first page.", "Alpha second page."])
    text_pdf(src / "sub" / "b.pdf", ["Beta document."])
    text_pdf(src / "long.pdf", [f"Long document, page {i}." for i in range(1, 8)])
    (src / "sub" / "broken.pdf").write_bytes(CORRUPT_PDF)
    (src / "notes.txt").write_text("not a document")
    return src


def convert(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "docparse.cli", "convert", *map(str, args), "--quiet"],
                          capture_output=True, text=True, timeout=900)


def report(out) -> dict:
    rep = json.loads((out / "docparse-report.json").read_text())
    return {f["input"].rsplit("/", 1)[-1]: f for f in rep["files"]}


def without_timings(path) -> dict:
    doc = json.loads(path.read_text())
    for page in doc["pages"]:
        page.pop("seconds", None)
    return doc


def test_ray_runner_matches_local_reports_corrupt_and_resumes(cluster, folder, tmp_path):
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    res_local = convert(folder, "-o", local)
    res_ray = convert(folder, "-o", f"file://{on_ray}", "--runner", "ray", "--ray-address", cluster.address,
                      "--ray-chunk-pages", "3")
    assert res_local.returncode == res_ray.returncode == 1, res_ray.stderr[-3000:]  # broken.pdf failed

    mds = sorted(p.relative_to(local) for p in local.rglob("*.md"))
    assert [str(p) for p in mds] == ["a/a.md", "long/long.md", "sub/b/b.md"]
    for rel in mds:
        assert (on_ray / rel).read_text() == (local / rel).read_text(), rel
        js = rel.with_suffix(".json")
        assert without_timings(on_ray / js) == without_timings(local / js), js
    assert sorted(p.relative_to(on_ray) for p in on_ray.rglob("*") if p.is_file() and p.name != "docparse-report.json") \
        == sorted(p.relative_to(local) for p in local.rglob("*") if p.is_file() and p.name != "docparse-report.json")
    assert "Long document, page 7." in (on_ray / "long" / "long.md").read_text()
    assert not list(on_ray.rglob("*.tmp"))

    rep_local, rep_ray = report(local), report(on_ray)
    assert {k: v["status"] for k, v in rep_ray.items()} == {k: v["status"] for k, v in rep_local.items()} == {
        "a.pdf": "ok", "b.pdf": "ok", "long.pdf": "ok", "broken.pdf": "failed"}
    assert rep_ray["broken.pdf"]["error"] == rep_local["broken.pdf"]["error"]
    assert rep_ray["long.pdf"]["pages"] == 7 and rep_ray["a.pdf"]["pages"] == 2
    assert "broken.pdf" in res_ray.stderr  # one line on the driver

    stamps = {p: p.stat().st_mtime_ns for p in on_ray.rglob(".docparse-done.json")}
    again = convert(folder, "-o", on_ray, "--runner", "ray", "--ray-address", cluster.address, "--ray-chunk-pages", "3")
    assert again.returncode == 1
    assert {k: v["status"] for k, v in report(on_ray).items()} == {
        "a.pdf": "skipped", "b.pdf": "skipped", "long.pdf": "skipped", "broken.pdf": "failed"}
    assert {p: p.stat().st_mtime_ns for p in on_ray.rglob(".docparse-done.json")} == stamps  # nothing redone


def test_ray_runner_uploads_to_an_fsspec_url(cluster, tmp_path):
    """An fsspec URL as OUT (``local://``: fsspec's own file system, through the same staging and
    upload path an ``s3://`` OUT takes): the same files, the report uploaded, a rerun skips."""
    src = tmp_path / "in"
    text_pdf(src / "a.pdf", ["Uploaded alpha.", "Uploaded alpha, page two."])
    text_pdf(src / "long.pdf", [f"Uploaded long, page {i}." for i in range(1, 6)])
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert convert(src, "-o", local).returncode == 0
    res = convert(src, "-o", f"local://{remote}", "--runner", "ray", "--ray-address", cluster.address,
                  "--ray-chunk-pages", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    for md in local.rglob("*.md"):
        assert (remote / md.relative_to(local)).read_text() == md.read_text()
    assert (remote / "long" / ".docparse-done.json").is_file() and not list(remote.rglob("*.tmp"))
    assert {k: v["status"] for k, v in report(remote).items()} == {"a.pdf": "ok", "long.pdf": "ok"}
    again = convert(src, "-o", f"local://{remote}", "--runner", "ray", "--ray-address", cluster.address)
    assert again.returncode == 0
    assert {k: v["status"] for k, v in report(remote).items()} == {"a.pdf": "skipped", "long.pdf": "skipped"}


def test_runner_errors_are_one_line(tmp_path):
    res = convert(tmp_path, "-o", tmp_path / "o", "--runner", "spark")
    assert res.returncode == 2 and "unknown runner 'spark'" in res.stderr
    (tmp_path / "in").mkdir()
    text_pdf(tmp_path / "in" / "a.pdf", ["Nowhere to go."])
    from .live_process import free_port

    res = convert(tmp_path / "in", "-o", tmp_path / "o", "--runner", "ray", "--ray-address", f"127.0.0.1:{free_port()}")
    assert res.returncode == 2 and "cannot reach the Ray cluster at 127.0.0.1:" in res.stderr, res.stderr[-2000:]
    assert "Traceback" not in res.stderr
    res = convert(tmp_path, "-o", "nosuchfs://bucket/out", "--runner", "ray")
    assert res.returncode == 2 and "cannot write to nosuchfs://bucket/out" in res.stderr
    assert "Traceback" not in res.stderr
