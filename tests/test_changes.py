"""Change events (data/changes.toml): loaded, checked, and in the graph with ELI relations."""

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from conftest import ROOT
from zwgk.changes import load_changes
from zwgk.graph import BASE, ELI, ZWGK
from zwgk.registry import load_registry
from zwgk.records import SourceError


def inst(i):
    return URIRef(BASE + "instrument/" + i)


@pytest.fixture(scope="module")
def events(inputs):
    return load_changes(ROOT / "data" / "changes.toml", inputs[1])


def test_recorded_history(events):
    by_id = {e.id: e for e in events}
    repeal = by_id["social-insurance-registration-measures-repeal"]
    assert (repeal.type, repeal.by, repeal.date, repeal.confidence) == ("repeal", "mohrss-order-39", None, "V")
    assert "single source" in repeal.confidence_note
    revision = by_id["gov-info-disclosure-regulation-2019-revision"]
    assert (revision.act, revision.date, revision.date_in_force) == ("国务院令第711号", "2019-04-03", "2019-05-15")
    assert by_id["social-insurance-contribution-regulation-2019-amendment"].confidence == "S"  # No. 710: S
    assert {e.confidence for e in events} <= {"V", "S"}  # recollections are left out
    assert "price-subsidy-linkage-notice" not in {e.instrument for e in events}  # superseded in practice only


def _write(tmp_path, body):
    path = tmp_path / "changes.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("body, words", [
    ('[[change]]\nid = "x"\ntype = "repeal"\ninstrument = "失业保险条例"\nconfidence = "V"\n', "not in data/instruments.toml"),
    ('[[change]]\nid = "x"\ntype = "repeal"\ninstrument = "unemployment-insurance-regulation"\nconfidence = "R"\n', "recollections"),
    ('[[change]]\nid = "x"\ntype = "abolition"\ninstrument = "unemployment-insurance-regulation"\nconfidence = "V"\n', "not one of"),
    ('[[change]]\nid = "x"\ntype = "revision"\ninstrument = "work-injury-insurance-regulation"\nversion = "2010"\n'
     'date = "2010-12-21"\nconfidence = "V"\n', "disagrees with version 2010"),
    ('[[change]]\nid = "x"\ntype = "repeal"\ninstrument = "unemployment-insurance-regulation"\ndate = 2020-01-01\n'
     'confidence = "V"\n', "quoted string"),
])
def test_bad_events_are_refused_with_the_fix(tmp_path, inputs, body, words):
    with pytest.raises(SourceError, match=words):
        load_changes(_write(tmp_path, body), inputs[1])


def test_events_in_the_graph(hami_result):
    g = hami_result.graph
    repeal = URIRef(BASE + "change/social-insurance-registration-measures-repeal")
    assert (repeal, RDF.type, ZWGK.ChangeEvent) in g
    assert g.value(repeal, ZWGK.changeEventType) == URIRef(BASE + "change-type/repeal")
    assert g.value(repeal, ZWGK.affectedInstrument) == inst("social-insurance-registration-measures")
    assert g.value(repeal, ZWGK.affectingInstrument) == inst("mohrss-order-39")
    assert g.value(repeal, ZWGK.changeDate) is None  # unknown, not guessed
    assert str(g.value(repeal, ZWGK.confidence)) == "V"
    assert (inst("mohrss-order-39"), ELI.repeals, inst("social-insurance-registration-measures")) in g
    assert (inst("social-insurance-registration-measures"), ZWGK.changeEvent, repeal) in g
    revision = URIRef(BASE + "change/work-injury-insurance-regulation-2010-revision")
    assert g.value(revision, ZWGK.changeDate) == Literal("2010-12-20", datatype=XSD.date)
    assert g.value(revision, ZWGK.resultingVersion) == inst("work-injury-insurance-regulation") + "/version/2010"
    assert g.value(URIRef(BASE + "change/construction-work-injury-opinion-2014-promulgation"),
                   ZWGK.changeDate) == Literal("2014", datatype=XSD.gYear)  # the precision known


def test_versions_follow_each_other(hami_result):
    g = hami_result.graph
    v2003 = inst("work-injury-insurance-regulation") + "/version/2003"
    assert g.value(URIRef(v2003), DCTERMS.isReplacedBy) == URIRef(inst("work-injury-insurance-regulation") + "/version/2010")
    assert g.value(URIRef(inst("social-insurance-handling-regulation") + "/version/2023"), DCTERMS.isReplacedBy) is None


