"""Named queries over HTTP: listing, running, negotiation, errors."""

import csv
import io


def test_list(client):
    doc = client.get("/queries").json()
    names = {q["name"] for q in doc["queries"]}
    assert {"items-citing", "items-on-channel", "instrument-usage"} <= names
    citing = next(q for q in doc["queries"] if q["name"] == "items-citing")
    assert citing["parameters"][0]["name"] == "instrument" and citing["example"] == {"instrument": "国务院令765号"}


def test_items_citing_as_csv(client):
    r = client.get("/queries/items-citing", params={"instrument": "国务院令765号"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    numbers = [int(row["number"]) for row in csv.DictReader(io.StringIO(r.text))]
    assert numbers == [6, 9, 30, 31, 32, 33, 34, 37]


def test_negotiation_and_override(client):
    r = client.get("/queries/items-on-channel", params={"channel": "政府网站"},
                   headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9"})
    assert r.headers["content-type"].startswith("application/sparql-results+xml")
    r = client.get("/queries/items-on-channel", params={"channel": "政府网站", "format": "json"}, headers={"Accept": "text/csv"})
    assert [int(b["number"]["value"]) for b in r.json()["results"]["bindings"]] == [1, 2, 3, 4, 5, 26]
    r = client.get("/queries/instrument-usage", headers={"Accept": "text/tab-separated-values"})
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    assert client.get("/queries/instrument-usage", headers={"Accept": "image/png"}).status_code == 406


def test_errors_are_4xx_with_the_one_shape(client):
    for url, params, status, words in [
        ("/queries/items-citing", {}, 400, "needs the parameter"),
        ("/queries/items-citing", {"instrument": "无此文件"}, 400, "无此文件"),
        ("/queries/items-citing", {"instrument": "国务院令765号", "x": "1"}, 400, "no parameter x"),
        ("/queries/nope", {}, 404, "no named query"),
        ("/queries/items-citing", {"instrument": "国务院令765号", "format": "png"}, 400, "not available"),
    ]:
        r = client.get(url, params=params)
        assert r.status_code == status, url
        err = r.json()["error"]
        assert err["status"] == status and words in err["message"]


def test_html_error_page_for_browsers(client):
    r = client.get("/queries/nope", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no named query" in r.text
