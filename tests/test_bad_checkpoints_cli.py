"""Hostile and corrupt checkpoints through `docparse model info`, `docparse convert --engine vlm` and the
API (issue 13, items 3 and 4): a one-line error, no traceback, the run report written with the file
failed, and only ``DocparseError``s from the API.

The broken checkpoints come from tests/model/checkpoint_factory.py; the expected message of each
is in tests/model/test_bad_checkpoints.py. The absurd sizes run the real console script in a
subprocess under a memory and time bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
from typer.testing import CliRunner  # noqa: E402

from docparse.cli import app  # noqa: E402
from docparse.errors import EngineError  # noqa: E402

from .model.checkpoint_factory import CASES, make_case  # noqa: E402
from .model.test_bad_checkpoints import ABSURD, EXPECTED, INFO_COMPLETE  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARTICLE = REPO / "samples" / "article.pdf"
runner = CliRunner()
IN_PROCESS = [c for c in CASES if c not in ABSURD]


def convert_args(model: Path, out: Path) -> list[str]:
    return ["convert", str(ARTICLE), "--engine", "vlm", "--model", str(model), "-o", str(out), "--pages", "1",
            "--max-new-tokens", "8", "--device", "cpu", "--quiet"]


def error_line(output: str, start: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.startswith(start)]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize("case", IN_PROCESS)
def test_model_info_gives_one_line_and_exit_1(case, tmp_path):
    path = make_case(case, tmp_path / "ckpt")
    res = runner.invoke(app, ["model", "info", str(path)], catch_exceptions=False)
    assert "Traceback" not in res.output
    if case in INFO_COMPLETE:
        assert res.exit_code == 0, res.output
        return
    assert res.exit_code == 1, res.output
    if "checkpoint incomplete:" in res.output:  # the table, then why in one line
        line = error_line(res.output, "checkpoint incomplete:")
        assert (EXPECTED[case] if case != "integer_weights" else "non float tensors (1)") in line
    else:
        assert EXPECTED[case] in error_line(res.output, "error:")


@pytest.mark.parametrize("case", IN_PROCESS)
def test_convert_fails_the_file_in_the_report_with_the_cause(case, tmp_path):
    path = make_case(case, tmp_path / "ckpt")
    out = tmp_path / "out"
    res = runner.invoke(app, convert_args(path, out), catch_exceptions=False)
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    report = json.loads((out / "docparse-report.json").read_text())
    [entry] = report["files"]
    assert entry["status"] == "failed" and entry["input"] == str(ARTICLE)
    assert entry["error"].startswith("cannot ") and EXPECTED[case] in entry["error"], entry["error"]
    assert "\n" not in entry["error"]
    assert EXPECTED[case] in error_line(res.output, "failed ")  # said once, on one line


@pytest.mark.parametrize("case", ["weights_corrupt", "pickle_renamed", "tokenizer_corrupt", "config_nested_10000",
                                  "eps_nan", "sparse_128g_valid"])
def test_the_api_raises_only_docparse_errors(case, tmp_path):
    import docparse

    path = make_case(case, tmp_path / "ckpt")
    with pytest.raises(EngineError, match="cannot (load|use) the vlm model") as err:
        docparse.convert(ARTICLE, engine="vlm", model=str(path), device="cpu", pages="1")
    assert EXPECTED[case] in str(err.value)


def test_absurd_sizes_through_the_cli_under_a_bound(tmp_path):
    """Before: both commands grew memory until killed (1.25 GB RSS at the 90 s bound, 10 GB after 230 s).
    One subprocess (one torch import) runs both commands for each case under a 4 GB address-space bound."""
    script = f"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({4 * 2**30}, {4 * 2**30}))
from pathlib import Path
from typer.testing import CliRunner
from docparse.cli import app
from tests.model.checkpoint_factory import make_case
from tests.test_bad_checkpoints_cli import convert_args
out = {{}}
for case in {list(ABSURD)!r}:
    path = make_case(case, Path({str(tmp_path)!r}) / case)
    report_dir = Path({str(tmp_path)!r}) / ("out-" + case)
    info = CliRunner().invoke(app, ["model", "info", str(path)], catch_exceptions=False)
    conv = CliRunner().invoke(app, convert_args(path, report_dir), catch_exceptions=False)
    report = json.loads((report_dir / "docparse-report.json").read_text())
    out[case] = dict(info=[info.exit_code, info.output], convert=[conv.exit_code, conv.output],
                     report=report["files"][0])
print(json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180, cwd=REPO,
                          env={**os.environ, "COLUMNS": "300"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for case in ABSURD:
        r = results[case]
        for command in ("info", "convert"):
            code, output = r[command]
            assert code == 1 and "Traceback" not in output and EXPECTED[case] in output, (case, command, output)
        assert r["report"]["status"] == "failed" and EXPECTED[case] in r["report"]["error"]


@pytest.mark.slow
def test_with_workers_each_file_fails_with_the_cause_and_no_traceback(tmp_path):
    """Before: the pool's initializer raised, every file read "worker failed: A process in the process
    pool was terminated abruptly" and each worker printed a traceback."""
    import shutil

    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(ARTICLE, inputs / "a.pdf")
    shutil.copy(ARTICLE, inputs / "b.pdf")
    path = make_case("weights_corrupt", tmp_path / "ckpt")
    out = tmp_path / "out"
    args = convert_args(path, out)
    args[1] = str(inputs)
    proc = subprocess.run([sys.executable, "-m", "docparse.cli", *args, "-w", "2"], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env={**os.environ, "COLUMNS": "80"})
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads((out / "docparse-report.json").read_text())
    assert sorted(Path(f["input"]).name for f in report["files"]) == ["a.pdf", "b.pdf"]
    for entry in report["files"]:
        assert entry["status"] == "failed" and EXPECTED["weights_corrupt"] in entry["error"]
    failed = [ln for ln in proc.stderr.splitlines() if ln.startswith("failed ")]
    assert len(failed) == 2 and all(EXPECTED["weights_corrupt"] in ln for ln in failed), proc.stderr
