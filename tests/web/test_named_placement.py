"""Where a named query runs: on the event loop once its recent runs were all quick,
in a worker thread otherwise (first runs, and for a while after any slow run)."""

from __future__ import annotations

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
