"""Bad files (issue #8): each gives an error naming the file, and the line and
cell where there is one; the previous good build is untouched. (A running
server that keeps serving through a failed rebuild: tests/web/test_hardening_server.py.)"""

from __future__ import annotations

import pytest

from conftest import page, row
from zwgk.build import Project, assemble, build
from zwgk.cli import main
from zwgk.records import SourceError

SOURCE = "sources/hami-2024-social-insurance.txt"


def error_of(parser, data: bytes) -> SourceError:
    with pytest.raises(SourceError) as err:
        parser.parse_bytes(data, "bad.txt")
    assert err.value.file == "bad.txt"
    return err.value


def where(err: SourceError) -> tuple:
    return err.line, (err.cell + 1 if err.cell is not None else None)


GOOD = page(row(1, ("甲", "", "")), row(2, ("乙", "", ""))).encode("utf-8")


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"  \n\t\r\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(256)) * 4, "binary"),
    ("\ufeff".encode("utf-16-le") + "序号".encode("utf-16-le"), "UTF-16"),
])
def test_empty_and_binary_files(parser, data, words):
    assert words in str(error_of(parser, data))


def test_a_gbk_file_names_line_and_cell_and_says_it_is_gbk(parser):
    lines = page(row(1, ("甲", "", "")), row(2, ("乙", "", ""))).split("\n")
    cells = lines[8].split("\t")  # line 9: item 2
    encoded = [c.encode("gbk") if i == 7 else c.encode("utf-8") for i, c in enumerate(cells)]  # its agency cell
    data = "\n".join(lines[:8]).encode("utf-8") + b"\n" + b"\t".join(encoded) + b"\n"
    err = error_of(parser, data)
    assert where(err) == (9, 8)
    assert "not UTF-8" in str(err) and "this cell decodes as GBK while the file is mostly UTF-8" in str(err)
    assert "bad.txt, line 9, cell 8" in str(err)


def test_a_whole_gbk_file_is_recognised(parser):
    err = error_of(parser, page(row(1, ("甲", "", ""))).encode("gbk"))
    assert "the file decodes as GBK" in str(err) and err.line is not None


def test_a_bom_is_accepted_and_a_bom_with_gbk_is_not(parser):
    assert len(parser.parse_bytes(b"\xef\xbb\xbf" + GOOD, "bom.txt").items) == 2
    err = error_of(parser, b"\xef\xbb\xbf" + page(row(1, ("甲", "", ""))).encode("gbk"))
    assert "not UTF-8" in str(err)


def test_truncated_in_the_middle_of_a_character_keeps_the_complete_rows(parser):
    cut = GOOD[: GOOD.rindex("乙".encode()) + 1]  # one byte of a three-byte character
    record = parser.parse_bytes(cut, "cut.txt")
    assert [i.number for i in record.items] == [1]
    [partial] = record.partial_rows
    assert partial.line == 9 and partial.cells < partial.expected


@pytest.mark.parametrize("keep", [3, 6, 9])
def test_truncated_in_the_middle_of_a_row_keeps_the_complete_rows_and_reports_the_cut_one(parser, keep):
    text = GOOD.decode("utf-8").rstrip("\n")
    last = text.split("\n")[-1]
    cut = text[: len(text) - len(last)] + "\t".join(last.split("\t")[:keep])
    record = parser.parse_bytes(cut.encode("utf-8"), "cut.txt")
    assert [i.number for i in record.items] == [1]
    [partial] = record.partial_rows
    assert (partial.line, partial.cells, partial.expected) == (9, keep, 15)


def test_truncated_inside_the_last_cell(parser):
    text = GOOD.decode("utf-8").rstrip("\n")
    err = error_of(parser, text[:-4].encode("utf-8"))  # "0902-2321695" cut to "0902-232"
    assert where(err) == (9, 15) and "phone" in str(err)


def test_a_file_cut_at_a_line_end_is_read_as_far_as_it_goes(parser):
    text = GOOD.decode("utf-8")
    first_row_only = text[: text.index("\n2\t") + 1]
    assert [i.number for i in parser.parse_bytes(first_row_only.encode(), "cut.txt").items] == [1]


def test_repeated_item_numbers_name_both_lines(parser):
    err = error_of(parser, page(row(1, ("甲", "", "")), row(2, ("乙", "", "")), row(1, ("丙", "", ""))).encode())
    assert where(err) == (10, 1) and "repeated" in str(err) and "line 8" in str(err)


