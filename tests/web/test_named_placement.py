"""Where a named query runs: on the event loop once its recent runs were all quick,
in a worker thread otherwise (first runs, and for a while after any slow run)."""

from __future__ import annotations

import sys
import threading

from zwgk.web import named
from zwgk.web.named import INLINE_SECONDS, RECENT, Placement


def test_a_query_runs_inline_only_after_enough_quick_runs():
    p = Placement()
    for k in range(RECENT):
        assert not p.inline("q")  # unknown, or not enough runs yet: a worker thread
        p.record("q", INLINE_SECONDS / 10)
    assert p.inline("q")
    p.record("q", INLINE_SECONDS * 50)  # one slow run: back to the thread pool …
    for k in range(RECENT):
        assert not p.inline("q")
        p.record("q", INLINE_SECONDS / 10)
    assert p.inline("q")  # … until it has left the recent runs
    assert not p.inline("other")


def test_the_same_answers_inline_and_in_a_thread(client, monkeypatch):
    seen = []
    real = named.Placement.inline

    def spy(self, name):
        verdict = real(self, name)
        seen.append((verdict, threading.current_thread() is threading.main_thread()))
        return verdict

    monkeypatch.setattr(named.Placement, "inline", spy)
    answers = [client.get("/queries/instrument-usage", headers={"Accept": "text/csv"}).text for _ in range(RECENT + 3)]
    assert len(set(answers)) == 1 and answers[0].count("\n") > 10
    verdicts = [v for v, _ in seen]
    assert verdicts[0] is False  # the first run is in a worker thread


def test_runs_are_known_by_a_digest_and_the_last_kept_only(monkeypatch):
    monkeypatch.setattr(named, "KEPT", 3)
    p = Placement()
    keys = [Placement.key("catalog-coverage", [("a", "x" * 16_000 + str(k))], (None, None)) for k in range(5)]
    assert all(len(k) == 16 for k in keys) and len(set(keys)) == 5  # long parameters, short keys
    for k in keys:
        p.record(k, 0.001)
    assert list(p.recent) == keys[2:]  # the latest three
    p.record(keys[2], 0.001)
    assert list(p.recent) == [keys[3], keys[4], keys[2]]  # recorded again: the latest


def test_runs_recorded_from_many_threads_at_once(monkeypatch):
    monkeypatch.setattr(named, "KEPT", 4)
    p, errors = Placement(), []

    def record(offset):
        try:
            for k in range(2000):
                p.record(Placement.key("q", (k + offset) % 7), 0.001)
        except Exception as exc:  # a KeyError from an eviction between two steps, before the lock
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can
    try:
        threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors and len(p.recent) == 4


def test_a_place_goes_back_once_whether_the_run_started_or_not():
    places = threading.BoundedSemaphore(1)
    places.acquire()
    gone = named.Slot(places)
    gone.abandon()  # the request stopped waiting before its thread started: the place is back at once …
    assert not gone.start()  # … and the thread, when it comes, does not run
    assert places.acquire(blocking=False)
    ran = named.Slot(places)
    assert ran.start()
    ran.abandon()  # started: the thread gives the place back when it ends, not the request
    assert not places.acquire(blocking=False)
    places.release()
