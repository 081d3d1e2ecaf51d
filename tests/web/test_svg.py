"""Server-side SVG charts: well-formed, accessible, escaped, deterministic."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from zwgk.web import svg

NS = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert('x')</script> \"q\" & ]]> \x01"


def charts(label: str = "标签") -> dict[str, str]:
    return {
        "bar_chart": svg.bar_chart([(label, "/id/a", 3), ("社会保险法", None, 1), ("zero", "/id/z", 0)], title=label),
        "matrix": svg.matrix([(label, "/id/r0"), ("第二行", None)], [("政务服务中心", "/id/c0"), (label, None)],
                             [(0, 0), (1, 1)], title=label),
        "network": svg.network([(label, "/id/l0"), ("事项二", "/id/l1")], [("条例", "/id/r0"), (label, None)],
                               [(0, 0), (1, 0), (1, 1)], title=label),
        "timeline": svg.timeline([("2003-04-27", label, "promulgation", "/id/v1"),
                                  ("2010-12-20", "国务院令第586号", "revision", None),
                                  ("2011-01-01", "施行", "entry-into-force", None),
                                  ("2019", "废止", "repeal", "/id/x")], title=label),
    }


@pytest.mark.parametrize("name", sorted(charts()))
def test_chart_is_wellformed_and_accessible(name):
    text = charts()[name]
    root = ET.fromstring(text)
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "标签"
    w, h = float(root.get("width")), float(root.get("height"))
    assert w > 0 and h > 0
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert root.find(NS + "title").text == "标签"
    # every mark has hover text
    assert len(root.findall(f".//{NS}title")) > 2
    assert "<script" not in text.lower()


@pytest.mark.parametrize("name", sorted(charts()))
def test_chart_escapes_all_text(name):
    text = charts(EVIL)[name]
    root = ET.fromstring(text)  # still well-formed
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "]]>" not in text
    assert root.get("aria-label") == EVIL.replace("\x01", "")
    titles = [t.text or "" for t in root.iter(NS + "title")]
    assert any("<script>alert('x')</script>" in t for t in titles)  # hover text keeps the full label


@pytest.mark.parametrize("name", sorted(charts()))
def test_chart_is_deterministic(name):
    assert charts()[name] == charts()[name]


def test_links_are_written_as_href():
    root = ET.fromstring(charts()["bar_chart"])
    hrefs = [a.get("href") for a in root.iter(NS + "a")]
    assert hrefs == ["/id/a", "/id/z"]  # the row without href is not a link


def test_escaped_href():
    text = svg.bar_chart([("x", '/id/a"onmouseover="alert(1)', 1)])
    a = ET.fromstring(text).find(f".//{NS}a")
    assert a.get("href") == '/id/a"onmouseover="alert(1)'
    assert a.get("onmouseover") is None


def test_bar_chart_lengths_follow_values():
    root = ET.fromstring(svg.bar_chart([("a", None, 4), ("b", None, 2), ("c", None, 0)]))
    widths = [float(r.get("width")) for r in root.iter(NS + "rect")]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0


def test_matrix_fills_the_given_cells():
    root = ET.fromstring(svg.matrix([("r0", None), ("r1", None)], [("c0", None), ("c1", None), ("c2", None)],
                                    [(0, 2), (1, 0)]))
    on = [r for r in root.iter(NS + "rect") if r.get("class") == "on"]
    off = [r for r in root.iter(NS + "rect") if r.get("class") == "off"]
    assert len(on) == 2 and len(off) == 4
    assert {t.text for r in on for t in r.iter(NS + "title")} == {"r0 × c2: 是 yes", "r1 × c0: 是 yes"}


def test_network_draws_one_line_per_edge():
    root = ET.fromstring(svg.network([("a", None), ("b", None)], [("x", None), ("y", None)],
                                     [(0, 0), (1, 0), (1, 1), (1, 1), (5, 0)]))
    lines = list(root.iter(NS + "line"))
    assert len(lines) == 3  # duplicates merged, out-of-range edges left out
    assert len(list(root.iter(NS + "circle"))) == 4


def test_timeline_orders_events_and_skips_undated():
    text = svg.timeline([("2010-12-20", "second", "revision", None), ("2003-04-27", "first", "promulgation", None),
                         ("unknown", "no date", "repeal", None)])
    root = ET.fromstring(text)
    labels = [t.text for t in root.iter(NS + "text") if t.text and ("first" in t.text or "second" in t.text)]
    assert labels == ["2003-04-27 first", "2010-12-20 second"]
    assert "no date" not in text
    years = [t.text for t in root.iter(NS + "text") if t.text and t.text.isdigit()]
    assert years == sorted(years) and years[0] <= "2003" and years[-1] >= "2011"


@pytest.mark.parametrize("call", [
    lambda: svg.bar_chart([], title="空"),
    lambda: svg.matrix([], [("c", None)], [], title="空"),
    lambda: svg.network([("a", None)], [], [], title="空"),
    lambda: svg.timeline([("?", "x", "promulgation", None)], title="空"),
])
def test_empty_charts_are_still_svg(call):
    root = ET.fromstring(call())
    assert root.get("role") == "img" and root.get("aria-label") == "空"


def test_clip_and_width():
    assert svg.text_width("中文", 10) == 20
    assert svg.text_width("ab", 10) == pytest.approx(12)
    assert svg.clip("中华人民共和国社会保险法", 10, 50).endswith("…")
    assert svg.clip("短", 10, 50) == "短"
