"""Impact analysis (zwgk impact): every item citing an instrument, with its deadline."""

import json

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from zwgk.backends import OxigraphBackend
from zwgk.build import sorted_ntriples
from zwgk.cli import main
from zwgk.graph import BASE, ZWGK
from zwgk.changes import ChangeEvent
from zwgk.impact import ImpactError, analyse, as_csv, as_dict, assess, recorded_events, resolve, what_if
from zwgk.queries import QueryRunner
from zwgk.workdays import coverage

ITEMS_765 = [6, 9, 30, 31, 32, 33, 34, 37]
CAT = BASE + "catalog/hami-2024-social-insurance"


def runner_for(graph, inputs):
    backend = OxigraphBackend()
    backend.store.load(sorted_ntriples(graph), format=ox.RdfFormat.N_TRIPLES)
    return QueryRunner(backend, inputs[1], inputs[0])


@pytest.fixture(scope="module")
def runner(hami_result, inputs):
    return runner_for(hami_result.graph, inputs)


@pytest.mark.parametrize("spelling", ["社会保险经办条例", "国务院令765号", "《社会保险经办条例》",
                                      "social-insurance-handling-regulation"])
def test_what_if_across_national_day(runner, inputs, spelling):
    impact = what_if(runner, inputs[1], spelling, "2025-09-30")
    assert [it.number for it in impact.items] == ITEMS_765
    assert {it.deadline.iso for it in impact.items} == {"2025-11-04"}  # 10-01…10-08 off, 10-11 worked
    assert all(it.catalog_id == "hami-2024-social-insurance" and it.working_days == 20 for it in impact.items)
    assert impact.event.hypothetical and impact.event.type == "amendment"


def test_types_and_formats(runner, inputs):
    impact = what_if(runner, inputs[1], "失业保险条例", "2026-02-13", "repealed")
    assert impact.event.type == "repeal"
    doc = as_dict(impact)
    assert [i["number"] for i in doc["items"]] == [64, 65, 66, 67, 68]
    assert {i["deadline"] for i in doc["items"]} == {"2026-03-19"}  # across Spring Festival 2026
    assert doc["calendar"]["package"] == "chinesecalendar" and "民法典 第二百零一条" in doc["rule"]
    lines = as_csv(impact).splitlines()
    assert lines[0] == "catalog,item,number,name,working_days,action,deadline,reason,cited_versions"
    assert lines[1].startswith(f"hami-2024-social-insurance,{CAT}/item/64,64,")


@pytest.mark.parametrize("date, words", [
    ("2025-02-30", "not a date"), ("30/09/2025", "not a date"), ("1999-01-04", "before the official holiday calendar"),
])
def test_bad_dates(runner, inputs, date, words):
    with pytest.raises(ImpactError, match=words):
        what_if(runner, inputs[1], "社会保险经办条例", date)


def test_date_before_coverage_says_so(runner, inputs):
    """A year before the calendar's first is not waiting for the State Council's arrangements."""
    first = coverage().first_year
    with pytest.raises(ImpactError) as info:
        what_if(runner, inputs[1], "社会保险经办条例", f"{first - 1}-12-31")
    message = str(info.value)
    assert "before the official holiday calendar" in message and f"from {first}-01-01 on" in message
    assert "Update the package" not in message and "once the State Council" not in message


def test_date_beyond_coverage_is_refused(runner, inputs):
    year = coverage().last_year + 1
    with pytest.raises(ImpactError, match=f"outside the official holiday calendar.*covers .*{year}"):
        what_if(runner, inputs[1], "社会保险经办条例", f"{year}-03-02")


def test_deadline_running_past_the_calendar_gives_no_date(runner, inputs):
    last = coverage().last_year
    impact = what_if(runner, inputs[1], "社会保险经办条例", f"{last}-12-20")
    assert all(it.deadline.date is None and "official calendar" in it.deadline.reason for it in impact.items)


def test_an_item_without_deadline_gets_no_date(hami_result, inputs):
    g = hami_result.graph
    lacking = type(g)()
    item6 = URIRef(f"{CAT}/item/6")
    for t in g:
        if not (t[0] == item6 and t[1] == ZWGK.deadlineWorkingDays):
            lacking.add(t)
    impact = what_if(runner_for(lacking, inputs), inputs[1], "社会保险经办条例", "2025-09-30")
    six = next(it for it in impact.items if it.number == 6)
    assert six.deadline.date is None and "no deadline" in six.deadline.reason
    assert all(it.deadline.iso == "2025-11-04" for it in impact.items if it.number != 6)


def test_recorded_repeal_without_date(runner):
    inst = BASE + "instrument/social-insurance-registration-measures"
    events = dict(recorded_events(runner, inst))
    repeal = events[BASE + "change/social-insurance-registration-measures-repeal"]
    impact = analyse(runner, inst, repeal)
    assert [it.number for it in impact.items] == [13, 14, 15]
    assert all(it.deadline.date is None and "not known" in it.deadline.reason for it in impact.items)
    promulgation = events[BASE + "change/social-insurance-registration-measures-1999-promulgation"]
    assert analyse(runner, inst, promulgation).items == []


