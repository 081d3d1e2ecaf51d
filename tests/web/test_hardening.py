"""Hardening (issue #8), in process: bounded queries (time, result size, request
size, rate), writes closed to other sites, clean failures in the one error
shape, and the security headers of every answer. The same limits on a real
server process are in ``test_hardening_server.py``; escaping of source text
in pages is in ``test_hardening_pages.py``."""

from __future__ import annotations

import json
import logging
import os
import threading
import time

import pytest
from fastapi.testclient import TestClient

from zwgk.backends import StoreError
from zwgk.web import sparql as sparql_module
from zwgk.web.limits import PAGE_POLICY, RateLimit, script_hashes
from zwgk.web.settings import Settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 10¹¹ rows, no output until done
CROSS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # the same, written out row by row
ASK_ANY = "ASK { ?s ?p ?o }"
DIRECT = {"Content-Type": "application/sparql-query"}
UPDATE = {"Content-Type": "application/sparql-update"}
INSERT = 'INSERT DATA { <http://example.org/s> <http://example.org/p> "hardening" }'
ASK_INSERTED = 'ASK { <http://example.org/s> <http://example.org/p> "hardening" }'
TOKEN = "hardening-token-7f3a9c"


def shape(r) -> dict:
    """The one error shape, checked; its inner object returned."""
    assert r.headers["content-type"].startswith("application/json"), r.text
    doc = r.json()
    assert set(doc) == {"error"} and set(doc["error"]) == {"status", "title", "message"}, doc
    assert doc["error"]["status"] == r.status_code
    assert doc["error"]["message"]
    return doc["error"]


def wait_for(condition, seconds: float = 20.0) -> None:
    """Wait until ``condition()`` holds (a bounded wait for another thread, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the condition did not come true in time")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# ------------------------------------------------------------------ time

@pytest.mark.slow
def test_a_runaway_query_is_stopped_while_other_clients_are_answered(make_client):
    c = make_client(query_timeout=4, query_workers=2)  # room for the other requests on a loaded machine
    pool = c.app.state.query_pool
    assert c.get("/sparql", params={"query": ASK_ANY}).json()["boolean"] is True  # a worker is up
    answer = {}
    runaway = threading.Thread(target=lambda: answer.setdefault("r", c.get("/sparql", params={"query": RUNAWAY})))
    runaway.start()
    wait_for(lambda: len(pool.busy) == 1)
    [stuck] = pool.busy
    served_while_running = 0
    for _ in range(3):
        r = c.get("/queries/instrument-usage")
        assert r.status_code == 200 and r.json()["results"]["bindings"]
        served_while_running += runaway.is_alive()
    r = c.get("/sparql", params={"query": ASK_ANY})  # ad-hoc queries go on, on another worker
    assert r.status_code == 200
    served_while_running += runaway.is_alive()
    runaway.join(30)
    assert served_while_running == 4, "the other requests were answered while the runaway query ran"
    r = answer["r"]
    assert r.status_code == 503
    err = shape(r)
    assert err["title"] == "Query Timeout"
    assert "4 s" in err["message"] and "query_timeout" in err["message"] and "stopped" in err["message"]
    assert not alive(stuck), "the worker that ran the runaway query was killed"
    assert stuck not in pool.processes
    assert c.get("/sparql", params={"query": ASK_ANY}).json()["boolean"] is True  # a new worker takes its place


@pytest.mark.slow
def test_when_every_worker_is_stuck_the_next_query_is_503_not_a_hang(make_client):
    c = make_client(query_timeout=1.5, query_workers=1)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(c.get("/sparql", params={"query": RUNAWAY})))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in answers) == [503, 503]
    messages = " ".join(shape(r)["message"] for r in answers)
    assert "query_timeout" in messages
    assert c.get("/sparql", params={"query": ASK_ANY}).status_code == 200


def test_a_worker_killed_from_outside_is_replaced(make_client):
    import signal

    c = make_client(query_workers=1)
    assert c.get("/sparql", params={"query": ASK_ANY}).status_code == 200
    pool = c.app.state.query_pool
    [pid] = pool.processes
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: _exited(pid))
    r = c.get("/sparql", params={"query": ASK_ANY})
    assert r.status_code == 200 and r.json()["boolean"] is True, r.text
    assert pool.processes and pid not in pool.processes


def _exited(pid: int) -> bool:
    """Every thread of the process has ended (it can be reaped); it is not reaped here."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def test_a_worker_out_of_memory_is_503_naming_the_setting(make_client):
    c = make_client(query_memory_mb=1)  # too little even to load the data
    r = c.get("/sparql", params={"query": ASK_ANY})
    assert r.status_code == 503
    assert "query_memory_mb" in shape(r)["message"]