def test_an_enormous_file_is_refused_by_the_size_limit(parser, scratch_project):
    from zwgk.parse import CatalogParser

    small = CatalogParser(_codelists(parser), max_bytes=100)
    with pytest.raises(SourceError, match="max_source_bytes"):
        small.parse_bytes(GOOD, "big.txt")
    # the build checks the size before it reads the file
    src = scratch_project.data / SOURCE
    with open(src, "ab") as fh:
        fh.truncate(200_000_000)  # a sparse 200 MB file: never read
    with pytest.raises(SourceError) as err:
        assemble(Project(scratch_project.root, max_source_bytes=10_000_000))
    assert err.value.file == SOURCE and "200000000 bytes" in str(err.value)


def _codelists(parser):
    return {"channel": parser.channels, "level": parser.levels, "audience": parser.audiences, "mode": parser.modes}


def test_a_missing_source_file_names_it(scratch_project):
    (scratch_project.data / SOURCE).unlink()
    with pytest.raises(SourceError) as err:
        assemble(scratch_project)
    assert err.value.file == SOURCE and "cannot read" in str(err.value)


ERRATUM = '''# a comment
[[erratum]]
catalog = "hami-2024-social-insurance"
item = {item}
field = "contactPhone"
source = "0902-2321695"
corrected = "0902-2321696"
reason = "test"
'''


def test_an_erratum_naming_an_item_that_does_not_exist_names_its_line(scratch_project):
    (scratch_project.data / "errata.toml").write_text(ERRATUM.format(item=1) + "\n" + ERRATUM.format(item=99),
                                                     encoding="utf-8")
    with pytest.raises(SourceError) as err:
        assemble(scratch_project)
    assert err.value.file == "errata.toml" and err.value.line == 13
    assert "names item 99" in str(err.value) and "errata.toml, line 13" in str(err.value)


def test_an_erratum_file_that_is_not_toml_names_its_line(scratch_project):
    (scratch_project.data / "errata.toml").write_text(ERRATUM.format(item=1) + "item = [unclosed\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        assemble(scratch_project)
    assert err.value.file == "errata.toml" and err.value.line == 9


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Project:
    """A copy of the project, built once; each test below damages it and puts it back."""
    import shutil

    from conftest import ROOT

    root = tmp_path_factory.mktemp("built")
    for sub in ("data", "ontology", "queries", "shapes"):
        shutil.copytree(ROOT / sub, root / sub, ignore=shutil.ignore_patterns("build"))
    project = Project(root)
    build(project)
    return project


@pytest.mark.parametrize("damage", ["truncate", "truncate-late", "gbk", "empty", "duplicate", "erratum"])
def test_a_bad_file_leaves_the_previous_build_untouched(built, damage, capsys):
    before = {p.name: p.read_bytes() for p in built.build_dir.iterdir()}
    src, errata = built.data / SOURCE, built.data / "errata.toml"
    data, errata_text = src.read_bytes(), errata.read_bytes()
    try:
        if damage == "truncate":  # cut inside the first row: nothing complete is left
            src.write_bytes(data[: data.index(b"\n1\t") + 40])
        elif damage == "truncate-late":  # cut inside item 73: the complete rows must not replace the good build
            src.write_bytes(data[:91000])
        elif damage == "gbk":
            src.write_bytes(data.decode("utf-8").encode("gb18030"))
        elif damage == "empty":
            src.write_bytes(b"")
        elif damage == "duplicate":
            lines = data.decode("utf-8").split("\n")
            src.write_text("\n".join(lines + [lines[-1]]), encoding="utf-8")
        else:
            errata.write_text(ERRATUM.format(item=999), encoding="utf-8")
        status = main(["--root", str(built.root), "build"])
    finally:
        src.write_bytes(data)
        errata.write_bytes(errata_text)
    assert status == 2
    message = capsys.readouterr().err
    assert message.startswith("zwgk: error: ") and message.count("\n") == 1
    assert ("errata.toml" if damage == "erratum" else SOURCE) in message
    if damage != "empty":
        assert "line " in message
    if damage == "truncate-late":
        assert "line 250, cell 7:" in message and "stops inside this row" in message and "truncated" in message
    after = {p.name: p.read_bytes() for p in built.build_dir.iterdir()}
    assert after == before
    assert [p.name for p in built.data.iterdir() if p.name.startswith(".")] == []
