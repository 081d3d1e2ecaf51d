from zwgk.citations import canonical_number, parse_basis, parse_citation, split_citations, written_number, written_spellings

SIL = ("《中华人民共和国社会保险法》（2010年10月28日第十一届全国人民代表大会常务委员会第十七次会议通过，"
       "根据2018年12月29日第十三届全国人民代表大会常务委员会第七次会议《关于修改〈中华人民共和国社会保险法〉的决定》修正）")


def test_split_numbered_cell():
    cell = "1. 《中华人民共和国政府信息公开条例》（中华人民共和国国务院令 第711号） 2. " + SIL + " 3. 《社会保险经办条例》（中华人民共和国国务院令 第765号）"
    parts = split_citations(cell)
    assert [n for n, _ in parts] == [1, 2, 3]
    # the citation as written: the space typed inside the number stays (it is no line wrap)
    assert parts[2][1] == "《社会保险经办条例》（中华人民共和国国务院令 第765号）"


def test_a_citation_is_kept_as_written_but_for_line_wraps():
    c = parse_citation(3, "《社会保险费征缴暂行条例》（中华人民共和国国务院令 710号） ")
    assert c.text == "《社会保险费征缴暂行条例》（中华人民共和国国务院令 710号）"
    assert (c.title, c.number) == ("社会保险费征缴暂行条例", "国务院令第710号")  # read in the display form
    wrapped = parse_citation(1, "《社会保险\n经办条例》（国务院令\n 第765号） LD/T\n33")
    assert wrapped.text == "《社会保险经办条例》（国务院令第765号） LD/T 33"
    assert wrapped.title == "社会保险经办条例"


def test_split_unnumbered_cell():
    assert split_citations("《中华人民共和国政府信息公开条例》") == [(1, "《中华人民共和国政府信息公开条例》")]
    assert split_citations("") == []


def test_number_spellings():
    for s in ["国务院令第765号", "国务院令765号", "中华人民共和国国务院令 第765号", "国务院令 第 765 号"]:
        assert canonical_number(s) == "国务院令第765号"
    assert canonical_number("765号令") == "第765号令"
    for s in ["人社部发〔2015〕32号", "人社部发[2015]32号", "人社部发（2015）32号", "人社部发(2015)32号", "人社部发﹝2015﹞32号", "人社部发 〔2015〕 32号"]:
        assert canonical_number(s) == "人社部发〔2015〕32号"
    assert canonical_number("LD/T 33—2015") == "LD/T 33"
    assert canonical_number("2010年10月28日通过") is None


def test_parse_title_and_number():
    c = parse_citation(3, "《社会保险费征缴暂行条例》（中华人民共和国国务院令 710号）")
    assert (c.ordinal, c.title, c.number, c.note) == (3, "社会保险费征缴暂行条例", "国务院令第710号", None)


def test_parse_title_with_a_note_of_dates_and_a_nested_title():
    c = parse_citation(2, SIL)
    assert c.title == "中华人民共和国社会保险法"
    assert c.number is None
    assert c.dates == ("2010-10-28", "2018-12-29")


def test_parse_nested_angle_titles_and_brackets_in_titles():
    c = parse_citation(1, "《关于印发〈机关事业单位工作人员基本养老保险经办规程〉的通知》（人社部发〔2015〕32号）")
    assert c.title == "关于印发〈机关事业单位工作人员基本养老保险经办规程〉的通知"
    c = parse_citation(1, "《领取社会保险待遇资格确认经办规程（暂行）》（人社厅发〔2018〕107号）")
    assert (c.title, c.number) == ("领取社会保险待遇资格确认经办规程（暂行）", "人社厅发〔2018〕107号")


def test_parse_standard_with_edition():
    c = parse_citation(7, "LD/T 32—2015《社会保障卡规范》")
    assert (c.title, c.number, c.edition) == ("社会保障卡规范", "LD/T 32", 2015)
    c = parse_citation(8, "LD/T 33—2016《社会保障卡读写终端规范》")
    assert (c.number, c.edition) == ("LD/T 33", 2016)


def test_parse_basis_keeps_order():
    assert [c.ordinal for c in parse_basis("1. 《失业保险条例》 2. 《工伤保险条例》")] == [1, 2]


def test_written_spellings_are_the_title_and_the_number_as_the_citation_writes_them():
    cases = {
        "《中华人民共和国政府信息公开条例》（中华人民共和国国务院令 第711号）": ["中华人民共和国政府信息公开条例", "中华人民共和国国务院令 第711号"],
        "《社会保险费征缴暂行条例》（中华人民共和国国务院令 710号）": ["社会保险费征缴暂行条例", "中华人民共和国国务院令 710号"],
        "LD/T 33—2016《社会保障卡读写终端规范》": ["社会保障卡读写终端规范", "LD/T 33—2016"],
        "人社部发[2015]32号": ["人社部发[2015]32号"],
        "765号令": ["765号令"],
        "《领取社会保险待遇资格确认经办规程（暂行）》（人社厅发〔2018〕107号）": ["领取社会保险待遇资格确认经办规程（暂行）", "人社厅发〔2018〕107号"],
        SIL: ["中华人民共和国社会保险法"],  # a note of dates is no number
    }
    for text, spellings in cases.items():
        assert written_spellings(parse_citation(1, text)) == spellings, text


def test_a_number_inside_the_title_is_not_the_citations_number():
    c = parse_citation(1, "《国务院关于修改〈国务院令第1号〉的决定》（国务院令第586号）")
    assert (c.number, written_number(c)) == ("国务院令第586号", "国务院令第586号")