class Slow:
    """A store (not the embedded Oxigraph one) whose queries wait until released."""

    def __init__(self, inner):
        self.inner, self.release = inner, threading.Event()

    def query(self, *args, **kwargs):
        self.release.wait(10)
        return self.inner.query(*args, **kwargs)


def slowed(make_client, wrapper=None, **settings):
    """A client whose store holds every query (or, with ``wrapper=SlowUpdates``, every update)
    until ``store.release`` is set (at most 10 s)."""
    held = {}

    def hook(state):
        held["store"] = state.backend = (wrapper or Slow)(state.backend)

    client = make_client(state_hook=hook, **settings)
    return client, held["store"]


@pytest.mark.parametrize("workers", [4, 0])
def test_queries_on_other_stores_still_have_the_time_limit(make_client, workers):
    # another store, or query_workers = 0: in the server process, answered 503 at the limit,
    # and the message says that the query could not be stopped
    c, store = slowed(make_client, query_workers=workers, query_timeout=0.2)
    try:
        r = c.get("/sparql", params={"query": ASK_ANY})
    finally:
        store.release.set()
    assert r.status_code == 503
    assert "query_timeout" in shape(r)["message"] and "cannot stop it" in shape(r)["message"]


# ------------------------------------------------------------------ result size

@pytest.mark.parametrize("workers", [4, 0])
def test_a_result_is_complete_or_refused_never_cut_short(make_client, workers):
    c = make_client(max_result_bytes=4000, query_workers=workers)
    small = c.get("/sparql", params={"query": "SELECT ?i WHERE { ?i a zwgk:DisclosureItem } LIMIT 3"})
    assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 3
    for query in ("SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"):
        r = c.get("/sparql", params={"query": query})
        assert r.status_code == 422, r.text[:200]
        err = shape(r)
        assert err["title"] == "Result Too Large"
        assert "4000 bytes" in err["message"] and "max_result_bytes" in err["message"]
        assert "results" not in r.json() and "bindings" not in r.text


def test_the_cross_product_of_all_triples_is_refused_by_size_at_once(make_client):
    c = make_client(max_result_bytes=1_000_000)
    r = c.get("/sparql", params={"query": CROSS})
    assert r.status_code == 422 and "max_result_bytes" in shape(r)["message"]


def test_a_named_query_obeys_the_result_size_limit(make_client):
    c = make_client(max_result_bytes=2000)
    small = c.get("/queries/items-citing", params={"instrument": "人社部令第8号"})  # one item
    assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 1
    for method in ("GET", "HEAD"):
        r = c.request(method, "/queries/items-citing", params={"instrument": "国务院令711号"})  # 75 items
        assert r.status_code == 422, r.text[:200]
        if method == "GET":
            assert shape(r)["title"] == "Result Too Large" and "2000 bytes" in shape(r)["message"]
            assert "bindings" not in r.text


def test_a_named_query_past_the_time_limit_is_503_and_the_server_goes_on(make_client):
    c, store = slowed(make_client, query_timeout=0.3)
    try:
        r = c.get("/queries/items-without-phone")
        assert r.status_code == 503
        message = shape(r)["message"]
        assert "0.3 s" in message and "query_timeout" in message and "named query" in message
        assert c.get("/api").status_code == 200  # the server answers meanwhile
    finally:
        store.release.set()
    assert c.get("/queries/items-without-phone").status_code == 200  # released: answered


def test_named_query_runs_past_their_time_limit_hold_at_most_threads_places(make_client, monkeypatch):
    from zwgk.web import named

    monkeypatch.setattr(named, "THREADS", 2)
    c, store = slowed(make_client, query_timeout=0.05)
    try:
        first = [c.get("/queries/items-without-phone").status_code for _ in range(2)]
        assert first == [503, 503]  # each past its time limit, its thread still held by the store
        r = c.get("/queries/instrument-usage")
        assert r.status_code == 503 and r.headers["retry-after"]
        assert "all 2 threads for named queries are taken" in shape(r)["message"]
    finally:
        store.release.set()
    deadline = time.monotonic() + 10
    while c.get("/queries/instrument-usage").status_code != 200:  # the runs end and give their places back
        assert time.monotonic() < deadline
        time.sleep(0.05)


# ------------------------------------------------------------------ request size