def test_cli_impact(built_project, capsys):
    root = str(built_project.root)
    assert main(["--root", root, "impact", "社会保险经办条例", "--date", "2025-09-30"]) == 0
    out = capsys.readouterr().out
    assert "hypothetical amendment" in out and "(8 items)" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("hami-2024-social-insurance ")]
    assert [int(r[1]) for r in rows] == ITEMS_765 and {(r[4], r[5]) for r in rows} == {("update", "2025-11-04")}
    assert main(["--root", root, "impact", "国务院令765号", "--date", "2025-09-30", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["items"]) == 8
    assert main(["--root", root, "impact", "社会保险登记管理暂行办法"]) == 0  # the recorded events
    out = capsys.readouterr().out
    assert "recorded repeal" in out and "date unknown" in out and "confidence V" in out


def test_cli_impact_errors(built_project, capsys):
    root = str(built_project.root)
    year = coverage().last_year + 1
    for args, words in [
        (["--date", f"{year}-01-04"], "outside the official holiday calendar"),
        (["--date", "2025-13-01"], "not a date"),
        (["--type", "repealed"], "give its --date"),
    ]:
        assert main(["--root", root, "impact", "社会保险经办条例", *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("zwgk: error:") and words in err and "Traceback" not in err
    assert main(["--root", root, "impact", "无此文件", "--date", "2025-09-30"]) == 2
    assert "no instrument" in capsys.readouterr().err


WORK_INJURY = {"2003": "2003-04-27", "2010": "2010-12-20"}
REVISION_2010 = ChangeEvent(id="r", type="revision", instrument="work-injury-insurance-regulation", version="2010",
                            date="2010-12-20")


@pytest.mark.parametrize("cited, year, action, due", [
    (["2010"], 2024, None, None),  # cites the version the change made: not affected
    (["2010"], 2010, None, None),
    ([None, "2010"], 2024, None, None),
    (["2003", "2010"], 2024, "update", None),  # the replaced text is still named once: to correct, no deadline
    (["2003", "2010"], 2010, "update", "2011-01-18"),
    ([None], 2024, "review", None),  # a catalog younger than the change, no version named: review
    (["2003"], 2024, "update", None),  # a replaced version named: update (correct it), no 2011 deadline
    ([None], 2010, "update", "2011-01-18"),  # a catalog of the change's year: 20 working days, New Year off
    (["2003"], None, "update", "2011-01-18"),
])
def test_which_items_a_change_affects(cited, year, action, due):
    found = assess(REVISION_2010, cited, WORK_INJURY, year, 20)
    assert (found and found.action, found and found.deadline.iso) == (action, due)
    if year == 2024 and action:
        assert "issued in 2024, after this change (2010-12-20)" in found.deadline.reason
        assert ("replaced (2003): correct it" in found.deadline.reason) == ("2003" in cited)


def test_a_what_if_dated_before_the_cited_text_affects_nothing():
    """国务院令765号 made 社会保险经办条例 on 2023-08-16: a change 'on 2004-01-01' cannot touch a 2024 citation of it."""
    early = ChangeEvent(id="w", type="amendment", instrument="social-insurance-handling-regulation", date="2004-01-01")
    assert assess(early, ["2023"], {"2023": "2023-08-16"}, 2024, 20) is None
    late = ChangeEvent(id="w", type="amendment", instrument="social-insurance-handling-regulation", date="2025-09-30")
    assert assess(late, ["2023"], {"2023": "2023-08-16"}, 2024, 20).deadline.iso == "2025-11-04"


def test_recorded_changes_older_than_the_catalog(runner, inputs):
    """工伤保险条例: the 17 items cite 国务院令第586号, the version the 2010 revision made (no 2011 deadline);
    社会保险法: the items cite the 2018 text; 政府信息公开条例: items 1-5 name no version (review)."""
    for name, current, reviews in [("工伤保险条例", 17, []), ("中华人民共和国社会保险法", 67, []),
                                   ("中华人民共和国政府信息公开条例", 69, [1, 2, 3, 4, 5])]:
        inst = resolve(inputs[1], name)
        [impact] = [analyse(runner, inst, e) for _, e in recorded_events(runner, inst) if e.updates_citations]
        assert impact.current == current and [it.number for it in impact.items] == reviews, name
        assert all(it.action == "review" and it.deadline.date is None for it in impact.items)
    assert "17 citing items already cite the version this change produced (2010)" in impact_note(runner, inputs)


def impact_note(runner, inputs):
    inst = resolve(inputs[1], "工伤保险条例")
    return next(analyse(runner, inst, e).note for _, e in recorded_events(runner, inst) if e.updates_citations)


def test_cli_impact_csv_of_the_recorded_changes(built_project, capsys):
    """Without --date the recorded changes are analysed, in CSV too (as GET /impact serves them).
    Needs cli.py to write impact.recorded_csv instead of refusing --format csv without --date."""
    assert main(["--root", str(built_project.root), "impact", "社会保险登记管理暂行办法", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "change,catalog,item,number,name,working_days,action,deadline,reason,cited_versions"
    assert [line.split(",")[3] for line in lines[1:]] == ["13", "14", "15"]
    assert all(line.startswith(BASE + "change/social-insurance-registration-measures-repeal,") for line in lines[1:])
