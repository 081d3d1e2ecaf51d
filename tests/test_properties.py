"""Property-based tests (issue #8) with Hypothesis: the parser and the citation
resolver never crash, whatever text they are given (only ``SourceError`` and
``ResolutionError`` come out); the normal forms are idempotent; every accepted
spelling of a registry instrument resolves to that instrument.

Accepted spellings (README, "Finding an instrument however it is written"):
the number with or without 第, with the 中华人民共和国 prefix, year brackets
〔〕 [] （） () ﹝﹞ 【】, 765号令 for a State Council decree; the title with or
without 《》, a 〈〉 inside it written 《》; the title, with or without 《》,
followed by the number in brackets, or title and number apart by a space in
either order; traditional characters for any of these; stray spaces (ASCII,
ideographic or tabs) anywhere except inside a run of ASCII letters and
digits, where a space separates two tokens ("LD/T 32", not "L D/T 32")."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from opencc import OpenCC

from conftest import HAMI, ROOT
from zwgk.build import Project, load_inputs
from zwgk.citations import canonical_number, parse_basis
from zwgk.header import simplified
from zwgk.parse import CatalogParser
from zwgk.records import SourceError
from zwgk.registry import ResolutionError, load_registry
from zwgk.text import as_written, clean_label, lookup_key, unwrap

REGISTRY = load_registry(ROOT / "data" / "instruments.toml")
PARSER = CatalogParser(load_inputs(Project(ROOT))[0])
HAMI_LINES = HAMI.read_text(encoding="utf-8").split("\n")

TRADITIONAL = OpenCC("s2t")
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))

# pieces of the texts these functions meet, so that random text often looks like the real thing
PIECES = ["中华人民共和国", "国务院令", "主席令", "令", "第", "号", "号令", "〔", "〕", "[", "]", "（", "）", "(", ")",
          "﹝", "﹞", "【", "】", "《", "》", "〈", "〉", "“", "”", '"', "'", "<", ">", " ", "　", "\t", "\n", "765", "2015",
          "七百六十五", "三十五", "LD/T", "32", "—", "-", "人社部发", "国发", "社会保险经办条例", "工伤保险条例", "1.",
          "2、", "根据", "年", "月", "日", "修正", "\u0301", "´", "ﾟ", "０", "Ａ"]
TEXT = st.one_of(st.text(max_size=60), st.lists(st.sampled_from(PIECES), max_size=25).map("".join))


# ------------------------------------------------------------------ normal forms

@FAST
@given(TEXT)
@example("中华人民共和国中华人民共和国国务院令")
@example("A´")
def test_lookup_key_is_idempotent(text):
    key = lookup_key(text)
    assert lookup_key(key) == key


@FAST
@given(TEXT)
def test_unwrap_is_idempotent(text):
    assert unwrap(unwrap(text)) == unwrap(text)


@FAST
@given(TEXT)
@example("令 \n 第")
def test_as_written_is_idempotent_and_unwraps_like_unwrap(text):
    written = as_written(text)
    assert as_written(written) == written
    assert unwrap(written) == unwrap(text)  # it only keeps spaces that unwrap would remove


@FAST
@given(TEXT)
@example(") 0")
def test_clean_label_is_idempotent(text):
    label = clean_label(text)
    assert clean_label(label) == label


@FAST
@given(TEXT)
def test_canonical_number_is_idempotent(text):
    number = canonical_number(text)
    if number is not None:
        assert canonical_number(number) == number


# ------------------------------------------------------------------ never crash

@FAST
@given(TEXT)
def test_the_resolver_answers_or_says_why_not(text):
    try:
        REGISTRY.resolve_text(text)
    except ResolutionError as exc:
        assert str(exc)
    for citation in parse_basis(text):
        try:
            REGISTRY.resolve(citation)
        except ResolutionError:
            pass


ROW_PIECES = st.sampled_from(["\t", "\n", "\r", "■", "□", "√", "《", "》", "（", "）", "工作日", "之日起", "序号", "主项",
                              "## ", "编制单位：", "1. ", "0902-2321695", "国务院令第765号", "〔2015〕", "市级", "12",
                              '<input type="checkbox" checked>', "政府网站", "x", " "])


@st.composite
def damaged_sources(draw) -> str:
    """The Hami source with lines cut, dropped, repeated, shuffled or spliced with pieces."""
    lines = list(HAMI_LINES)
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["cut", "drop", "repeat", "splice", "shuffle-cells", "drop-cell"]))
        if how == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif how == "drop":
            del lines[i]
        elif how == "repeat":
            lines.insert(i, lines[i])
        elif how == "splice":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + "".join(draw(st.lists(ROW_PIECES, max_size=6))) + lines[i][at:]
        else:
            cells = lines[i].split("\t")
            if how == "shuffle-cells":
                draw(st.randoms(use_true_random=False)).shuffle(cells)
            elif cells:
                del cells[draw(st.integers(0, len(cells) - 1))]
            lines[i] = "\t".join(cells)
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


@FAST
@given(st.one_of(damaged_sources(), st.lists(ROW_PIECES, max_size=80).map("".join), st.text(max_size=300)))
def test_the_parser_reads_or_names_the_fault(text):
    try:
        record = PARSER.parse_text(text, "fuzz.txt")
    except SourceError as exc:
        assert exc.file == "fuzz.txt" and str(exc).startswith("fuzz.txt")
    else:
        assert record.items


@FAST
@given(st.one_of(damaged_sources().map(lambda t: t.encode("utf-8")), st.binary(max_size=400),
                 damaged_sources().map(lambda t: t.encode("gb18030"))))
def test_the_parser_reads_or_names_the_fault_in_any_bytes(data):
    try:
        PARSER.parse_bytes(data, "fuzz.txt")
    except SourceError as exc:
        assert exc.file == "fuzz.txt"


# ------------------------------------------------------------------ spellings

BRACKETS = [("〔", "〕"), ("[", "]"), ("（", "）"), ("(", ")"), ("﹝", "﹞"), ("【", "】")]
SPACES = [" ", "  ", "　", "\t"]


def spaced(draw, text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        inside_token = i > 0 and text[i - 1].isascii() and ch.isascii()
        if not inside_token and draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(SPACES)))
        out.append(ch)
    return "".join(out)


@st.composite
def spellings(draw):
    """(instrument, a spelling of it that the resolver accepts, the plain spelling of the same:
    the registry's number, title, or 《title》（number）)."""
    instrument = draw(st.sampled_from(REGISTRY.instruments))
    kinds = [k for k, ok in (("number", instrument.number), ("title", instrument.title),
                             ("both", instrument.number and instrument.title)) if ok]
    kind = draw(st.sampled_from(kinds))

    def number() -> str:
        n = instrument.number
        if m := re.fullmatch(r"(.*?)〔(\d{4})〕(\d+号)", n):
            opening, closing = draw(st.sampled_from(BRACKETS))
            n = f"{m.group(1)}{opening}{m.group(2)}{closing}{m.group(3)}"
        if "令第" in n and draw(st.booleans()):
            n = n.replace("令第", "令")
        if "令" in n and draw(st.booleans()):
            n = "中华人民共和国" + n
        if (m := re.fullmatch(r"国务院令第(\d+)号", instrument.number)) and draw(st.integers(0, 3)) == 0:
            n = f"{m.group(1)}号令"
        return spaced(draw, n)

    def title() -> str:
        t = instrument.title
        if "〈" in t and draw(st.booleans()):  # 关于印发《X》的通知 for the registry's 关于印发〈X〉的通知
            t = t.replace("〈", "《").replace("〉", "》")
        elif draw(st.booleans()):
            t = f"《{t}》"
        return spaced(draw, t)

    plain = {"number": instrument.number, "title": instrument.title,
             "both": f"《{instrument.title}》（{instrument.number}）"}[kind]
    if kind == "number":
        text = number()
    elif kind == "title":
        text = title()
    else:
        how = draw(st.sampled_from(["brackets", "title first", "number first"]))
        if how == "brackets":
            opening, closing = draw(st.sampled_from([("（", "）"), ("(", ")")]))
            text = title() + opening + number() + closing
        else:
            space = draw(st.sampled_from(SPACES))
            text = title() + space + number() if how == "title first" else number() + space + title()
    if draw(st.integers(0, 3)) == 0:
        text = TRADITIONAL.convert(text)
    return instrument, text, plain


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(spellings())
@example((REGISTRY.by_id["gov-info-disclosure-regulation"], "《中华人民共和国政府信息公开条例》（中华人民共和国国务院令 第711号）", None))
@example((REGISTRY.by_id["social-insurance-handling-regulation"], "765号令", None))
@example((REGISTRY.by_id["work-injury-insurance-regulation"], "工伤保险条例（国务院令第586号）", None))
@example((REGISTRY.by_id["civil-service-pension-handling-procedures-notice"], "关于印发《机关事业单位工作人员基本养老保险经办规程》的通知", None))
@example((REGISTRY.by_id["social-insurance-handling-regulation"], "社會保險經辦條例 國務院令第765號", None))
def test_every_accepted_spelling_resolves_to_its_instrument(case):
    instrument, text, _ = case
    note(repr(text))
    try:
        found = REGISTRY.resolve_text(text)
    except ResolutionError as exc:
        pytest.fail(f"{text!r} is not resolved: {exc}")
    assert found.instrument.id == instrument.id


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(spellings())
@example((REGISTRY.by_id["work-injury-insurance-regulation"], "工伤保险条例 (國務院令 375號)", "《工伤保险条例》（国务院令第375号）"))
def test_every_accepted_spelling_resolves_the_same_way(case):
    """A spelling gives the instrument, version and method that its plain spelling gives."""
    instrument, text, plain = case
    note(repr(text))
    found, expected = REGISTRY.resolve_text(text), REGISTRY.resolve_text(plain)
    assert (found.instrument.id, found.version, found.method) == (expected.instrument.id, expected.version, expected.method)
