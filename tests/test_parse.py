"""Parser: each layout case of the source, on small catalogs and on the real file."""

from __future__ import annotations

import pytest

from conftest import HAMI, page, row
from zwgk.records import SourceError

CB = '<input type="checkbox"/> 政府网站 <input checked="" type="checkbox"/> 新疆政务服务网 <input checked type="checkbox"/> 政务服务中心'


def parse(parser, text):
    return {i.number: i for i in parser.parse_text(text, "test.txt").items}


# ---------------------------------------------------------------- small catalogs

def test_names_inherit_from_the_rows_above(parser):
    items = parse(parser, page(
        row(1, ("机构概况", "机构职能", "")),
        row(2, ("", "领导及分工", "")),
        row(3, ("", "", "")),
        row(4, ("政策信息", "规范性文件", "")),
    ))
    assert items[1].path == ("机构概况", "机构职能", None)
    assert items[2].path == ("机构概况", "领导及分工", None)
    assert items[3].path == ("机构概况", "领导及分工", None)
    assert items[3].name == "领导及分工"
    assert items[4].path == ("政策信息", "规范性文件", None)


def test_a_new_parent_clears_deeper_names(parser):
    items = parse(parser, page(
        row(1, ("甲", "乙", "丙")),
        row(2, ("", "丁", "")),
        row(3, ("戊", "", "")),
    ))
    assert items[2].path == ("甲", "丁", None)
    assert items[3].path == ("戊", None, None)


def test_cells_shifted_right_before_the_names(parser):
    # like items 14-15: merged cells push everything one cell right
    items = parse(parser, page(
        row(1, ("参保信息", "单位信息变更", "")),
        row(2, ("", "个人基本信息变更", "职工个人基本信息变更"), shift_before=1, phone="0902-1111111"),
        row(3, ("", "", "城乡居民个人基本信息变更"), shift_before=1),
    ))
    assert items[2].path == ("参保信息", "个人基本信息变更", "职工个人基本信息变更")
    assert items[2].phones == ["0902-1111111"]
    assert items[3].path == ("参保信息", "个人基本信息变更", "城乡居民个人基本信息变更")
    assert items[3].levels == ["city"] and items[3].channels == ["government-website"]


def test_cells_shifted_right_after_the_names(parser):
    # like item 21: the names stay in place, an empty cell follows them
    items = parse(parser, page(
        row(1, ("缴费申报", "增减申报", "")),
        row(2, ("", "断缴补缴申报", "城乡居民补缴申报"), shift_after=1),
    ))
    assert items[2].path == ("缴费申报", "断缴补缴申报", "城乡居民补缴申报")
    assert items[2].deadline_days == 20


def test_cells_shifted_two_and_four(parser):
    # like items 38-39: one name cell far to the right, columns read relative to the anchors
    items = parse(parser, page(
        row(1, ("丧葬补助金申领", "企业职工丧葬补助金申领", "")),
        row(2, ("", "", "城乡居民丧葬补助金申领"), shift_before=1, shift_after=1),
        "\t".join(["3", "", "", "", "", "", "居民养老保险注销登记", "", "1. 事项名称",
                   "《失业保险条例》（国务院令第258号）", "信息形成或变更之日起20个工作日内", "市人力资源和社会保障局",
                   "□政府网站 ■政务服务中心", "√", "", "√"]),
    ))
    assert items[2].path == ("丧葬补助金申领", "城乡居民丧葬补助金申领", None)
    assert items[3].path == ("丧葬补助金申领", "居民养老保险注销登记", None)
    assert items[3].channels == ["government-service-centre"]
    assert items[3].levels == [] and items[3].phones == []
    assert items[3].missing == ["level", "phone"]


def test_swapped_parent_and_child_names(parser):
    # like item 27: the merged parent cell is extracted after its child
    items = parse(parser, page(row(1, ("养老保险", "企业职工养老保险待遇申领", "职工养老保险待遇"))))
    assert items[1].path == ("养老保险", "职工养老保险待遇", "企业职工养老保险待遇申领")
    assert items[1].name == "企业职工养老保险待遇申领"


def test_a_name_split_over_a_page_break_is_joined(parser):
    # like items 30-31: "暂停养老保" / "险待遇申请"
    text = page(
        row(1, ("养老保险服务", "暂停职工养 老保险待遇 申请", "暂停养老保")),
    ) + page(
        row(2, ("", "险待遇申请", "暂停城乡居民养老保险待遇申请")),
        row(3, ("", "", "恢复职工养老保险待遇申请")),
    )
    items = parse(parser, text)
    assert items[1].path == ("养老保险服务", "暂停养老保险待遇申请", "暂停职工养老保险待遇申请")
    assert items[2].path == ("养老保险服务", "暂停养老保险待遇申请", "暂停城乡居民养老保险待遇申请")
    assert items[3].path[1] == "暂停养老保险待遇申请"
    assert items[2].source.continuation_lines == (items[1].source.line,)


