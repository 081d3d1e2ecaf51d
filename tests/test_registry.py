"""The citation resolver: every spelling of one instrument resolves to it, once."""

import pytest

from zwgk.citations import parse_citation
from zwgk.registry import Instrument, Registry, ResolutionError

HANDLING = "social-insurance-handling-regulation"


@pytest.fixture(scope="module")
def registry(inputs):
    return inputs[1]


@pytest.mark.parametrize("text", [
    "国务院令第765号", "国务院令765号", "中华人民共和国国务院令 第765号", "中华人民共和国国务院令第765号",
    "国务院令 第765号", "765号令", "社会保险经办条例", "《社会保险经办条例》", "《社会保险经办条例》（国务院令第765号）",
])
def test_every_spelling_of_765(registry, text):
    assert registry.resolve_text(text).instrument.id == HANDLING


@pytest.mark.parametrize("text", ["人社部发〔2015〕32号", "人社部发[2015]32号", "人社部发（2015）32号", "人社部发(2015)32号", "人社部发﹝2015﹞32号"])
def test_year_bracket_spellings(registry, text):
    assert registry.resolve_text(text).instrument.id == "civil-service-pension-handling-procedures-notice"


@pytest.mark.parametrize("text, version", [
    ("《工伤保险条例》（国务院令第375号）", "2003"),
    ("《工伤保险条例》（中华人民共和国国务院令586号）", "2010"),
    ("国务院令第586号", "2010"),
    ("《社会保险费征缴暂行条例》（国务院令 710号）", "2019"),
    ("《中华人民共和国政府信息公开条例》（国务院令第711号）", "2019"),
    ("《中华人民共和国政府信息公开条例》（国务院令第492号）", "2007"),
])
def test_the_decree_that_promulgated_or_amended_names_the_work_and_its_version(registry, text, version):
    res = registry.resolve(parse_citation(1, text))
    assert res.version is not None and res.version.id == version
    assert res.instrument.id in {"work-injury-insurance-regulation", "social-insurance-contribution-regulation", "gov-info-disclosure-regulation"}


def test_titles_with_or_without_the_state_prefix(registry):
    assert registry.resolve_text("社会保险法").instrument.id == registry.resolve_text("《中华人民共和国社会保险法》").instrument.id == "social-insurance-law"


def test_version_from_the_dates_of_a_note(registry):
    res = registry.resolve(parse_citation(1, "《中华人民共和国社会保险法》（2010年10月28日…通过，根据2018年12月29日…修正）"))
    assert (res.instrument.id, res.version.id, res.method) == ("social-insurance-law", "2018", "title")


def test_a_small_title_typo_when_the_number_matches(registry):
    text = "《国务院办公厅关于转发人力资源社会保障部财政部城镇企业职工基本养老保险关系转移接续暂行办的通知》（国办发〔2009〕66号）"
    res = registry.resolve(parse_citation(1, text))
    assert res.instrument.id == "enterprise-pension-transfer-measures-notice"
    assert res.method == "number, title differs"


def test_standard_number_with_any_edition_is_the_same_work(registry):
    for year in (2015, 2016, 2021):
        res = registry.resolve(parse_citation(8, f"LD/T 33—{year}《社会保障卡读写终端规范》"))
        assert res.instrument.id == "social-security-card-terminal-specification"
        assert res.instrument.editions == [2015]


def test_conflicts_and_unknowns_are_errors(registry):
    with pytest.raises(ResolutionError, match="names"):
        registry.resolve(parse_citation(1, "《失业保险条例》（国务院令第765号）"))
    with pytest.raises(ResolutionError, match="too different"):
        registry.resolve(parse_citation(1, "《关于某事的通知》（人社部发〔2015〕32号）"))
    with pytest.raises(ResolutionError, match="no instrument"):
        registry.resolve_text("国务院令第999号")
    with pytest.raises(ResolutionError, match="no instrument in the registry has the number 国务院令第999号"):
        registry.resolve(parse_citation(1, "《某某条例》（国务院令第999号）"))  # neither title nor number known
    with pytest.raises(ResolutionError):
        registry.resolve_text("  ")


@pytest.mark.parametrize("text", ["《失业保险条例》（国务院令999号）", "《失业保险条例》（人社部发〔2099〕1号）", "《失业保险条例》（999号令）"])
def test_a_known_title_with_an_unknown_number_resolves_by_its_title(registry, text):
    """The number is kept (citedNumber) and the method says it is unknown, for the report to warn."""
    c = parse_citation(3, text)
    res = registry.resolve(c)
    assert (res.instrument.id, res.method, res.version) == ("unemployment-insurance-regulation", "title, number unknown", None)
    assert c.number not in {n for n in [res.instrument.number, *(v.number for v in res.instrument.versions)]}


