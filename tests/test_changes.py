"""Change events (data/changes.toml): loaded, checked, and in the graph with ELI relations."""

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from conftest import ROOT
from zwgk.changes import load_changes
from zwgk.graph import BASE, ELI, ZWGK
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