def test_a_long_url_is_414_anywhere(make_client):
    c = make_client(max_url_bytes=200)
    for path in ("/sparql?query=" + "ASK%7B%7D%23" + "x" * 300, "/id/" + "x" * 300, "/queries/items-citing?instrument=" + "x" * 300):
        r = c.get(path)
        assert r.status_code == 414
        assert "max_url_bytes" in shape(r)["message"]
    r = c.get("/id/" + "x" * 300, headers={"Accept": "text/html"})
    assert r.status_code == 414 and r.headers["content-type"].startswith("text/html")
    assert c.get("/sparql", params={"query": ASK_ANY}).status_code == 200


def test_a_large_body_is_413_declared_or_streamed(make_client):
    c = make_client(max_request_bytes=1000)
    big = ("ASK {} #" + "x" * 2000).encode()
    r = c.post("/sparql", content=big, headers=DIRECT)
    assert r.status_code == 413 and "max_request_bytes" in shape(r)["message"]

    def chunks():  # no Content-Length: the limit is found while the body streams in
        for _ in range(10):
            yield b"#" + b"x" * 299 + b"\n"

    r = c.post("/sparql", content=chunks(), headers=DIRECT)
    assert r.status_code == 413 and "max_request_bytes" in shape(r)["message"]
    r = c.post("/sparql", content=b"ASK {}", headers=DIRECT)
    assert r.status_code == 200


# ------------------------------------------------------------------ rate

def test_the_rate_limit_is_off_by_default(client):
    assert Settings().rate_limit == 0
    assert all(client.get("/queries").status_code == 200 for _ in range(50))


def test_a_client_past_the_rate_limit_gets_429_with_retry_after(make_client):
    c = make_client(rate_limit=3)
    assert [c.get("/queries").status_code for _ in range(3)] == [200, 200, 200]
    assert c.get("/static/ui.js").status_code == 200  # assets are not counted
    r = c.get("/queries")
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    err = shape(r)
    assert "rate_limit" in err["message"] and "3 requests a minute" in err["message"]


def test_the_token_bucket_refills_and_keeps_clients_apart():
    now = [0.0]
    limiter = RateLimit(None, per_minute=60, clock=lambda: now[0])
    assert all(limiter.take("a") == 0 for _ in range(60))  # a burst of up to the limit
    wait = limiter.take("a")
    assert 0 < wait <= 1.0
    assert limiter.take("b") == 0  # another client has its own bucket
    now[0] += 1.0  # one token a second
    assert limiter.take("a") == 0
    assert limiter.take("a") > 0


# ------------------------------------------------------------------ writes

