"""Shared fixtures: the real Hami build (built once per session into a temp folder)
and helpers to make small catalogs in the source layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zwgk.build import Project, assemble, load_inputs
from zwgk.parse import CatalogParser

ROOT = Path(__file__).resolve().parents[1]
HAMI = ROOT / "data" / "sources" / "hami-2024-social-insurance.txt"

TITLE = "## 测试市社会保险领域政务公开标准目录（2024年）"
COMPILER = "编制单位：市人力资源和社会保障局"
HEADER = "\t".join(
    ["序号", "公开事项", "", "", "公开内容 (要素)", "公开依据", "公开时限", "公开主体", "公开渠道和载体",
     "公开对象", "", "公开方式", "", "公开层级", "咨询及监督 举报电话"]
)
SUBHEADER = "\t".join(["", "主项", "子项", "二级子项", "", "", "", "", "", "全社会", "特定群体", "主动", "依申请", "", ""])


def page(*rows: str) -> str:
    """One page of a catalog: the repeated header block, then rows."""
    return "\n".join(["", TITLE, "", COMPILER, "", HEADER, SUBHEADER, *rows]) + "\n"


def row(number, names=("", "", ""), content="1. 事项名称 2. 事项简述",
        basis="《中华人民共和国政府信息公开条例》（中华人民共和国国务院令 第711号）",
        deadline="信息形成或者变更之日起20个工作日内", agency="市人力资源和社会保障局",
        channels="■政府网站", marks=("√", "", "√", ""), level="市级", phone="0902-2321695", shift_before=0, shift_after=0):
    cells = [str(number)] + [""] * shift_before + list(names) + [""] * shift_after
    cells += [content, basis, deadline, agency, channels, *marks, level, phone]
    return "\t".join(cells)


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def inputs(project):
    return load_inputs(project)


@pytest.fixture(scope="session")
def parser(inputs) -> CatalogParser:
    return CatalogParser(inputs[0])


@pytest.fixture(scope="session")
def hami_result(project):
    """The graph of the real source, built once."""
    return assemble(project)


@pytest.fixture(scope="session")
def hami_items(hami_result):
    return {item.number: item for item in hami_result.catalogs[0].record.items}


@pytest.fixture
def scratch_project(tmp_path) -> Project:
    """A copy of the project's inputs that a test may change."""
    for sub in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / sub, tmp_path / sub, ignore=shutil.ignore_patterns("build"))
    return Project(tmp_path)


@pytest.fixture(scope="session")
def web_state(project):
    """The app state over the real build, opened once (the build is made if missing)."""
    from zwgk.web.settings import Settings
    from zwgk.web.state import AppState

    return AppState.open(Settings(), project)


@pytest.fixture(scope="session")
def client(web_state):
    """An in-process client of the app over the real build."""
    from fastapi.testclient import TestClient

    from zwgk.web.app import create_app

    return TestClient(create_app(web_state.settings, web_state))


REVISED = ROOT / "tests" / "fixtures" / "editions" / "hami-2024-social-insurance-revised.txt"


def _copy_inputs(dest: Path) -> Project:
    for sub in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / sub, dest / sub, ignore=shutil.ignore_patterns("build"))
    return Project(dest)


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Project:
    """A copy of the project's inputs, built once (no shapes: no validation), for in-process CLI runs."""
    from zwgk.build import build

    project = _copy_inputs(tmp_path_factory.mktemp("built"))
    build(project)
    return project


@pytest.fixture(scope="session")
def two_editions(tmp_path_factory) -> Project:
    """The Hami 2024 catalog and its derived revision (tests/fixtures/editions) loaded side by side:
    the revision is a second catalog with its own IRIs that `revises` the first. Built once."""
    from zwgk.build import build

    project = _copy_inputs(tmp_path_factory.mktemp("editions"))
    shutil.copy(REVISED, project.data / "sources" / REVISED.name)
    with (project.data / "catalogs.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[catalog]]\nid = "hami-2024-social-insurance-revised"\n'
                 f'file = "sources/{REVISED.name}"\nformat = "pdf-tsv"\njurisdiction = "hami"\n'
                 'publisher = "hami-hrss"\ndomain_zh = "社会保险"\ndomain_en = "Social insurance"\nyear = 2024\n'
                 'revises = "hami-2024-social-insurance"\n')
    build(project)
    return project


CATALOG_FIXTURES = ROOT / "tests" / "fixtures" / "catalogs"
# the county and township test catalogs (made up for tests: tests/fixtures/catalogs/README.md), as a user adds them
ADD_COUNTY = ["add", str(CATALOG_FIXTURES / "yiwu-2024-social-insurance.csv"), "--id", "yiwu-2024-social-insurance",
              "--jurisdiction", "yiwu", "--domain", "社会保险", "--year", "2024",
              "--publisher-zh", "伊吾县人力资源和社会保障局", "--title", "伊吾县社会保险领域基层政务公开标准目录（2024年）"]
ADD_TOWNSHIP = ["add", str(CATALOG_FIXTURES / "dqw-2024-social-insurance.txt"), "--id", "daquanwan-2024-social-insurance",
                "--jurisdiction", "daquanwan", "--jurisdiction-zh", "大泉湾乡", "--jurisdiction-en", "Daquanwan Township",
                "--jurisdiction-level", "township", "--parent", "yizhou", "--domain", "社会保险", "--year", "2024"]


def copy_project(target: Path) -> Project:
    """A copy of the project's inputs (not its build) at ``target``."""
    for sub in ("data", "ontology", "shapes", "queries"):
        shutil.copytree(ROOT / sub, target / sub, ignore=shutil.ignore_patterns("build"))
    return Project(target)


@pytest.fixture(scope="session")
def multi_project(tmp_path_factory) -> Project:
    """A project with three catalogs: Hami's (prefecture, PDF-extracted TSV), a county's
    (CSV) and a township's (one cell per line, traditional characters), added with
    ``zwgk add`` and built."""
    from zwgk.build import build
    from zwgk.cli import main

    project = copy_project(tmp_path_factory.mktemp("multi"))
    for args in (ADD_COUNTY, ADD_TOWNSHIP):
        assert main(["--root", str(project.root), *args]) == 0
    build(project)
    return project
