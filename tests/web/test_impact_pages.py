"""GET /impact/{instrument} and GET /diff: the same analyses as the CLI, by content negotiation."""

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.compare import isomorphic

from zwgk.web.app import create_app
from zwgk.web.settings import Settings
from zwgk.web.state import AppState
from zwgk.workdays import coverage

ROOT_EDITIONS = "tests/fixtures/editions"
HANDLING = "social-insurance-handling-regulation"
ITEMS_765 = [6, 9, 30, 31, 32, 33, 34, 37]


def test_impact_html(client):
    r = client.get(f"/impact/{HANDLING}?date=2025-09-30", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    rows = re.findall(r'<tr class="impact-item" data-item="(\d+)" data-deadline="([^"]*)" data-action="update">', r.text)
    hypothetical = rows[:8]
    assert [int(n) for n, _ in hypothetical] == ITEMS_765 and {d for _, d in hypothetical} == {"2025-11-04"}
    assert 'href="/id/instrument/social-insurance-handling-regulation"' in r.text
    assert r.text.count("<svg") == 1  # the timeline
    assert 'rel="alternate"' in r.text and "format=json" in r.text and "format=csv" in r.text
    assert "民法典 第二百零一条" in r.text


@pytest.mark.parametrize("spelling", ["国务院令765号", "%E3%80%8A社会保险经办条例%E3%80%8B"])
def test_impact_json_any_spelling(client, spelling):
    r = client.get(f"/impact/{spelling}?date=2025-09-30&type=revised", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["hypothetical"]["change"]["type"] == "revision"
    assert [(i["number"], i["deadline"]) for i in doc["hypothetical"]["items"]] == [(n, "2025-11-04") for n in ITEMS_765]


def test_impact_csv(client):
    r = client.get(f"/impact/{HANDLING}?date=2025-09-30&format=csv")
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(x["number"]) for x in table] == ITEMS_765 and {x["deadline"] for x in table} == {"2025-11-04"}


def test_recorded_repeal_on_impact_and_instrument_pages(client):
    r = client.get("/impact/social-insurance-registration-measures", headers={"Accept": "application/json"})
    doc = r.json()
    assert doc["hypothetical"] is None
    repeal = next(x for x in doc["recorded"] if x["change"]["type"] == "repeal")
    assert repeal["change"]["date"] is None and repeal["change"]["confidence"] == "V"
    assert [(i["number"], i["deadline"]) for i in repeal["items"]] == [(13, None), (14, None), (15, None)]
    page = client.get("/id/instrument/social-insurance-registration-measures", headers={"Accept": "text/html"}).text
    assert 'id="change-social-insurance-registration-measures-repeal"' in page
    assert 'href="/impact/social-insurance-registration-measures"' in page
    assert [int(n) for n in re.findall(r'<tr class="impact-item" data-item="(\d+)"', page)] == [13, 14, 15]
    assert "日期不明" in page and "single source" in page


def test_instrument_page_lists_events_with_deadlines(client):
    page = client.get("/id/instrument/work-injury-insurance-regulation", headers={"Accept": "text/html"}).text
    assert 'id="change-work-injury-insurance-regulation-2010-revision"' in page
    # the 17 citing items already cite 国务院令第586号, the version the 2010 revision made: no 2011 deadline
    assert re.findall(r'data-deadline="([^"]*)"', page) == []
    assert "17 citing items already cite the version this change produced (2010)" in page
    assert page.count("<svg") == 1


def test_changes_older_than_the_catalog_are_reviews_without_deadline(client):
    doc = client.get("/impact/gov-info-disclosure-regulation", headers={"Accept": "application/json"}).json()
    revision = next(x for x in doc["recorded"] if x["change"]["type"] == "revision")
    assert [(i["number"], i["action"], i["deadline"]) for i in revision["items"]] == [
        (n, "review", None) for n in range(1, 6)]  # 1-5 cite the regulation without a number
    assert revision["already_current"] == 69 and "issued in 2024, after this change" in revision["items"][0]["reason"]
    page = client.get("/impact/gov-info-disclosure-regulation", headers={"Accept": "text/html"}).text
    assert page.count('data-action="review"') == 5 and "待核查" in page


def test_recorded_changes_as_csv(client):
    r = client.get("/impact/social-insurance-registration-measures?format=csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["change"].rsplit("/", 1)[-1], x["number"], x["action"]) for x in table] == [
        ("social-insurance-registration-measures-repeal", n, "update") for n in ("13", "14", "15")]


def test_timeline_shows_partial_dates(client):
    from zwgk.web import svg

    drawn = svg.timeline([("2014", "人社部发〔2014〕103号", "promulgation", None), ("2015-01", "国发〔2015〕2号", "promulgation", None)])
    assert "2014 人社部发〔2014〕103号" in drawn and "2015-01 国发〔2015〕2号" in drawn
    assert "2014-01-01" not in drawn and "2015-01-01" not in drawn and "无日期" not in drawn
    page = client.get("/impact/construction-work-injury-opinion", headers={"Accept": "text/html"}).text
    assert "2014 人社部发〔2014〕103号" in page


@pytest.mark.parametrize("query, status, words", [
    ("?date=2025-02-30", 400, "not a date"),
    (f"?date={coverage().last_year + 1}-01-05", 400, "outside the official holiday calendar"),
    (f"?date={coverage().first_year - 1}-12-31", 400, "before the official holiday calendar"),
    ("?date=2025-09-30&type=abolished", 400, "type"),
    ("?type=repealed", 400, "give its date"),
])
def test_impact_errors(client, query, status, words):
    r = client.get(f"/impact/{HANDLING}{query}", headers={"Accept": "application/json"})
    assert r.status_code == status and words in r.json()["error"]["message"]


def test_impact_unknown_instrument_and_format(client):
    assert client.get("/impact/无此文件").status_code == 404
    assert client.get(f"/impact/{HANDLING}", headers={"Accept": "image/png"}).status_code == 406


@pytest.fixture(scope="module")
def editions_client(two_editions):
    state = AppState.open(Settings(), two_editions)
    return TestClient(create_app(state.settings, state))


def test_diff_page(editions_client):
    r = editions_client.get("/diff?old=hami-2024-social-insurance&new=hami-2024-social-insurance-revised",
                            headers={"Accept": "text/html"})
    assert r.status_code == 200
    kinds = re.findall(r'data-kind="(\w+)" data-old="(\d*)" data-new="(\d*)"', r.text)
    assert kinds == [("renamed", "2", "2"), ("changed", "13", "13"), ("changed", "64", "64"),
                     ("removed", "75", ""), ("added", "", "75")]
    assert 'href="/id/catalog/hami-2024-social-insurance-revised/item/75"' in r.text
    assert "0902-2256352" in r.text and 'href="/id/instrument/social-insurance-handling-regulation"' in r.text


def test_diff_json_and_turtle(editions_client):
    url = "/diff?old=hami-2024-social-insurance&new=hami-2024-social-insurance-revised"
    doc = editions_client.get(url, headers={"Accept": "application/json"}).json()
    assert doc["counts"]["changed"] == 2 and doc["counts"]["citations_added"] == 3
    ttl = editions_client.get(url + "&format=turtle")
    assert ttl.headers["content-type"].startswith("text/turtle")
    golden = Graph().parse(f"{ROOT_EDITIONS}/hami-2024-social-insurance-revised.diff.ttl")
    assert isomorphic(Graph().parse(data=ttl.text, format="turtle"), golden)


def test_diff_errors(editions_client):
    assert editions_client.get("/diff").status_code == 400
    r = editions_client.get("/diff?old=hami-2024-social-insurance&new=../../etc/passwd")
    assert r.status_code == 404 and "not a catalog id" in r.json()["error"]["message"]


def test_impact_sees_both_editions(editions_client):
    doc = editions_client.get("/impact/国务院令765号?date=2025-09-30", headers={"Accept": "application/json"}).json()
    cats = {(i["catalog_id"], i["number"]) for i in doc["hypothetical"]["items"]}
    assert ("hami-2024-social-insurance-revised", 75) in cats and ("hami-2024-social-insurance", 75) not in cats
    assert len(cats) == 18


@pytest.mark.parametrize("instrument", ["work-injury-insurance-regulation", "gov-info-disclosure-regulation",
                                        "social-insurance-law", "social-insurance-contribution-regulation"])
def test_an_amended_instrument_has_no_repeal_on_its_timeline(client, instrument):
    """The acts that amended it (eli:amends) are the events of the versions they made, never a repeal."""
    page = client.get(f"/id/instrument/{instrument}", headers={"Accept": "text/html"}).text
    timeline = page[page.index("<svg"):page.index("</svg>")]
    assert "废止" not in timeline and "repeal" not in timeline.lower()
    repealed = client.get("/id/instrument/social-insurance-registration-measures", headers={"Accept": "text/html"}).text
    assert "repeal" in repealed.lower()
