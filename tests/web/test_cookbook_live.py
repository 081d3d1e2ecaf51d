"""Every curl command and every SPARQLWrapper snippet of queries/COOKBOOK.md, run as
written against a real ``zwgk serve`` process: each must answer with the number of rows
the cookbook documents. (``tests/test_cookbook.py`` checks the answers themselves in
process; this test checks the calls people copy.)

The answers on the Hami data are asked of a server on the project's build; the answers
documented "with the county (伊吾县) and township (大泉湾乡) test catalogs" of a server on
a copy of the project with those catalogs added (``multi_project``)."""

from __future__ import annotations

import csv
import io
import re
import shlex
import shutil
import subprocess
import warnings

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

COOKBOOK = ROOT / "queries" / "COOKBOOK.md"
DOCUMENTED_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"```(\w+)\n(.*?)\n```", re.S)
MULTI = "With the county"  # the paragraph that introduces an answer on the three test catalogs


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.replace("\r\n", "\n").strip("\n"))))


def calls() -> tuple[list, list]:
    """(curl calls, python snippets) as pytest params of (code, data, expected header, expected row count)."""
    text = COOKBOOK.read_text(encoding="utf-8")
    curls, snippets = [], []
    for block in re.split(r"\n(?=## \d+\. )", text)[1:]:
        number = block.split(".", 1)[0].removeprefix("## ")
        answer = None  # the answer block the calls that follow it must give
        for fence in FENCE.finditer(block):
            kind, body = fence.group(1), fence.group(2)
            if kind == "csv":
                before = block[: fence.start()].rstrip().rsplit("\n\n", 1)[-1]
                rows = csv_rows(body)
                answer = ("multi" if before.startswith(MULTI) else "hami", rows[0], len(rows) - 1)
            elif kind == "sh":
                for line in body.splitlines():
                    if line.startswith("curl "):
                        assert answer, f"question {number}: a curl command before its answer"
                        curls.append(pytest.param(line, *answer, id=f"Q{number}-{answer[0]}-curl{len(curls)}"))
            elif kind == "python":
                assert answer and answer[0] == "hami", f"question {number}: a snippet before its answer"
                snippets.append(pytest.param(body, *answer, id=f"Q{number}-python"))
    return curls, snippets


CURLS, SNIPPETS = calls()


def test_every_question_has_its_calls():
    questions = len(re.findall(r"^## \d+\. ", COOKBOOK.read_text(encoding="utf-8"), re.M))
    assert len(SNIPPETS) == questions and len(CURLS) >= questions


def serve(server_process, free_port, zwgk_command, root):
    port = free_port()
    return server_process([*zwgk_command, "--root", root, "serve", "--host", "127.0.0.1", "--port", port,
                           "--query-workers", "1"], port, startup=180.0)


@pytest.fixture(scope="module")
def servers(server_process, free_port, zwgk_command, request):
    """``servers(data)``: the URL of a server on the Hami build ("hami") or on the three test catalogs ("multi")."""
    running = {}

    def url(data: str) -> str:
        if data not in running:
            root = ROOT if data == "hami" else request.getfixturevalue("multi_project").root
            running[data] = serve(server_process, free_port, zwgk_command, root).start()
        return running[data].url

    yield url
    for server in running.values():
        server.stop()


@pytest.mark.parametrize("command, data, header, count", CURLS)
def test_curl(servers, command, data, header, count):
    curl = shutil.which("curl")
    assert curl, "curl is not installed: the cookbook's commands need it (apt-get install curl)"
    args = shlex.split(command.replace(DOCUMENTED_URL, servers(data)))
    assert args[0] == "curl"
    done = subprocess.run([curl, "--silent", "--show-error", "--fail-with-body", *args[1:]],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, f"{command}\n{done.stderr.decode()}{done.stdout.decode()[:2000]}"
    rows = csv_rows(done.stdout.decode("utf-8"))
    assert rows[0] == header
    assert len(rows) - 1 == count, command


@pytest.mark.parametrize("snippet, data, header, count", SNIPPETS)
def test_sparqlwrapper_snippet(servers, monkeypatch, snippet, data, header, count):
    assert DOCUMENTED_URL in snippet
    monkeypatch.chdir(ROOT)  # the snippets read queries/*.rq from the project's folder
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # SPARQLWrapper warns when it cannot tell the query form
        exec(compile(snippet.replace(DOCUMENTED_URL, servers(data)), "COOKBOOK.md", "exec"), namespace)
    rows = namespace["rows"]
    assert len(rows) == count
    assert all(set(row) <= set(header) for row in rows)