def test_updates_are_off_by_default_and_need_the_token_when_on(make_client, client):
    r = client.post("/sparql", content=INSERT.encode(), headers=UPDATE)
    assert r.status_code == 403 and "update_token" in shape(r)["message"]
    c = make_client(update_token=TOKEN)
    r = c.post("/sparql", content=INSERT.encode(), headers=UPDATE | {"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = c.post("/sparql", content=INSERT.encode(), headers=UPDATE | {"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204
    # the workers load the changed data before their next query
    assert c.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is True


def test_the_token_is_compared_in_constant_time(make_client, monkeypatch):
    calls = []
    real = sparql_module.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(sparql_module.hmac, "compare_digest", spy)
    c = make_client(update_token=TOKEN)
    c.post("/sparql", content=INSERT.encode(), headers=UPDATE | {"Authorization": "Bearer wrong"})
    assert calls and calls[-1][1] == TOKEN.encode()


def test_tokens_are_never_logged_nor_echoed(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    c = make_client(update_token=TOKEN)
    answers = [
        c.post("/sparql", content=INSERT.encode(), headers=UPDATE | {"Authorization": f"Bearer {TOKEN}x"}),
        c.post("/sparql", content=INSERT.encode(), headers=UPDATE | {"Authorization": f"Bearer {TOKEN}"}),
        c.post("/sparql", content=b"NOT AN UPDATE", headers=UPDATE | {"Authorization": f"Bearer {TOKEN}"}),
    ]
    assert [r.status_code for r in answers] == [401, 204, 400]
    for r in answers:
        assert TOKEN not in r.text and TOKEN not in str(r.headers)
    assert TOKEN not in caplog.text


def test_cors_is_open_to_reads_and_closed_to_writes(make_client):
    c = make_client(update_token=TOKEN)
    site = "https://other.example"
    r = c.get("/sparql", params={"query": ASK_ANY}, headers={"Origin": site})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    # a query is a read, by GET or by POST (application/sparql-query is not a "simple" type: the browser asks first)
    for path, method, asked in (("/sparql", "GET", "accept"), ("/sparql", "GET", "x-requested-with"),
                                ("/sparql", "POST", "content-type"), ("/sparql", "POST", "Content-Type, Accept"),
                                ("/queries/items-citing", "GET", "accept, x-requested-with"),
                                ("/id/catalog/hami-2024-social-insurance", "GET", "x-requested-with")):
        r = c.options(path, headers={"Origin": site, "Access-Control-Request-Method": method,
                                     "Access-Control-Request-Headers": asked})
        assert r.status_code == 200, (path, method, asked, r.text)
        assert method in r.headers["access-control-allow-methods"]
        assert r.headers["access-control-allow-origin"] == "*"
        assert "x-requested-with" in r.headers["access-control-allow-headers"].lower()
        assert "authorization" not in r.headers["access-control-allow-headers"].lower()
    r = c.post("/sparql", content=ASK_ANY.encode(), headers=DIRECT | {"Origin": site})
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert r.headers["access-control-allow-origin"] == "*"
    # what an update needs (Authorization) and the other writes are refused before they are sent
    for path, method, headers in (("/sparql", "POST", "content-type, authorization"), ("/sparql", "PUT", ""),
                                  ("/sparql", "DELETE", ""), ("/id/catalog/hami-2024-social-insurance", "POST", ""),
                                  ("/dumps/zwgk.nt", "PUT", "content-type")):
        ask = {"Origin": site, "Access-Control-Request-Method": method}
        if headers:
            ask["Access-Control-Request-Headers"] = headers
        r = c.options(path, headers=ask)
        assert r.status_code == 403, (path, method)
        assert "access-control-allow-origin" not in r.headers
        assert "reads only" in shape(r)["message"]
    # an update sent cross-origin anyway (a form POST, or one that passed the preflight) is refused, token or not
    for kwargs in ({"data": {"update": INSERT}}, {"content": INSERT.encode(), "headers": UPDATE}):
        headers = kwargs.pop("headers", {}) | {"Origin": site, "Authorization": f"Bearer {TOKEN}"}
        r = c.post("/sparql", headers=headers, **kwargs)
        assert r.status_code == 403 and "other sites" in shape(r)["message"]
    assert c.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is False
    # from the server's own pages (same origin) it goes through
    r = c.post("/sparql", data={"update": INSERT},
               headers={"Origin": "http://testserver", "Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204


def test_cors_origins_other_than_any_are_echoed_and_others_refused(make_client):
    c = make_client(cors_origins=("https://dashboard.example",))
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    r = c.options("/sparql", headers=ask | {"Origin": "https://dashboard.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://dashboard.example"
    r = c.options("/sparql", headers=ask | {"Origin": "https://other.example"})
    assert r.status_code == 403 and "cors_origins" in shape(r)["message"]


# ------------------------------------------------------------------ clean failures

class Exploding:
    """A store that fails the way a bug would, with an internal path in its message."""

    def __init__(self, inner, error):
        self.inner, self.error = inner, error

    def query(self, *args, **kwargs):
        raise self.error

    def __len__(self):
        return len(self.inner)


def crashing_client(make_client, error) -> TestClient:
    def swap(state):
        state.backend = Exploding(state.backend, error)

    c = make_client(state_hook=swap)
    return TestClient(c.app, raise_server_exceptions=False)


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_crash_shows_no_stack_trace_and_no_internal_path(make_client, accept):
    error = RuntimeError(f"boom in {ROOT}/service/zwgk/web/linked.py line 12 ({os.__file__})")
    c = crashing_client(make_client, error)
    for path in ("/id/catalog/hami-2024-social-insurance", "/sparql?query=ASK%7B%7D", "/queries/instrument-usage"):
        r = c.get(path, headers={"Accept": accept})
        assert r.status_code in (400, 406, 500, 503), (path, r.status_code)
        for leak in ("Traceback", 'File "', ROOT, os.__file__, "linked.py", "site-packages"):
            assert leak not in r.text, (path, leak)
        if accept == "text/html" and r.status_code == 500:
            assert r.headers["content-type"].startswith("text/html")
            assert "failure is logged" in r.text
            assert r.headers["x-frame-options"] == "DENY" and "content-security-policy" in r.headers
        elif accept == "application/json":
            shape(r)


def test_store_errors_reach_the_client_without_internal_paths(make_client):
    c = crashing_client(make_client, StoreError(f"IO error: {ROOT}/data/build/store/LOCK: Resource busy"))
    r = c.get("/id/catalog/hami-2024-social-insurance")
    assert r.status_code == 503
    message = shape(r)["message"]
    assert ROOT not in message and "data/build/store/LOCK" in message


def test_every_refusal_uses_the_one_error_shape(make_client):
    c = make_client(max_url_bytes=500, max_request_bytes=500, max_result_bytes=3000, rate_limit=1000)
    cases = [
        (400, c.get("/sparql", params={"query": "SELECT * WHERE { ?s"})),
        (400, c.get("/queries/items-citing", params={"instrument": "no such instrument"})),
        (403, c.post("/sparql", content=INSERT.encode(), headers=UPDATE)),
        (404, c.get("/nothing/here")),
        (404, c.get("/id/catalog/no-such-catalog")),
        (405, c.put("/sparql", content=b"x")),
        (406, c.get("/sparql", params={"query": ASK_ANY}, headers={"Accept": "image/png"})),
        (413, c.post("/sparql", content=b"#" * 600, headers=DIRECT)),
        (414, c.get("/sparql", params={"query": "#" * 600})),
        (415, c.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"})),
        (422, c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})),
    ]
    for status, r in cases:
        assert r.status_code == status, (status, r.text[:200])
        shape(r)
        assert "Traceback" not in r.text


# ------------------------------------------------------------------ headers

PAGES = ["/", "/report", "/sparql", "/queries", "/id/catalog/hami-2024-social-insurance",
         "/id/catalog/hami-2024-social-insurance/item/6", "/id/instrument/social-insurance-handling-regulation",
         "/ontology", "/api", "/nothing/here"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_the_security_headers(client, path):
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    policy = r.headers["content-security-policy"]
    assert policy == PAGE_POLICY
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    if r.headers["content-type"].startswith("text/html"):
        # what the policy forbids is not used: no inline script, no inline handler, no style attribute
        for script in r.text.split("<script")[1:]:
            assert script.lstrip().startswith("src="), script[:80]
        lowered = r.text.lower()
        assert " onclick=" not in lowered and " onload=" not in lowered and " style=" not in lowered
        assert "javascript:" not in lowered


def test_json_and_rdf_answers_carry_nosniff(client):
    for path in ("/queries", "/dumps/zwgk.nt", "/sparql?query=ASK%7B%7D"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
    r = client.get("/report.json")
    json.loads(r.text)


# ------------------------------------------------------------------ SERVICE and nesting, before parsing

SILENT_SERVICE = "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"  # port 9: never fetched


@pytest.mark.parametrize("query", [
    SILENT_SERVICE,
    "SELECT * WHERE { service<http://127.0.0.1:9/x>{ ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<http://127.0.0.1:9/x> AS ?u) SERVICE?u{ ?s ?p ?o } }",  # glued: Oxigraph reads SERVICE
    "PREFIX ex: <http://127.0.0.1:9/> SELECT * WHERE { SERVICEex:x{ ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o.SERVICE SILENT<http://127.0.0.1:9/x>{ ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE # a comment between\n <http://127.0.0.1:9/x> { ?s ?p ?o } }",
    # a less-than sign that looks like the start of an IRI, then a string that seems to hide SERVICE
    "SELECT * WHERE { ?a ?b ?c FILTER(?c<'x>') SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } 'y' ?p ?o }",
])
def test_service_is_refused_by_default(client, query):
    for r in (client.get("/sparql", params={"query": query}),
              client.post("/sparql", content=query.encode(), headers=DIRECT)):
        assert r.status_code == 400, r.text[:200]
        message = shape(r)["message"]
        assert "SERVICE" in message and "allow_service" in message and "--allow-service" in message


def test_service_in_an_update_is_refused_too(make_client):
    c = make_client(allow_unauthenticated_updates=True)
    update = "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"
    r = c.post("/sparql", content=update.encode(), headers=UPDATE)
    assert r.status_code == 400 and "allow_service" in shape(r)["message"]


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o #\rSERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } }",  # a comment ends at CR too
    "#\rLOAD <http://127.0.0.1:9/x>",
    "SELECT * WHERE { ?s ?p 1SERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } }",  # 1 then SERVICE
    "SELECT * WHERE { ?s ?p +1.5SERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p 1e5SERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p trueSERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } }",  # rdflib reads \\u escapes first
    "SELECT * WHERE { \\U00000053ERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } }",
])
def test_tokens_glued_to_service_or_load_cannot_hide_it(text):
    assert sparql_module.scan(sparql_module.unescaped(text)).service
    with pytest.raises(sparql_module.BadRequest, match="allow_service"):
        sparql_module.screen(text, "query", Settings())


def test_a_carriage_return_ends_a_comment_for_the_nesting_limit_too():
    with pytest.raises(sparql_module.BadRequest, match="brackets deep"):
        sparql_module.screen("SELECT * WHERE { #\r FILTER(" + "(" * 300 + "1" + ")" * 300 + ") }", "query", Settings())


@pytest.mark.parametrize("text", [
    "SELECT ?service ?serviceLevel WHERE { ?service cpsv:hasService ?serviceLevel }",
    "PREFIX ex: <http://e/> SELECT * WHERE { ex:aSERVICE ex:download _:service }",
    "PREFIX id: <https://w3id.org/zwgk/id/> ASK { ?i ?p id:channel\\/xinjiang-hrss-public-service-platform }",
])
def test_names_holding_the_letters_are_not_the_keyword(text):
    sparql_module.screen(text, "query", Settings())


def test_an_escaped_quote_or_hash_in_a_name_cannot_hide_service_load_or_nesting():
    """``ex:a\\'`` and ``ex:a\\#`` are names to SPARQL (escaped characters), not a string or a comment:
    what follows them is code, and the screen sees it."""
    scan = sparql_module.scan
    prefix = "PREFIX ex: <http://e/> "
    assert scan(prefix + "SELECT * WHERE { VALUES ?z { ex:a\\# } SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }").service
    assert scan(prefix + "SELECT * WHERE { VALUES ?z { ex:a\\' } SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } # ' }").service
    assert scan(prefix + "INSERT DATA { ex:a\\' ex:b ex:c } ; LOAD <http://127.0.0.1:9/x> # '").service
    assert scan(prefix + "SELECT * { FILTER(ex:a\\# " + "(" * 300 + "1" + ")" * 300 + ") }").depth > 300
    assert not scan('ASK { ?s ?p "a\\"b SERVICE" }').service  # an escaped quote inside a string stays inside


@pytest.mark.parametrize("update", [
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "LOAD SILENT <http://127.0.0.1:9/data.ttl> INTO GRAPH <http://example.org/g>",
    "load<http://127.0.0.1:9/data.ttl>",
])
def test_load_is_refused_like_service(make_client, update):
    """LOAD makes the server fetch a URL, as SERVICE does: off unless allow_service, even with updates on."""
    c = make_client(allow_unauthenticated_updates=True)
    r = c.post("/sparql", content=update.encode(), headers=UPDATE)
    assert r.status_code == 400 and "LOAD" in shape(r)["message"] and "allow_service" in shape(r)["message"]
    ok = c.post("/sparql", content=b"INSERT DATA { <http://example.org/download> <http://example.org/p> 1 }",
                headers=UPDATE)
    assert ok.status_code == 204, ok.text  # the letters of LOAD inside a longer name are not the keyword


@pytest.mark.parametrize("query", [
    'SELECT ?service WHERE { ?service a cpsv:PublicService ; skos:prefLabel "public service"@en } LIMIT 1',
    "ASK { <http://example.org/SERVICE> ?p ?o } # SERVICE <http://127.0.0.1:9/x> {}",
    "ASK { ?s <http://www.w3.org/2000/01/rdf-schema#label> 'SERVICE <http://127.0.0.1:9/x> {}' }",
    "SELECT ?serviceLevel WHERE { ?s ?p ?serviceLevel FILTER(?serviceLevel < 3) } LIMIT 1",
])
def test_the_word_service_elsewhere_is_not_the_keyword(client, query):
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 200, r.text[:300]


def test_allow_service_lets_federated_queries_through(make_client):
    c = make_client(allow_service=True)
    r = c.get("/sparql", params={"query": SILENT_SERVICE})
    assert r.status_code == 200, r.text[:300]  # SILENT: the service that cannot be asked gives one empty row


DEEP = 100_000  # about 200 KB: Oxigraph's parser overflows its stack (a segfault) long before this


@pytest.mark.parametrize("workers", [4, 0])
def test_deeply_nested_text_is_refused_before_it_is_parsed(make_client, workers):
    c = make_client(query_workers=workers, allow_unauthenticated_updates=True, max_request_bytes=1_000_000)
    deep_query = "SELECT * WHERE { BIND(" + "(" * DEEP + "1" + ")" * DEEP + " AS ?x) }"
    deep_update = "INSERT DATA { <http://example.org/s> <http://example.org/p> " + "(" * DEEP + ")" * DEEP + " }"
    deep_groups = "ASK " + "{" * 5_000 + "}" * 5_000
    for r in (c.post("/sparql", content=deep_query.encode(), headers=DIRECT),
              c.post("/sparql", content=deep_groups.encode(), headers=DIRECT),
              c.post("/sparql", content=deep_update.encode(), headers=UPDATE)):
        assert r.status_code == 400
        message = shape(r)["message"]
        assert f"more than {sparql_module.MAX_NESTING} brackets deep" in message
    # the server is still there, and ordinary nesting goes through
    shallow = "SELECT * WHERE { BIND(" + "(" * 150 + "1" + ")" * 150 + " AS ?x) }"
    r = c.post("/sparql", content=shallow.encode(), headers=DIRECT)
    assert r.status_code == 200 and r.json()["results"]["bindings"][0]["x"]["value"] == "1"


def test_brackets_in_strings_and_comments_do_not_count_and_iris_cannot_hide_them():
    scan = sparql_module.scan
    assert scan('ASK { ?s ?p "' + "(" * 500 + '" } # ' + "[" * 500).depth == 1
    assert scan("ASK { ?s ?p '''" + "{" * 500 + "''' }").depth == 1
    # balanced brackets in IRIs (DBpedia's Foo_(bar)) count inside the IRI only: they never add up
    assert scan("ASK { " + "?s <http://dbpedia.org/resource/Foo_(bar)> ?o . " * 500 + "}").depth == 2
    # a "<…>" may be a less-than sign: its brackets count, and its closers cannot cancel outer openers
    assert scan("ASK { ?s ?p (" + "(<http://x/)>" * 300 + " }").depth > 300
    assert scan("SELECT * { FILTER(?a<" + "(" * 300 + "?b>1" + ")" * 300 + ") }").depth > 300
    # a "<…>" with a quote that may open a string instead: every bracket in the text counts
    tricky = "SELECT * { ?a ?b ?c FILTER(?c<'x>') ?s ?p '" + "(" * 300 + "' }"
    assert scan(tricky).ambiguous
    with pytest.raises(sparql_module.BadRequest):
        sparql_module.screen(tricky, "query", Settings())


# ------------------------------------------------------------------ updates are bounded

RUNAWAY_UPDATE = ("INSERT { <http://example.org/s> <http://example.org/count> ?n } WHERE "
                  "{ SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }")
ASK_COUNTED = "ASK { <http://example.org/s> <http://example.org/count> ?n }"


@pytest.mark.slow
def test_a_runaway_update_is_stopped_at_the_time_limit_and_changes_nothing(make_client):
    c = make_client(query_timeout=3, query_workers=2, allow_unauthenticated_updates=True)
    answer = {}
    update = threading.Thread(target=lambda: answer.setdefault(
        "r", c.post("/sparql", content=RUNAWAY_UPDATE.encode(), headers=UPDATE)), daemon=True)
    update.start()
    update.join(60)
    assert not update.is_alive(), "the update was answered at the time limit"
    r = answer["r"]
    assert r.status_code == 503
    message = shape(r)["message"]
    assert "3 s" in message and "query_timeout" in message and "stopped" in message
    assert c.get("/sparql", params={"query": ASK_COUNTED}).json()["boolean"] is False
    # the next update is tried and applied as usual
    assert c.post("/sparql", content=INSERT.encode(), headers=UPDATE).status_code == 204
    assert c.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is True


def test_updates_on_an_on_disk_store_are_tried_on_a_copy_then_applied(make_client, tmp_path):
    c = make_client(store_path=tmp_path / "store", allow_unauthenticated_updates=True)
    assert c.post("/sparql", content=INSERT.encode(), headers=UPDATE).status_code == 204
    assert c.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is True
    r = c.post("/sparql", content=b"CLEAR XYZ", headers=UPDATE)
    assert r.status_code == 400 and "SPARQL update error" in shape(r)["message"]
    snapshots = c.app.state.query_pool.snapshots.folder
    assert snapshots is not None and not list(snapshots.glob("scratch*")), "each copy is deleted after its try"


class SlowUpdates:
    """A store whose updates wait until released (as an update that runs long would)."""

    def __init__(self, inner):
        self.inner, self.release = inner, threading.Event()

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def update(self, *args, **kwargs):
        self.release.wait(10)
        return self.inner.update(*args, **kwargs)


def test_updates_in_the_server_process_are_answered_503_at_the_limit(make_client):
    c, store = slowed(make_client, SlowUpdates, query_workers=0, query_timeout=0.2, allow_unauthenticated_updates=True)
    try:
        r = c.post("/sparql", content=INSERT.encode(), headers=UPDATE)
    finally:
        store.release.set()
    assert r.status_code == 503
    message = shape(r)["message"]
    assert "query_timeout" in message and "cannot stop it" in message


# ------------------------------------------------------------------ the CLI's serve settings

def serve_args(*extra: str):
    from zwgk.cli import make_parser

    return make_parser().parse_args(["serve", *extra])


def test_the_update_token_comes_from_a_file_or_the_environment(tmp_path):
    from zwgk.cli import UserError, serve_settings

    assert serve_settings(serve_args(), environ={}).update_token is None
    token_file = tmp_path / "token"
    token_file.write_text(f"  {TOKEN}\n", encoding="utf-8")
    settings = serve_settings(serve_args("--update-token-file", str(token_file)), environ={})
    assert settings.update_token == TOKEN and settings.updates_enabled
    assert serve_settings(serve_args(), environ={"ZWGK_UPDATE_TOKEN": TOKEN + "\n"}).update_token == TOKEN
    # an option wins over the environment
    assert serve_settings(serve_args("--update-token", "other"), environ={"ZWGK_UPDATE_TOKEN": TOKEN}).update_token == "other"
    with pytest.raises(UserError, match="not both"):
        serve_settings(serve_args("--update-token", "x", "--update-token-file", str(token_file)), environ={})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(UserError, match="empty"):
        serve_settings(serve_args("--update-token-file", str(tmp_path / "empty")), environ={})
    with pytest.raises(UserError, match="cannot read"):
        serve_settings(serve_args("--update-token-file", str(tmp_path / "missing")), environ={})


def test_the_environment_is_read_by_the_cli_only():
    for module in ("web/settings.py", "web/app.py", "web/sparql.py", "web/state.py", "web/server.py"):
        text = open(os.path.join(ROOT, "service", "zwgk", module), encoding="utf-8").read()
        assert "os.environ" not in text and "getenv(" not in text, module


def test_serve_options_for_cors_service_and_proxies():
    from zwgk.cli import serve_settings
    from zwgk.web.server import proxy_options

    settings = serve_settings(serve_args(), environ={})
    assert settings.cors_origins == ("*",) and settings.allow_service is False
    assert proxy_options(settings) == {"proxy_headers": False}  # X-Forwarded-For is not believed
    settings = serve_settings(serve_args("--cors-origin", "https://a.example", "--cors-origin", "https://b.example",
                                         "--allow-service", "--forwarded-allow-ips", "10.0.0.5"), environ={})
    assert settings.cors_origins == ("https://a.example", "https://b.example") and settings.allow_service
    assert proxy_options(settings) == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5"}


# ------------------------------------------------------------------ clean messages

def test_a_remote_store_error_names_neither_its_address_nor_its_answer(caplog):
    import httpx

    from zwgk.backends import RemoteBackend, StoreUnavailable

    secret = "http://10.1.2.3:7878/internal-query"

    def answer(request):
        return httpx.Response(500, text="java.lang.NullPointerException at /srv/fuseki/secret-config.ttl")

    remote = RemoteBackend(secret)
    remote.client = httpx.Client(transport=httpx.MockTransport(answer))
    caplog.set_level(logging.WARNING)
    with pytest.raises(StoreUnavailable) as failed:
        remote.query("ASK {}")
    message = str(failed.value)
    assert "answered with an error" in message and "500" in message
    assert "10.1.2.3" not in message and "NullPointer" not in message and "secret-config" not in message
    assert "10.1.2.3" in caplog.text and "NullPointer" in caplog.text  # the operator still sees both

    def refuse(request):
        raise httpx.ConnectError("[Errno 111] Connection refused to 10.1.2.3")

    remote.client = httpx.Client(transport=httpx.MockTransport(refuse))
    with pytest.raises(StoreUnavailable) as failed:
        remote.query("ASK {}")
    assert "cannot be reached" in str(failed.value) and "10.1.2.3" not in str(failed.value)


def test_h11_reasons_are_told_as_text():
    from zwgk.web.server import clean_h11_message

    assert clean_h11_message("illegal request line: bytearray(b'NOT HTTP AT ALL')") == \
        "illegal request line: “NOT HTTP AT ALL”"
    cleaned = clean_h11_message(r"illegal header line: bytearray(b'X-A: \xe4\xb8\xad\x00" + "y" * 200 + "')")
    assert "bytearray" not in cleaned and "b'" not in cleaned
    assert "中" in cleaned and "\\x00" in cleaned and cleaned.endswith("…”")


def test_client_slots_count_running_operations_per_client():
    from zwgk.web.errors import TooManyRequests
    from zwgk.web.limits import ClientSlots

    slots = ClientSlots(2)
    with slots.hold("a"), slots.hold("a"):
        with pytest.raises(TooManyRequests, match="max_client_queries"):
            with slots.hold("a"):
                pass
        with slots.hold("b"):  # another client is not held up
            pass
    with slots.hold("a"), slots.hold("a"):  # both released
        pass
    assert slots.running == {}
    unlimited = ClientSlots(0)
    with unlimited.hold("a"), unlimited.hold("a"), unlimited.hold("a"):  # 0: no limit
        pass
