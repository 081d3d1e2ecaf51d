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


# ------------------------------------------------------------------ conditional requests

URL = "/queries/items-citing?instrument=%E5%9B%BD%E5%8A%A1%E9%99%A2%E4%BB%A4765%E5%8F%B7"
TYPES = ("text/csv", "application/sparql-results+json", "application/sparql-results+xml")


def test_each_representation_has_its_own_etag(client):
    answers = {t: client.get(URL, headers={"Accept": t}) for t in TYPES}
    assert all(r.status_code == 200 and r.headers["last-modified"] for r in answers.values())
    assert len({r.headers["etag"] for r in answers.values()}) == len(TYPES)
    # each validator stands for its own representation only
    csv_tag = answers["text/csv"].headers["etag"]
    again = client.get(URL, headers={"Accept": "text/csv", "If-None-Match": csv_tag})
    assert again.status_code == 304 and again.headers["etag"] == csv_tag and again.content == b""
    assert client.get(URL, headers={"Accept": "application/sparql-results+json", "If-None-Match": csv_tag}).status_code == 200
    assert client.get(URL + "&format=csv", headers={"If-None-Match": f"W/{csv_tag}, \"x\""}).status_code == 304


def test_if_modified_since(client):
    modified = client.get(URL, headers={"Accept": "text/csv"}).headers["last-modified"]
    assert client.get(URL, headers={"Accept": "text/csv", "If-Modified-Since": modified}).status_code == 304
    assert client.get(URL, headers={"Accept": "text/csv", "If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status_code == 200


def test_bad_parameters_are_400_even_with_a_validator(client):
    r = client.get("/queries/items-citing", params={"instrument": "无此文件"}, headers={"If-None-Match": "*"})
    assert r.status_code == 400 and "无此文件" in r.json()["error"]["message"]


def test_head(client):
    get, head = client.get(URL, headers={"Accept": "text/csv"}), client.head(URL, headers={"Accept": "text/csv"})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == get.headers["etag"]
    assert client.head("/queries").status_code == 200


def test_limit_and_offset_page_through_the_answer(client):
    url = "/queries/items-citing"
    instrument = {"instrument": "国务院令711号"}
    whole = [int(r["number"]) for r in csv.DictReader(io.StringIO(client.get(url, params={**instrument, "format": "csv"}).text))]
    pages = []
    for offset in (0, 30, 60):
        r = client.get(url, params={**instrument, "format": "csv", "limit": "30", "offset": str(offset)})
        assert r.status_code == 200
        pages += [int(row["number"]) for row in csv.DictReader(io.StringIO(r.text))]
    assert pages == whole and len(whole) == 74
    assert len(client.get("/queries/co-citation").json()["results"]["bindings"]) == 10  # the query's own LIMIT
    assert len(client.get("/queries/co-citation", params={"limit": "12"}).json()["results"]["bindings"]) == 12


def test_bad_or_repeated_paging_is_400(client):
    for params, words in ((("limit", "ten"),), "limit must be a whole number"), \
                         ((("offset", "-5"),), "offset must be a whole number"), \
                         ((("limit", "1"), ("limit", "2")), "'limit' is given more than once"):
        r = client.get("/queries/co-citation", params=list(params))
        assert r.status_code == 400 and words in r.json()["error"]["message"], r.text
