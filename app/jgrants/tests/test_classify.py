"""The classifier: every title of the recorded list, the titles of DOMAIN.md 7.1 / 7.4, and what it refuses."""

from __future__ import annotations

import pytest

from app.jgrants.classify import Placed, Unplaced, Unrelated, classify, fiscal_year
from app.jgrants.tests.fake_jgrants import DETAIL_FILES, detail_record, list_records

# Expected placement of each call of list-response.ip-programs-fy2026.json, by id.
LIST_EXPECTED = {
    "a0WJ200000CDe5zMAD": ("foreign_filing_subsidy", "和歌山県", 2026, "令和8年度 2次募集", "FY2026 2nd call"),
    "a0WJ200000CDdfVMAT": ("foreign_filing_subsidy", "岐阜県", 2026, "令和8年度 2次募集", "FY2026 2nd call"),
    "a0WJ200000CDXmVMAX": ("inpit_foreign_filing_interim", "全国", 2026, "令和8年度", "FY2026"),
    "a0WJ200000CDYR2MAP": ("tokyo_overseas_trademark", "東京都", 2026, "令和8年度", "FY2026"),
}


def _area(record: dict) -> str | None:
    areas = (record.get("target_area_search") or "").split(" / ")
    return areas[0] if len(areas) == 1 and areas[0] else None


@pytest.mark.parametrize("record", list_records(), ids=lambda r: r["id"])
def test_every_title_of_the_recorded_list(record):
    got = classify(record["title"], _area(record))
    assert isinstance(got, Placed), got
    assert (got.program_id, got.area, got.fiscal_year, got.round_ja, got.round_en) == LIST_EXPECTED[record["id"]]


@pytest.mark.parametrize("name", DETAIL_FILES)
def test_titles_of_the_recorded_details(name):
    rec = detail_record(name)
    got = classify(rec["title"], _area(rec))
    assert isinstance(got, Placed)
    expected = {"a0WJ200000CDbfKMAT": ("foreign_filing_subsidy", "愛知県", "令和8年度 2次募集"),
                "a0WJ200000CDXmVMAX": ("inpit_foreign_filing_interim", "全国", "令和8年度"),
                "a0WJ200000CDYQnMAP": ("tokyo_foreign_infringement_survey", "東京都", "令和8年度")}[rec["id"]]
    assert (got.program_id, got.area, got.round_ja) == expected


TITLES = [
    # 機関 names map to their prefecture (DOMAIN.md 7.1)
    ("【大阪産業局】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None,
     ("foreign_filing_subsidy", "大阪府", 2026, "令和8年度")),
    ("【NIRO】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None,
     ("foreign_filing_subsidy", "兵庫県", 2026, "令和8年度")),
    ("【ひょうご・新産業創造研究機構】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None,
     ("foreign_filing_subsidy", "兵庫県", 2026, "令和8年度")),
    ("【島根県・第3回】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None,
     ("foreign_filing_subsidy", "島根県", 2026, "令和8年度 第3回")),
    ("【東京都】令和７年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None,
     ("foreign_filing_subsidy", "東京都", 2025, "令和7年度")),
    ("【京都府】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None,
     ("foreign_filing_subsidy", "京都府", 2026, "令和8年度")),
    ("【いわて産業振興センター】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None,
     ("foreign_filing_subsidy", "岩手県", 2026, "令和8年度")),
    ("【鹿児島県】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None,
     ("foreign_filing_subsidy", "鹿児島県", 2026, "令和8年度")),
    ("令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", "秋田県",
     ("foreign_filing_subsidy", "秋田県", 2026, "令和8年度")),  # no 【…】: the call's single prefecture
    # INPIT: 外国出願補助金 and its interim program; full-width digits; the round
    ("【令和８年度 第３回】INPIT外国出願補助金", "全国", ("inpit_foreign_filing_subsidy", "全国", 2026, "令和8年度 第3回")),
    ("ＩＮＰＩＴ外国出願補助金（中間手続補助）令和８年度", None, ("inpit_foreign_filing_interim", "全国", 2026, "令和8年度")),
    # Tokyo's 知的財産総合センター: the call's own area confirms it when the title does not say 東京
    ("令和８年度特許調査費用助成事業", "東京都", ("tokyo_patent_search", "東京都", 2026, "令和8年度")),
    ("令和８年度外国特許出願費用助成事業（東京都知的財産総合センター）", None,
     ("tokyo_foreign_patent_filing", "東京都", 2026, "令和8年度")),
    ("令和８年度外国商標出願費用助成事業", "東京都", ("tokyo_foreign_patent_filing", "東京都", 2026, "令和8年度")),
    # municipalities, written with their prefecture
    ("令和８年度岡崎ものづくり支援補助金（知的財産権取得事業）", "愛知県", ("okazaki_ip_acquisition", "愛知県岡崎市", 2026, "令和8年度")),
    ("令和８年度 小牧市中小企業知的財産権取得事業費補助金", None, ("komaki_ip_acquisition", "愛知県小牧市", 2026, "令和8年度")),
]


@pytest.mark.parametrize(("title", "area", "expected"), TITLES, ids=[t[0][:24] for t in TITLES])
def test_placed(title, area, expected):
    got = classify(title, area)
    assert isinstance(got, Placed), got
    assert (got.program_id, got.area, got.fiscal_year, got.round_ja) == expected


@pytest.mark.parametrize(("title", "area"), [
    ("令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None),  # which prefecture?
    ("【愛知県・岐阜県】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）", None),  # two
    ("【岐阜県】中小企業等海外展開支援事業費補助金（海外出願支援事業）", None),  # no 公募年度
    ("令和８年度外国侵害調査費用助成事業", "大阪府"),  # a Tokyo program's name in another prefecture
    ("令和８年度外国侵害調査費用助成事業", None),  # nothing says Tokyo
    ("令和８年度 知的財産活用促進補助金", "福岡県"),  # about IP, but no program of ours
    ("令和８年度_中小企業等海外展開支援事業費補助金（海外侵害対策支援事業）", "全国"),  # JETRO's, not ours
])
def test_unplaced(title, area):
    assert isinstance(classify(title, area), Unplaced)


@pytest.mark.parametrize("title", ["令和８年度 展示会出展補助金（海外展開）", "省エネ設備導入補助金", ""])
def test_unrelated_or_empty(title):
    got = classify(title)
    assert isinstance(got, Unplaced if not title else Unrelated)


def test_fiscal_year_from_full_width_digits():
    assert fiscal_year("令和８年度") == 2026
    assert fiscal_year("令和１０年度") == 2028
    assert fiscal_year("Ｒ８年度") == 2026
