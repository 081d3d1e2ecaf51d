"""The scale path: records streamed to N-Triples by the real GraphBuilder (no rdflib graph),
synthetic national-scale catalogs, and an on-disk store reopened without loading."""

from __future__ import annotations

import io
from collections import Counter

import pyoxigraph as ox
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import ROOT
from zwgk import bulk
from zwgk.build import Project
from zwgk.graph import GraphBuilder
from zwgk.synthetic import SyntheticNation


def test_streamed_ntriples_are_the_built_graph(hami_result, inputs):
    """Each triple GraphBuilder adds, written by the sink, gives the graph `zwgk build` builds."""
    codelists, registry, agencies, places, *_ = inputs
    builder = GraphBuilder(codelists, registry, agencies, places)
    out = io.StringIO()
    sink = bulk.sink_builder(builder, out)
    for rc in hami_result.catalogs:
        builder.add_catalog(rc)
    sink.flush()
    streamed = Graph().parse(data=out.getvalue(), format="nt")
    expected = Graph()
    built = set(hami_result.graph)
    for rc in hami_result.catalogs:  # the catalog's own triples: the rest is reference data
        b = GraphBuilder(codelists, registry, agencies, places)
        b.add_catalog(rc)
        for t in b.g:
            assert t in built
            expected.add(t)
    assert len(streamed) == sink.count == len(expected)
    assert isomorphic(streamed, expected)


def test_sink_writes_what_rdflib_writes(hami_result):
    from rdflib.plugins.serializers.nt import _nt_row

    out = io.StringIO()
    sink = bulk.NTriplesSink(out)
    triples = list(hami_result.graph)
    for t in triples:
        sink.add(t)
    sink.flush()
    assert out.getvalue().splitlines(True) == [_nt_row(t) for t in triples]


def test_synthetic_catalogs_are_reproducible_and_shaped_like_the_real_one():
    small, large = SyntheticNation(Project(ROOT), 3), SyntheticNation(Project(ROOT), 40)
    a, b = small.catalog(2), large.catalog(2)
    assert a.entry == b.entry and [i.phones for i in a.record.items] == [i.phones for i in b.record.items]
    cats = [large.catalog(k) for k in range(1, 40)]
    assert len({c.entry.id for c in cats}) == 39
    for c in cats:
        items = c.record.items
        assert 60 <= len(items) <= 75
        assert [i.number for i in items] == list(range(1, len(items) + 1))
        assert set(c.resolutions) == {(i.number, x.ordinal) for i in items for x in i.citations}
    usage = Counter(r.instrument.id for c in cats for r in c.resolutions.values())
    top = [k for k, _ in usage.most_common(2)]
    assert set(top) == {"gov-info-disclosure-regulation", "social-insurance-law"}  # the real skew
    assert any(k.startswith("synthetic-") for k in usage)  # and local instruments in the tail
    levels = Counter(p.level for p in large.places)
    assert levels["county"] > levels["city"]


def test_built_parts_load_and_reopen_without_loading(tmp_path):
    from zwgk.backends import OxigraphBackend
    from zwgk.store import load_sources

    nation = SyntheticNation(Project(ROOT), 3)
    parts = bulk.build_parts(tmp_path, [1, 2], nation.reference_builder, nation.catalog, workers=1, chunk=1)
    files = [p.path for p in parts]
    store_path = tmp_path / "store"
    first = OxigraphBackend(store_path)
    digest = load_sources(first, files, store_path)
    size = len(first)
    assert size == sum(p.triples for p in parts)
    del first
    again = OxigraphBackend(store_path)
    assert load_sources(again, files, store_path) == digest
    assert again.size == size  # taken from the marker: neither loaded nor counted
    again.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert not (store_path / "zwgk-loaded.json").exists()  # changed: the next start loads again
    del again
    count = ox.Store(str(store_path))
    assert len(count) == size + 1
