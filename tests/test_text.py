from rdflib import RDFS, Graph, URIRef

from conftest import ROOT
from zwgk.graph import ZWGK
from zwgk.text import as_written, chinese_numeral, clean_label, is_subsequence, lookup_key, unwrap


def test_unwrap_removes_wrap_spaces_in_chinese_and_numbers():
    assert unwrap("暂停职工养 老保险待遇 申请") == "暂停职工养老保险待遇申请"
    assert unwrap("0902- 2321695") == "0902-2321695"
    assert unwrap("信息形成或者变更之日起 20 个工作日内") == "信息形成或者变更之日起20个工作日内"
    assert unwrap("LD/T 32—2015") == "LD/T 32—2015"
    assert unwrap("0902-2256352   0902-2260097") == "0902-2256352 0902-2260097"


def test_clean_label_makes_brackets_full_width():
    assert clean_label("市级、县 (区)级") == "市级、县（区）级"
    assert clean_label("单位(项目)基本信息变更") == "单位（项目）基本信息变更"


def test_lookup_key_rule():
    same = ["国务院令765号", "国务院令 第765号", "中华人民共和国国务院令第765号", "中华人民共和国国务院令 第765号"]
    assert {lookup_key(s) for s in same} == {"国务院令765号"}
    docs = ["人社部发〔2015〕32号", "人社部发[2015]32号", "人社部发（2015）32号", "人社部发(2015)32号", "人社部发﹝2015﹞32号", "人社部发【2015】32号"]
    assert {lookup_key(s) for s in docs} == {"人社部发〔2015〕32号"}
    assert lookup_key("《社会保险经办条例》") == lookup_key("社会保险经办条例") == "社会保险经办条例"
    assert lookup_key("中华人民共和国社会保险法") == "社会保险法"
    assert lookup_key("LD/T 33—2015") == lookup_key("LD/T 33") == "LD/T33"
    assert lookup_key("主席令第三十五号") == "主席令35号"
    assert lookup_key(lookup_key("中华人民共和国国务院令 第765号")) == "国务院令765号"  # idempotent


def test_chinese_numerals():
    assert [chinese_numeral(s) for s in ("三十五", "十", "一百零二", "七")] == [35, 10, 102, 7]
    assert chinese_numeral("abc") is None


def test_subsequence():
    assert is_subsequence("暂停养老保", "暂停职工养老保险待遇申请")
    assert not is_subsequence("险待遇申请暂停", "暂停职工养老保险待遇申请")


def test_as_written_removes_only_line_wraps():
    assert as_written(" 《社会保险费征缴暂行条例》（中华人民共和国国务院令 710号） ") == "《社会保险费征缴暂行条例》（中华人民共和国国务院令 710号）"
    assert as_written("《社会保险\n 经办条例》") == "《社会保险经办条例》"
    assert as_written("LD/T\r\n33—2015") == "LD/T 33—2015"
    assert as_written("0902-\n2321695") == "0902-2321695"


# each example of the documented rule, as the documentation writes it: "text → key"
DOCUMENTED_KEYS = [
    ("人社部发[2015]32号", "人社部发〔2015〕32号"),
    ("国务院令 第765号", "国务院令765号"),
    ("主席令第三十五号", "主席令35号"),  # Chinese numerals become digits
    ("中华人民共和国社会保险法", "社会保险法"),
    ("中华人民共和国国务院令 第765号", "国务院令765号"),
    ("LD/T 33—2015", "LD/T33"),
    ("中华人民共和国中华人民共和国社会保险法", "社会保险法"),  # repeated until nothing changes
]


def test_the_documented_lookup_key_rule_is_the_code():
    g = Graph().parse(ROOT / "ontology" / "zwgk.ttl", format="turtle")
    docs = [str(c) for s in (URIRef("https://w3id.org/zwgk/ontology"), ZWGK.lookupKey) for c in g.objects(s, RDFS.comment)]
    assert len(docs) == 4  # zh and en, in the ontology's overview and on zwgk:lookupKey
    for doc in docs:
        for text, key in DOCUMENTED_KEYS:
            assert f"{text} → {key}" in doc, (text, doc[:40])
        assert "(8)" in doc or "（8）" in doc  # the repeat step
    for text, key in DOCUMENTED_KEYS:
        assert lookup_key(text) == key
