"""The serve options and form fields come from ConvertOptions (no server needed)."""

from __future__ import annotations

import inspect
from dataclasses import fields
from typing import Optional

import pytest

from docparse.errors import OptionsError
from docparse.options import ConvertOptions
from docparse.serve.command import build_serve_command, engine_fields
from docparse.serve.fields import REQUEST_FIELDS, coerce, request_overrides


def test_every_engine_field_is_a_serve_option_and_the_server_key_stays_the_servers():
    params = inspect.signature(build_serve_command()).parameters
    for name in engine_fields():
        assert name in params or f"engine_{name}" in params, name
    assert "pages" not in params and "password" not in params  # per request only
    assert {"host", "port", "workers", "api_key", "max_upload_mb", "max_pages", "queue_size", "job_ttl"} <= set(params)
    if "api_key" in {f.name for f in fields(ConvertOptions)}:  # the remote engine's key gets its own flag
        assert "engine_api_key" in params


def test_form_values_become_typed_options():
    assert coerce("dpi", "150", float) == 150.0
    assert coerce("passes", "false", bool) is False and coerce("passes", "YES", bool) is True
    assert coerce("pages", "", Optional[str]) is None
    assert coerce("sizes", "1, 2,3", list[int]) == [1, 2, 3]
    with pytest.raises(OptionsError, match="cannot read 'lots' as float"):
        coerce("dpi", "lots", float)
    assert request_overrides({"pages": "1-2", "dpi": "100", "passes": "0"}) == {"pages": "1-2", "dpi": 100.0, "passes": False}
    assert set(REQUEST_FIELDS) <= {f.name for f in fields(ConvertOptions)}


@pytest.mark.parametrize("field", [f.name for f in fields(ConvertOptions) if f.name not in REQUEST_FIELDS])
def test_a_request_cannot_set_what_the_server_fixed(field):
    with pytest.raises(OptionsError, match="fixed when the server starts"):
        request_overrides({field: "x"})


def test_unknown_form_fields_are_refused():
    with pytest.raises(OptionsError, match="unknown form field 'out'"):
        request_overrides({"out": "/etc"})
