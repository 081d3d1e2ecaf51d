"""The command line, run as a user runs it."""

import json
import subprocess
import sys

from conftest import ROOT


def zwgk(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "zwgk.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_build_then_query(scratch_project, tmp_path):
    root = str(scratch_project.root)
    out = zwgk("--root", root, "build")
    assert out.returncode == 0, out.stderr
    assert "items 75, instruments cited 32, citations 285" in out.stdout
    assert "item 39: the source gives no level, phone" in out.stdout
    summary = json.loads((scratch_project.build_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["items"] == 75

    out = zwgk("--root", root, "query", "items-citing", "--param", "instrument=国务院令765号", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert [line.split(",")[1] for line in out.stdout.splitlines()[1:]] == ["6", "9", "30", "31", "32", "33", "34", "37"]

    out = zwgk("--root", root, "query", "items-on-channel", "--param", "channel=政府网站", "--format", "json")
    assert [int(b["number"]["value"]) for b in json.loads(out.stdout)["results"]["bindings"]] == [1, 2, 3, 4, 5, 26]

    rq = tmp_path / "count.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?i a zwgk:DisclosureItem }", encoding="utf-8")
    out = zwgk("--root", root, "query", str(rq), "--format", "csv")
    assert out.stdout.splitlines()[1] == "75"


def test_user_errors_are_one_line_and_exit_2(scratch_project, tmp_path):
    root = str(scratch_project.root)
    out = zwgk("--root", root, "query", "items-citing", "--param", "instrument=x")
    assert out.returncode == 2 and "run `zwgk build` first" in out.stderr
    zwgk("--root", root, "build")
    for args, words in [
        (("query", "no-such-query"), "no named query"),
        (("query", "items-citing"), "needs the parameter"),
        (("query", "items-citing", "--param", "instrument"), "NAME=VALUE"),
        (("query", "items-citing", "--param", "instrument=无此文件"), "no instrument"),
    ]:
        out = zwgk("--root", root, *args)
        assert out.returncode == 2, args
        assert out.stderr.startswith("zwgk: error:") and words in out.stderr
        assert "Traceback" not in out.stderr


def test_queries_lists_named_queries():
    out = zwgk("queries")
    assert out.returncode == 0
    assert "items-citing" in out.stdout and "example: 国务院令765号" in out.stdout