def test_names_on_both_sides_of_a_page_break_that_do_not_fit_stay_apart(parser):
    text = page(row(1, ("服务", "工伤认定", "工伤认定申请"))) + page(row(2, ("", "失业登记", "失业登记申请")))
    items = parse(parser, text)
    assert items[1].path[1] == "工伤认定" and items[2].path[1] == "失业登记"


def test_wrap_spaces_and_half_width_forms(parser):
    items = parse(parser, page(row(
        1, ("参保信息 维护", "伤残待遇申 领(一次性 伤残补助金 、伤残津贴 和生活护理 费)", ""),
        deadline="公开事项 信息形成 或变更之 日起20个 工作日内 公开", agency="市人力资 源和社会 保障局",
        level="市级、县 (区)级", phone="0902- 2321695",
    )))
    item = items[1]
    assert item.path[:2] == ("参保信息维护", "伤残待遇申领（一次性伤残补助金、伤残津贴和生活护理费）")
    assert item.deadline_text == "公开事项信息形成或变更之日起20个工作日内公开"
    assert item.deadline_days == 20
    assert item.agency == "市人力资源和社会保障局"
    assert item.levels == ["city", "county"]
    assert item.phones == ["0902-2321695"]


def test_two_checkbox_notations_only_checked_channels_count(parser):
    items = parse(parser, page(
        row(1, ("甲", "", ""), channels="□政府网站 ■新疆政务服务网 ■政务服务中心"),
        row(2, ("", "乙", ""), channels=CB),
    ))
    for n in (1, 2):
        assert items[n].channels == ["xinjiang-government-service-website", "government-service-centre"]
        assert items[n].channels_unmarked == ["government-website"]


def test_audience_and_mode_marks(parser):
    items = parse(parser, page(
        row(1, ("甲", "", ""), marks=("√", "", "√", "")),
        row(2, ("乙", "", ""), marks=("", "√", "", "√")),
        row(3, ("丙", "", ""), marks=("√", "√", "√", "√")),
    ))
    assert (items[1].audiences, items[1].modes) == (["public"], ["proactive"])
    assert (items[2].audiences, items[2].modes) == (["specific-groups"], ["on-request"])
    assert (items[3].audiences, items[3].modes) == (["public", "specific-groups"], ["proactive", "on-request"])


def test_numbered_elements_and_free_text_content(parser):
    items = parse(parser, page(
        row(1, ("甲", "", ""), content="1. 事项名称 2. 事项简述 3. 办理 材料"),
        row(2, ("乙", "", ""), content="市人社局机构 职能简介"),
    ))
    assert [(e.number, e.label) for e in items[1].elements] == [(1, "事项名称"), (2, "事项简述"), (3, "办理材料")]
    assert items[1].content_text == "1. 事项名称 2. 事项简述 3. 办理材料"
    assert items[2].elements == [] and items[2].content_text == "市人社局机构职能简介"


def test_several_phones_in_one_cell(parser):
    items = parse(parser, page(row(1, ("甲", "", ""), phone="0902-2256352 0902-2260097")))
    assert items[1].phones == ["0902-2256352", "0902-2260097"]


def test_missing_values_stay_missing(parser):
    items = parse(parser, page(row(1, ("甲", "", ""), phone="", level="")))
    assert items[1].phones == [] and items[1].levels == []
    assert items[1].missing == ["level", "phone"]


def test_a_time_limit_in_other_words_is_kept_without_a_number_of_days(parser):
    """实时公开 or 长期公开 is a real 公开时限: kept as written; no number of working days is made up."""
    [a, b] = parser.parse_text(page(row(1, ("甲", "", ""), deadline="实时公开"),
                                    row(2, ("乙", "", ""), deadline="长期公开")), "t.txt").items
    assert (a.deadline_text, a.deadline_days, b.deadline_text, b.deadline_days) == ("实时公开", None, "长期公开", None)


def test_a_malformed_phone_is_kept_as_written_for_the_report(parser):
    """Digits that are no valid number (a digit short) are the source's own slip: kept, and the
    shapes' phone pattern reports them; the well-formed number beside them is kept too."""
    [item] = parser.parse_text(page(row(1, ("甲", "", ""), phone="0902-232169 0902-2256352")), "p.txt").items
    assert item.phones == ["0902-2256352", "0902-232169"]


