"""Fixtures for the web layer: in-process apps on the real Hami graph or a small
fixture dataset, and real server processes on loopback ports.

Helpers are handed out as fixtures (factories). Test modules in this folder
that write ``from conftest import …`` get this module (two conftest modules
share the name), so it also offers the plain helpers of ``tests/conftest.py``
(``ROOT``, ``page``, ``row`` …; not its fixtures, which pytest shares anyway)."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from zwgk.web.app import create_app
from zwgk.web.settings import Settings
from zwgk.web.state import AppState

ROOT = Path(__file__).resolve().parents[2]


def _is_fixture(value) -> bool:
    return type(value).__name__ == "FixtureFunctionDefinition" or hasattr(value, "_pytestfixturefunction")


def _reexport_top_conftest() -> None:
    spec = importlib.util.spec_from_file_location("_zwgk_tests_conftest", ROOT / "tests" / "conftest.py")
    top = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(top)
    for name, value in vars(top).items():
        if not name.startswith("_") and name not in globals() and not _is_fixture(value):
            globals()[name] = value


_reexport_top_conftest()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server run as a subprocess on 127.0.0.1:``port``, stopped on exit.
    ``start()`` returns once the port answers HTTP (any status)."""

    def __init__(self, args: list[str], port: int, *, cwd: Path = ROOT, startup: float = 60.0):
        self.args = [str(a) for a in args]
        self.port = port
        self.cwd = cwd
        self.startup = startup
        self.proc: subprocess.Popen | None = None
        self.log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def start(self) -> "ServerProcess":
        if self.log is not None:
            self.log.close()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.startup
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.args[0]} exited with status {self.proc.returncode}:\n{self.output()}")
            try:
                httpx.get(self.url + "/", timeout=2.0)
                return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.args} did not answer on port {self.port}:\n{self.output()}")
            time.sleep(0.05)  # waiting for the port to open, not a timing assertion

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        if self.log is not None:
            self.log.close()


@pytest.fixture(scope="session")
def server_process():
    """The ``ServerProcess`` class: ``with server_process(args, port) as srv: …``."""
    return ServerProcess


@pytest.fixture(scope="session")
def free_port():
    """A function returning a free TCP port on 127.0.0.1."""
    return _free_port


@pytest.fixture(scope="session")
def zwgk_command():
    """The command line that runs ``zwgk`` with this interpreter."""
    return [sys.executable, "-m", "zwgk.cli"]


@pytest.fixture(scope="session")
def oxigraph_command():
    """The ``oxigraph`` server command (PyPI package ``oxigraph``), next to this interpreter or on PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the oxigraph server command is not installed: `pip install -e .[test]` brings it (PyPI oxigraph)")
    return found


@pytest.fixture(scope="session")
def make_client(project):
    """``make_client(**settings)``: a TestClient on a fresh app and store (the Hami
    graph unless ``load=`` is given)."""

    def make(state_hook=None, **values) -> TestClient:
        settings = Settings(**values)
        state = AppState.open(settings, project)
        if state_hook:
            state_hook(state)
        return TestClient(create_app(settings, state))

    return make


@pytest.fixture(scope="module")
def client(make_client) -> TestClient:
    """A read-only app on the Hami graph (updates off), shared by a module."""
    return make_client()
