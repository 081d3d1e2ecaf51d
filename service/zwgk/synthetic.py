"""Synthetic catalogs at national scale, for benchmarks (``bench/``), never for the published graph.

China has about 333 prefecture-level and 2,800 county-level divisions, and each publishes its
own 社会保险领域 standard catalog from the same national template. ``SyntheticNation(project, n)``
gives ``n`` catalogs shaped like that: catalog 0 is the real Hami catalog (parsed, corrected and
resolved by the real build, ``build.assemble``); catalogs 1..n-1 are drawn from it, one per
synthetic city or county, with the variation real catalogs show:

* items: the template's items, a few dropped (60–75 kept, numbered 1..n again); names, category
  paths, content, elements and deadlines as in the template, a deadline changed now and then;
* citations: the template's citations (so the national instruments keep the real skew: the
  政府信息公开条例 and the 社会保险法 in almost every item, a long tail cited once), now and then
  one dropped, and a few items citing a local normative document of the catalog's province
  (synthetic instruments, resolved by the real citation resolver);
* channels, levels, phones: each item keeps the template's values or draws them from the
  template's empirical distribution; each catalog has its own area code and phone, a few items
  none (as items 21, 34 and 39 in Hami) or two;
* provenance: every item keeps a source row (line, page, raw text with the catalog's phone).

Everything is drawn from ``random.Random(seed, k)``: catalog ``k`` is the same at every scale, and
the same ``n`` gives the same graph. Records go through the real ``GraphBuilder``; no triple is
written by hand. Synthetic IRIs say so: places ``place/synthetic-<code>``, agencies
``agency/synthetic-<code>-hrss``, instruments ``instrument/synthetic-<province>-<n>``.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property

from .build import Project, assemble, load_inputs
from .graph import GraphBuilder, ResolvedCatalog
from .records import CatalogRecord, CitationRecord, SourceRow
from .refdata import Agency, CatalogEntry, Place
from .registry import Instrument, Registry

# the 31 provincial-level divisions: id, name, code, abbreviation used in document numbers
PROVINCES = [
    ("beijing", "北京市", "110000", "京"), ("tianjin", "天津市", "120000", "津"), ("hebei", "河北省", "130000", "冀"),
    ("shanxi", "山西省", "140000", "晋"), ("neimenggu", "内蒙古自治区", "150000", "内"), ("liaoning", "辽宁省", "210000", "辽"),
    ("jilin", "吉林省", "220000", "吉"), ("heilongjiang", "黑龙江省", "230000", "黑"), ("shanghai", "上海市", "310000", "沪"),
    ("jiangsu", "江苏省", "320000", "苏"), ("zhejiang", "浙江省", "330000", "浙"), ("anhui", "安徽省", "340000", "皖"),
    ("fujian", "福建省", "350000", "闽"), ("jiangxi", "江西省", "360000", "赣"), ("shandong", "山东省", "370000", "鲁"),
    ("henan", "河南省", "410000", "豫"), ("hubei", "湖北省", "420000", "鄂"), ("hunan", "湖南省", "430000", "湘"),
    ("guangdong", "广东省", "440000", "粤"), ("guangxi", "广西壮族自治区", "450000", "桂"), ("hainan", "海南省", "460000", "琼"),
    ("chongqing", "重庆市", "500000", "渝"), ("sichuan", "四川省", "510000", "川"), ("guizhou", "贵州省", "520000", "黔"),
    ("yunnan", "云南省", "530000", "云"), ("xizang", "西藏自治区", "540000", "藏"), ("shaanxi", "陕西省", "610000", "陕"),
    ("gansu", "甘肃省", "620000", "甘"), ("qinghai", "青海省", "630000", "青"), ("ningxia", "宁夏回族自治区", "640000", "宁"),
    ("xinjiang", "新疆维吾尔自治区", "650000", "新"),
]
COUNTIES_PER_CITY = 9  # 2,844 counties / 333 cities ≈ 8.5
LOCAL_INSTRUMENTS_PER_PROVINCE = 4
P_DROP_ITEM = 0.04
P_NO_PHONE = 3 / 75  # Hami: items 21, 34, 39
P_TWO_PHONES = 1 / 75
P_RESAMPLE = 0.12  # an item's channels or levels drawn from the template's distribution
P_LOCAL_CITATION = 0.06
P_DROP_CITATION = 0.03
P_DEADLINE_CHANGE = 0.05
YEARS = (2022, 2023, 2024, 2024, 2025)


@dataclass(frozen=True)
class SyntheticPlace:
    place: Place
    agency: Agency
    province: tuple[str, str, str, str]
    area_code: str
    level: str  # "city" or "county"


class SyntheticNation:
    """Reference data and a catalog factory for ``n`` catalogs (catalog 0 is the real one)."""

    def __init__(self, project: Project, n: int, seed: int = 2024):
        if n < 1:
            raise ValueError("n must be at least 1 (catalog 0 is the real Hami catalog)")
        self.project, self.n, self.seed = project, n, seed
        base = assemble(project)
        self.base_graph = base.graph  # the real build: ontology, reference data, Hami
        self.template: ResolvedCatalog = base.catalogs[0]
        self.codelists, registry, self.real_agencies, self.real_places, *_ = load_inputs(project)
        self.real_registry = registry
        self.local_instruments = self._local_instruments()
        # the resolver knows the real instruments and the synthetic local ones
        self.registry = Registry(list(registry.instruments) + self.local_instruments, registry.issuers)
        items = self.template.record.items
        self._channel_sets = Counter(tuple(i.channels) for i in items)
        self._level_sets = Counter(tuple(i.levels) for i in items)

    # ------------------------------------------------------------ reference data

    @cached_property
    def places(self) -> list[SyntheticPlace]:
        """The synthetic jurisdictions of catalogs 1..n-1: one city, then its counties, in turn
        across the provinces."""
        out: list[SyntheticPlace] = []
        city_counter: Counter = Counter()
        k = 0
        while len(out) < self.n - 1:
            prov = PROVINCES[k % len(PROVINCES)]
            k += 1
            city_counter[prov[0]] += 1
            c = city_counter[prov[0]]
            city_code = f"{prov[2][:2]}{c:02d}00"
            area = f"0{prov[2][:2]}{c % 10}" if c < 100 else f"0{prov[2][:2]}{c}"
            city = self._place(prov, city_code, f"{prov[1]}模拟第{c}市", f"Synthetic city {c}, {prov[0]}", "city",
                               prov[0] if prov[0] in self.real_places else f"synthetic-{prov[2]}", area)
            out.append(city)
            for j in range(1, COUNTIES_PER_CITY + 1):
                if len(out) >= self.n - 1:
                    break
                code = f"{city_code[:4]}{j:02d}"
                out.append(self._place(prov, code, f"{city.place.zh}模拟第{j}县", f"Synthetic county {j} of {city.place.en}",
                                       "county", city.place.id, area))
        return out[: self.n - 1]

    def _place(self, prov, code, zh, en, level, parent, area) -> SyntheticPlace:
        pid = f"synthetic-{code}"
        place = Place(id=pid, zh=zh, en=en, code=code, level=level, parent=parent)
        short = "市" if level == "city" else "县"
        agency = Agency(id=f"{pid}-hrss", zh=f"{zh}人力资源和社会保障局", en=f"Human Resources and Social Security Bureau of {en}",
                        jurisdiction=pid, aliases=(f"{short}人力资源和社会保障局", f"{short}人社局"))
        return SyntheticPlace(place, agency, prov, area, level)

    @cached_property
    def provinces(self) -> dict[str, Place]:
        """Synthetic provincial places (the real data already has 新疆)."""
        used = {p.province for p in self.places}
        return {f"synthetic-{p[2]}": Place(id=f"synthetic-{p[2]}", zh=p[1], en=f"{p[0].title()} (synthetic)", code=p[2],
                                           level="province", parent="china")
                for p in PROVINCES if p in used and p[0] not in self.real_places}

    def _local_instruments(self) -> list[Instrument]:
        out = []
        for prov in PROVINCES:
            if prov[0] in self.real_places:
                continue  # 新疆 has its real local instrument
            for j in range(1, LOCAL_INSTRUMENTS_PER_PROVINCE + 1):
                year = 2015 + (j * 3 + len(prov[1])) % 9
                out.append(Instrument(
                    id=f"synthetic-{prov[0]}-{j}",
                    type="local-normative-document",
                    issuers=[],
                    source="synthetic",
                    title=f"{prov[1]}社会保险经办服务规定（模拟第{j}号）",
                    number=f"{prov[3]}人社规〔{year}〕{j}号",
                    date_document=f"{year}-0{1 + j % 9}-15",
                    status="in-force",
                    in_force=True,
                    confidence="S",
                    confidence_note="Synthetic instrument of the zwgk benchmark; not a real document.",
                ))
        return out

    def reference_builder(self) -> GraphBuilder:
        """A GraphBuilder over the synthetic reference data only (places, agencies, local instruments):
        what the real build does not already hold."""
        places = dict(self.provinces) | {p.place.id: p.place for p in self.places}
        agencies = {p.agency.id: p.agency for p in self.places}
        used = {f"synthetic-{p.province[0]}-" for p in self.places}
        cited = [i for i in self.local_instruments if i.id.rsplit("-", 1)[0] + "-" in used]
        return GraphBuilder(self.codelists, Registry(cited, self.real_registry.issuers), agencies, places)

    def add_reference_data(self, builder: GraphBuilder, spellings: dict[str, set[str]]) -> None:
        builder.add_places()
        builder.add_agencies()
        builder.add_instruments(spellings)

    # ------------------------------------------------------------ catalogs

    def catalog(self, k: int) -> ResolvedCatalog:
        """Catalog ``k`` (1..n-1), drawn from the template with its own seed."""
        if not 1 <= k < self.n:
            raise IndexError(f"synthetic catalogs are 1..{self.n - 1}")
        rng = random.Random(self.seed * 1_000_003 + k)
        sp = self.places[k - 1]
        tpl = self.template
        year = rng.choice(YEARS)
        entry = CatalogEntry(id=f"{sp.place.id}-{year}-social-insurance", file=f"synthetic/{sp.place.id}-{year}.txt",
                             format="synthetic", jurisdiction=sp.place.id, publisher=sp.agency.id,
                             domain_zh="社会保险", domain_en="Social insurance", year=year)
        phone = f"{sp.area_code}-{rng.randint(2_000_000, 8_999_999)}"
        second = f"{sp.area_code}-{rng.randint(2_000_000, 8_999_999)}"
        agency_text = sp.agency.aliases[0]
        locals_ = [i for i in self.local_instruments if i.id.startswith(f"synthetic-{sp.province[0]}-")]
        kept = [i for i in tpl.record.items if rng.random() >= P_DROP_ITEM]
        items, resolutions, agencies = [], {}, {}
        for number, t in enumerate(kept, 1):
            citations = list(t.citations)
            res = [tpl.resolutions[(t.number, c.ordinal)] for c in citations]
            if len(citations) > 1 and rng.random() < P_DROP_CITATION:
                citations, res = citations[:-1], res[:-1]
            basis = t.basis_text
            if locals_ and rng.random() < P_LOCAL_CITATION:
                inst = rng.choice(locals_)
                text = f"《{inst.title}》（{inst.number}）"
                c = CitationRecord(len(citations) + 1, text, inst.title, inst.number)
                citations.append(c)
                res.append(self.registry.resolve(c))
                basis = f"{basis}；{text}" if basis else text
            channels = t.channels
            if rng.random() < P_RESAMPLE:
                channels = list(_draw(rng, self._channel_sets))
            levels = t.levels
            if rng.random() < P_RESAMPLE:
                levels = list(_draw(rng, self._level_sets))
            r = rng.random()
            phones = [] if r < P_NO_PHONE else [phone, second] if r < P_NO_PHONE + P_TWO_PHONES else [phone]
            days, deadline = t.deadline_days, t.deadline_text
            if days is not None and deadline and rng.random() < P_DEADLINE_CHANGE:
                new = rng.choice((5, 10, 15, 20))
                deadline, days = deadline.replace(str(days), str(new)), new
            raw = t.source.raw
            for p in t.phones:
                raw = raw.replace(p, phone)
            source = SourceRow(file=entry.file, line=t.source.line, page=t.source.page, raw=raw,
                               continuation_lines=t.source.continuation_lines)
            item = replace(t, number=number, citations=citations, basis_text=basis, channels=channels, levels=levels,
                           phones=phones, deadline_days=days, deadline_text=deadline, agency=agency_text,
                           source=source, corrections=[])
            items.append(item)
            for c, rr in zip(citations, res):
                resolutions[(number, c.ordinal)] = rr
            agencies[number] = sp.agency.id
        record = CatalogRecord(title=f"{sp.place.zh}社会保险领域政务公开标准目录（{year}年）",
                               compiler=sp.agency.zh, source_file=entry.file, pages=tpl.record.pages, items=items)
        sha = hashlib.sha256("\n".join(i.source.raw for i in items).encode("utf-8")).hexdigest()
        return ResolvedCatalog(entry=entry, record=record, sha256=sha, resolutions=resolutions, agencies=agencies)

    def spellings(self) -> dict[str, set[str]]:
        """How the synthetic catalogs write the synthetic instruments (their altLabels)."""
        return {i.id: {i.title, i.number} for i in self.local_instruments}


def _draw(rng: random.Random, counts: Counter):
    values = sorted(counts, key=lambda v: (-counts[v], v))
    return rng.choices(values, weights=[counts[v] for v in values])[0]


__all__ = ["SyntheticNation", "PROVINCES"]
