"""The CLI's conversion flags come from ConvertOptions (one place); its help reads as a CLI's should."""

from dataclasses import fields

import click
import pytest
import typer.main
from typer.testing import CliRunner

from docparse.batch import CORES_PER_WORKER, default_workers
from docparse.cli import app
from docparse.options import ConvertOptions

runner = CliRunner()


def command(name: str) -> click.Command:
    group = typer.main.get_command(app)
    return group.commands[name]


def params_by_name(cmd: click.Command) -> dict[str, click.Parameter]:
    return {p.name: p for p in cmd.params}


@pytest.mark.parametrize("name", ["convert", "serve"])
def test_every_option_field_is_a_flag_with_its_default_and_help(name):
    params = params_by_name(command(name))
    for f in fields(ConvertOptions):
        if name == "serve" and f.name in ("pages", "password", "api_key"):
            continue  # per request only / the server's own --api-key (see serve/fields.py)
        p = params[f.name]
        assert p.default == f.default, f.name
        assert p.help.startswith(f.metadata["help"]), f.name
        assert "--" + f.name.replace("_", "-") in p.opts, f.name
        if isinstance(f.default, bool):
            assert p.secondary_opts == ["--no-" + f.name.replace("_", "-")], f.name


def test_eval_flags_are_the_option_fields():
    params = params_by_name(command("eval"))
    for name in ("engine", "model", "ocr_language"):
        f = ConvertOptions.__dataclass_fields__[name]
        assert params[name].default == f.default and params[name].help == f.metadata["help"]


def test_a_changed_default_reaches_the_cli(monkeypatch):
    """Drift is impossible: the flag reads the dataclass when the command is built."""
    from docparse.cli_options import option_parameter

    monkeypatch.setattr(ConvertOptions.__dataclass_fields__["dpi"], "default", 123.0)
    assert option_parameter("dpi").default.default == 123.0


@pytest.mark.parametrize("args", [["convert", "--help"], ["eval", "--help"], ["serve", "--help"], ["--help"],
                                  ["model", "info", "--help"], ["schema", "--help"]])
def test_help_shows_no_bool_metavar_after_flags(args):
    res = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "<bool>" not in res.output
    for line in res.output.splitlines():
        if "--verbose" in line:  # a counted flag (-v, -vv) takes no value either
            assert "<int>" not in line


def test_convert_help_explains_workers_and_names_the_ray_extra():
    res = runner.invoke(app, ["convert", "--help"], env={"COLUMNS": "250"})
    text = " ".join(res.output.replace("│", " ").split())
    assert "Each worker loads its own engine" in text and f"one per {CORES_PER_WORKER} cores" in text
    assert "docparse[ray]" in text  # rich markup must not eat the brackets
    assert "--no-passes" in text and "--verbose" in text


def test_default_workers_follow_the_core_count():
    assert default_workers(1) == 1 and default_workers(2) == 1
    assert default_workers(CORES_PER_WORKER) == 1
    assert default_workers(4 * CORES_PER_WORKER) == 4