@pytest.mark.parametrize(
    "bad_row, line, cell, words",
    [
        (row(1, ("甲", "", ""), phone="请拨打热线"), 8, 15, "not a phone number"),
        (row(1, ("甲", "", ""), marks=("是", "", "√", "")), 8, 10, "√ mark"),
        (row(1, ("甲", "", ""), channels="■微信公众号"), 8, 9, "unknown channel"),
        (row(1, ("甲", "", ""), deadline="市人力资源和社会保障局"), 8, 7, "not a time limit"),
        (row(1, ("甲", "", ""), level="0902-2321695"), 8, 14, "公开层级 cell holds a phone number"),
        ("1\t甲\t\t\t市人社局机构职能简介", 8, None, "cannot find the columns"),
        ("x1\t甲", 8, 1, "item number"),
        (row(1, ("甲", "", "")) + "\t多余", 8, 16, "unexpected cell"),
    ],
)
def test_a_row_that_makes_no_sense_names_line_and_cell(parser, bad_row, line, cell, words):
    with pytest.raises(SourceError) as err:
        parser.parse_text(page(bad_row), "bad.txt")
    assert (err.value.file, err.value.line, err.value.cell + 1 if err.value.cell is not None else None) == ("bad.txt", line, cell)
    assert words in str(err.value)


def test_anchors_that_disagree_are_an_error(parser):
    # the channel cell one column too far right compared with the basis cell
    bad = row(1, ("甲", "", "")).replace("■政府网站", "\t■政府网站")
    with pytest.raises(SourceError, match="disagree"):
        parser.parse_text(page(bad), "bad.txt")


def test_repeated_item_numbers_are_an_error(parser):
    with pytest.raises(SourceError, match="repeated"):
        parser.parse_text(page(row(1, ("甲", "", "")), row(1, ("乙", "", ""))), "bad.txt")


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    ("序号\t公开事项".encode("gbk"), "not UTF-8"),
    (b"\x00\x01\x02binary", "binary"),
    ("just some text\n".encode(), "no header row found"),
])
def test_bad_files(parser, data, words):
    with pytest.raises(SourceError, match=words):
        parser.parse_bytes(data, "bad.txt")


def test_a_bom_is_accepted(parser):
    text = page(row(1, ("甲", "", "")))
    assert len(parser.parse_bytes(b"\xef\xbb\xbf" + text.encode(), "bom.txt").items) == 1


# ---------------------------------------------------------------- the real source

def test_real_source_facts(parser):
    cat = parser.parse_file(HAMI)
    items = {i.number: i for i in cat.items}
    assert cat.title == "哈密市社会保险领域政务公开标准目录（2024年）"
    assert cat.compiler == "市人力资源和社会保障局"
    assert sorted(items) == list(range(1, 76))
    assert cat.pages == 25
    # shifted rows
    assert items[14].path == ("社会保险参保信息", "个人基本信息变更", "职工个人基本信息变更")
    assert items[15].path == ("社会保险参保信息", "个人基本信息变更", "城乡居民个人基本信息变更")
    assert items[21].path == ("社会保险缴费申报", "社会保险费断缴补缴申报", "城乡居民养老保险费补缴申报")
    assert items[38].name == "城乡居民丧葬补助金申领" and items[38].phones == ["0902-2321695"]
    assert items[39].name == "居民养老保险注销登记"
    # the page-split name
    assert items[30].path[1] == items[31].path[1] == "暂停养老保险待遇申请"
    assert items[30].name == "暂停职工养老保险待遇申请"
    # wrap spaces
    assert items[30].source.line == 94
    assert items[60].name == "伤残待遇申领（一次性伤残补助金、伤残津贴和生活护理费）"
    # channels: 政府网站 is checked on items 1-5 and 26 only
    assert sorted(n for n, i in items.items() if "government-website" in i.channels) == [1, 2, 3, 4, 5, 26]
    assert items[24].channels == ["xinjiang-government-service-website", "xinjiang-hrss-public-service-platform"]
    # content
    assert items[1].content_text == "市人社局机构职能简介" and items[1].elements == []
    assert len(items[6].elements) == 11 and items[26].elements[1].label == "公示内容"
    assert [e.number for e in items[48].elements][-2:] == [10, 12]  # corrected by an erratum, not here
    # phones and missing values
    assert items[26].phones == ["0902-2256352", "0902-2260097"]
    assert {n: i.missing for n, i in items.items() if i.missing} == {21: ["phone"], 34: ["phone"], 39: ["level", "phone"]}
    assert items[12].unrecognized_levels == ["基层服务平台"]
    assert all(i.deadline_days == 20 for i in items.values())
    assert {i.agency for i in items.values()} == {"市人力资源和社会保障局"}
    assert all(i.audiences == ["public"] and i.modes == ["proactive"] for i in items.values())
