import pytest

from zwgk.web.errors import BadRequest, NotAcceptable
from zwgk.web.negotiation import PAGE, RDF, RESULTS, choose, parse_accept


def test_q_values_order():
    assert [m for m, _, _ in parse_accept("text/csv;q=0.5, application/json, */*;q=0.1")] == [
        "application/sparql-results+json", "text/csv", "*/*"]


def test_choose():
    assert choose(RESULTS, None).name == "json"
    assert choose(RESULTS, "text/csv;q=0.5, application/sparql-results+xml;q=0.9").name == "xml"
    assert choose(RESULTS, "text/*").name == "csv"
    assert choose(RDF, "application/rdf+xml, text/turtle;q=0.8").name == "rdfxml"
    assert choose(PAGE, "text/html,application/xhtml+xml,*/*;q=0.8").name == "html"
    assert choose(RDF, "*/*").name == "turtle"
    assert choose(RESULTS, "text/csv", override="tsv").name == "tsv"
    assert choose(RESULTS, "text/csv;q=0, */*").name == "json"


def test_refusals():
    with pytest.raises(NotAcceptable):
        choose(RESULTS, "image/png")
    with pytest.raises(BadRequest):
        choose(RESULTS, None, override="pdf")


def test_several_accept_lines_are_one_list_and_the_first_format_wins(client):
    """RFC 9110: Accept: a and Accept: b mean Accept: a, b (only the first line was read)."""
    headers = [("Accept", "text/csv;q=0.1"), ("Accept", "application/sparql-results+xml")]
    for path in ("/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201", "/queries/instrument-usage"):
        r = client.get(path, headers=headers)
        assert r.headers["content-type"].startswith("application/sparql-results+xml"), path
    for path in ("/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201", "/queries/instrument-usage"):
        r = client.get(path + ("&" if "?" in path else "?") + "format=tsv&format=csv")
        assert r.headers["content-type"].startswith("text/tab-separated-values"), path