@pytest.mark.parametrize("text, instrument, method", [
    # the whole text as one title: 《》 where the registry has 〈〉, an issuer before 关于
    ("关于印发《机关事业单位工作人员基本养老保险经办规程》的通知", "civil-service-pension-handling-procedures-notice", "title"),
    ("人力资源社会保障部财政部关于印发《城乡养老保险制度衔接暂行办法》的通知", "pension-scheme-connection-measures-notice", "title"),
    # a title without 《》 and its number, in brackets or apart by a space, on either side
    ("工伤保险条例（国务院令第586号）", "work-injury-insurance-regulation", "number+title"),
    ("社会保险经办条例（国务院令第765号）", HANDLING, "number+title"),
    ("社会保险经办条例 中华人民共和国国务院令 第765号", HANDLING, "number+title"),
    ("国务院令765号 社会保险经办条例", HANDLING, "number+title"),
    ("领取社会保险待遇资格确认经办规程（暂行）（人社厅发〔2018〕107号）", "benefit-eligibility-confirmation-procedures", "number+title"),
    ("关于印发《机关事业单位工作人员基本养老保险经办规程》的通知（人社部发[2015]32号）",
     "civil-service-pension-handling-procedures-notice", "number+title"),
    ("LD/T 33—2016 社会保障卡读写终端规范", "social-security-card-terminal-specification", "number+title"),
    # traditional characters
    ("國務院令第765號", HANDLING, "number"),
    ("社會保險經辦條例", HANDLING, "title"),
    ("《社會保險經辦條例》（中華人民共和國國務院令 第765號）", HANDLING, "number+title"),
])
def test_common_ways_of_typing_a_name(registry, text, instrument, method):
    res = registry.resolve_text(text)
    assert (res.instrument.id, res.method) == (instrument, method)


def test_typed_versions_are_those_of_the_number(registry):
    assert registry.resolve_text("工伤保险条例（国务院令第586号）").version.id == "2010"
    assert registry.resolve_text("工伤保险条例 375号令").version.id == "2003"
    assert registry.resolve_text("國務院令第586號").version.id == "2010"


@pytest.mark.parametrize("text, words", [
    ("关于印发《工伤保险条例》的通知", "cannot read '关于印发的通知'"),  # another document, not the regulation
    ("某条例（国务院令第999号）", "cannot read '某条例'"),
    ("工伤保险条例（国务院令第586号 另有说明）", "cannot read"),
    ("失业保险条例（国务院令第765号）", "names 社会保险经办条例"),  # title and number disagree: never guessed
    ("工伤保险条例 国务院令第765号", "names 社会保险经办条例"),
    ("社会保险经办条例 另有说明", "no instrument"),
    ("國務院令第999號", "no instrument in the registry has the number 国务院令第999号"),
])
def test_what_cannot_be_read_or_is_ambiguous_is_refused(registry, text, words):
    with pytest.raises(ResolutionError, match=words):
        registry.resolve_text(text)


@pytest.mark.parametrize("text, instrument", [
    ("人社部令第8号", "work-injury-determination-measures"),
    ("人力资源社会保障部令第8号", "work-injury-determination-measures"),
    ("中华人民共和国人力资源和社会保障部令第8号", "work-injury-determination-measures"),
    ("《社会保险个人权益记录管理办法》（人社部令第14号）", "social-insurance-personal-rights-records-measures"),
    ("劳社部令第1号", "social-insurance-registration-measures"),
    ("劳动保障部令第1号", "social-insurance-registration-measures"),
])
def test_a_decree_number_may_name_its_issuer_by_a_short_name(registry, text, instrument):
    # data/agencies.toml gives each agency's short names; the registry writes the full ones
    assert registry.resolve_text(text).instrument.id == instrument


def test_short_issuer_names_are_read_only_where_they_are_one_agencys():
    from zwgk.refdata import Agency
    from zwgk.registry import issuer_names

    agencies = [Agency("a", "甲市人力资源和社会保障局", aliases=("市人社局",)),
                Agency("b", "乙市人力资源和社会保障局", aliases=("市人社局",)),
                Agency("c", "丙部", aliases=("丙",))]
    names = issuer_names(agencies)
    assert "市人社局" not in names  # two agencies' short name: neither
    assert names["丙"] == "丙部" and names["丙部"] == "丙部"
    decree = Instrument(id="d", type="regulation", issuers=["c"], source="catalog", title="某办法", number="丙部令第3号")
    registry = Registry([decree], names)
    assert registry.resolve_text("丙令第3号").instrument.id == "d"
    assert Registry([decree]).number_key("丙令第3号") == "丙令3号"  # without the agencies, not read
    with pytest.raises(ResolutionError, match="no instrument in the registry has the number 丙令第4号"):
        registry.resolve_text("丙令第4号")


def test_a_key_claimed_twice_is_refused():
    a = Instrument(id="a", type="law", issuers=[], source="catalog", title="同名条例")
    b = Instrument(id="b", type="law", issuers=[], source="catalog", title="《同名条例》")
    with pytest.raises(ValueError, match="claimed by both"):
        Registry([a, b])


def test_registry_covers_every_instrument_once(registry):
    ids = [i.id for i in registry.instruments]
    assert len(ids) == len(set(ids))
    keys = [k for i in registry.instruments for k in i.lookup_keys()]
    assert len(keys) == len(set(keys))
