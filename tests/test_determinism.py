"""Same input, same output: two builds in two processes, each with its own string-hash seed,
write the same N-Triples byte for byte. (tests/test_build.py builds twice in one process, where
every set and dict of strings iterates in the same order both times, so it cannot see output
that depends on that order.) About 8 s: two builds, one after the other."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

BUILD = "import sys; from zwgk.cli import main; sys.exit(main(sys.argv[1:]))"


def build_with_hash_seed(seed: str, out) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", BUILD, "--root", str(ROOT), "build", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def test_two_processes_with_different_hash_seeds_write_the_same_graph(tmp_path):
    build_with_hash_seed("1", tmp_path / "a")
    build_with_hash_seed("2", tmp_path / "b")
    for name in ("zwgk.nt", "zwgk.nq"):
        a = (tmp_path / "a" / name).read_bytes()
        b = (tmp_path / "b" / name).read_bytes()
        assert a, name
        if a != b:
            only_a = sorted(set(a.decode().splitlines()) - set(b.decode().splitlines()))[:5]
            only_b = sorted(set(b.decode().splitlines()) - set(a.decode().splitlines()))[:5]
            pytest.fail(f"{name} differs between hash seeds\nonly with seed 1: {only_a}\nonly with seed 2: {only_b}")