def test_amending_acts_in_the_graph_with_eli_relations(hami_result):
    """The acts that made the changes are eli:LegalResource with only the known facts, and amend what they changed."""
    g = hami_result.graph
    law, regulation = inst("social-insurance-law"), inst("work-injury-insurance-regulation")
    for act, affected in [("state-council-decree-586", regulation), ("state-council-decree-711", inst("gov-info-disclosure-regulation")),
                          ("state-council-decree-710", inst("social-insurance-contribution-regulation")),
                          ("npcsc-decision-2018-social-insurance-law", law)]:
        for forward, inverse in ((ELI.amends, ELI.amended_by), (ELI.changes, ELI.changed_by)):
            assert (inst(act), forward, affected) in g and (affected, inverse, inst(act)) in g, act
        assert (inst(act), RDF.type, ELI.LegalResource) in g
        assert g.value(inst(act), ZWGK.lookupKey) is None  # never found from a citation or a lookup
    decree = inst("state-council-decree-586")
    assert str(g.value(decree, ELI.title)) == "国务院关于修改〈工伤保险条例〉的决定"
    assert str(g.value(decree, ELI.id_local)) == "国务院令第586号" and str(g.value(decree, ZWGK.confidence)) == "V"
    assert g.value(decree, ELI.date_document) == Literal("2010-12-20", datatype=XSD.date)
    decision = inst("npcsc-decision-2018-social-insurance-law")
    assert str(g.value(decision, ELI.title)) == "关于修改〈中华人民共和国社会保险法〉的决定"  # the facts' wording
    assert g.value(decision, ELI.id_local) is None  # its number is a recollection (R)
    assert str(g.value(inst("state-council-decree-710"), ZWGK.confidence)) == "S"  # "No. 710": S
    assert g.value(inst("state-council-decree-711"), ELI.title) is None  # no title in the facts
    assert (inst("mohrss-order-39"), ELI.changes, inst("social-insurance-registration-measures")) in g
    # the replaced versions are no longer in force from the day the next one entered into force
    assert g.value(URIRef(regulation + "/version/2003"), ELI.date_no_longer_in_force) == Literal("2011-01-01", datatype=XSD.date)
    gov = inst("gov-info-disclosure-regulation")
    assert g.value(URIRef(gov + "/version/2007"), ELI.date_no_longer_in_force) == Literal("2019-05-15", datatype=XSD.date)
    assert g.value(URIRef(law + "/version/2010"), ELI.date_no_longer_in_force) is None  # 2018 in force: not found


def test_acts_do_not_take_citations(inputs):
    """国务院令第586号 still names 工伤保险条例 in its 2010 version, not the decree."""
    registry = inputs[1]
    for text, instrument, version in [("国务院令第586号", "work-injury-insurance-regulation", "2010"),
                                      ("国务院令第711号", "gov-info-disclosure-regulation", "2019"),
                                      ("国务院令第710号", "social-insurance-contribution-regulation", "2019")]:
        res = registry.resolve_text(text)
        assert (res.instrument.id, res.version.id) == (instrument, version)
    assert "state-council-decree-586" not in registry.by_id


@pytest.mark.parametrize("body, words", [
    ('[[act]]\nid = "a"\nnumber = "国务院令第1号"\ntype = "law"\nissuers = ["state-council"]\nconfidence = "V"\n', "not the `by` of any change"),
    ('[[act]]\nid = "work-injury-insurance-regulation"\nnumber = "国务院令第1号"\ntype = "law"\nissuers = ["x"]\nconfidence = "V"\n', "already used"),
    ('[[act]]\nid = "a"\ntype = "law"\nissuers = ["x"]\nconfidence = "V"\n', "title or its number"),
    ('[[act]]\nid = "a"\nnumber = "国务院令第1号"\ntype = "law"\nissuers = ["x"]\nconfidence = "R"\n', "recollections"),
    ('[[change]]\nid = "x"\ntype = "repeal"\ninstrument = "unemployment-insurance-regulation"\nby = "nobody"\nconfidence = "V"\n',
     "nor an [[act]]"),
])
def test_bad_acts_are_refused(tmp_path, inputs, body, words):
    with pytest.raises(SourceError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_changes(_write(tmp_path, body), inputs[1])


def test_registry_states_only_the_facts():
    """instrument-facts.md: 765's number is S; 431 is R (unverified); LD/T 32/33 are recommended standards,
    with no in-force claim; the labour-insurance date in force is what the catalog says."""
    registry = load_registry(ROOT / "data" / "instruments.toml")
    handling = registry.by_id["social-insurance-handling-regulation"]
    assert [(v.id, v.number, v.confidence) for v in handling.versions] == [("2023", "国务院令第765号", "S")]
    price = registry.by_id["price-subsidy-linkage-notice"]
    assert [(v.number, v.confidence) for v in price.versions] == [("发改价格〔2011〕431号", "R")]
    for standard in ("social-security-card-specification", "social-security-card-terminal-specification"):
        assert registry.by_id[standard].in_force is None
    labour = registry.by_id["labour-insurance-regulation"]
    assert labour.date_in_force == "1951-02-26" and "the catalog states" in labour.confidence_note
    source = (ROOT / "data" / "sources" / "hami-2024-social-insurance.txt").read_text(encoding="utf-8")
    assert "自1951年02月26日起施行" in source


def test_number_confidence_in_the_graph(hami_result):
    g = hami_result.graph
    price = URIRef(inst("price-subsidy-linkage-notice") + "/version/2011")
    assert str(g.value(price, ELI.id_local)) == "发改价格〔2011〕431号" and str(g.value(price, ZWGK.confidence)) == "R"
    assert str(g.value(URIRef(inst("social-insurance-handling-regulation") + "/version/2023"), ZWGK.confidence)) == "S"
    assert g.value(inst("social-security-card-specification"), ELI.in_force) is None
