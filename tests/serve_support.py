"""A real ``docparse serve`` for the service tests: a subprocess on 127.0.0.1 and a free port."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
import subprocess

import pymupdf

from .conftest import FILLER
from .live_process import free_port, start, stop, wait_until

API_KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@dataclass
class LiveServer:
    url: str
    proc: subprocess.Popen
    tmp: Path  # the server's TMPDIR: its private spool folder is made in here
    log: Path

    def spool_dirs(self) -> list[Path]:
        return sorted(self.tmp.glob("docparse-serve-*"))

    def spooled_files(self) -> list[Path]:
        return [p for d in self.spool_dirs() for p in d.iterdir()]

    def stop(self) -> int | None:
        return stop(self.proc)


def start_server(tmp: Path, *args: str, key: str | None = API_KEY) -> LiveServer:
    import httpx

    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = tmp / "server.log"
    env = {"TMPDIR": str(tmp), "DOCPARSE_API_KEY": key or ""}
    proc = start([sys.executable, "-m", "docparse.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                  "--log-level", "warning", *args], log, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(url + "/health", timeout=2).status_code == 200, 120, "server start", proc, log)
    return LiveServer(url, proc, tmp, log)


def text_pdf(path: Path, pages: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page(width=612, height=792)
        page.insert_textbox(pymupdf.Rect(72, 200, 540, 260), text, fontsize=11)
        page.insert_textbox(pymupdf.Rect(72, 270, 540, 400), FILLER, fontsize=11)
    doc.save(path)
    doc.close()
    return path


def encrypted_pdf(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "locked")
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u")
    doc.close()
    return path


CORRUPT_PDF = b"%PDF-1.7\n1 0 obj garbage that is no PDF at all"
