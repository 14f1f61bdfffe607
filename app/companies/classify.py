"""Applicant type from the 法人種別, industry from the JSIC text: only what follows without doubt.

Sources:
- 法人種別 codes: 国税庁 法人番号システム Web-API 仕様書「法人種別」
  (https://www.houjin-bangou.nta.go.jp/documents/k-web-api-kinou-gaiyo.pdf).
- Industries of 中小企業基本法 by 日本標準産業分類 (JSIC): 中小企業庁「中小企業・小規模企業者の定義」FAQ
  (https://www.chusho.meti.go.jp/soshiki/teigi.html) and 中小企業基本法施行令 第1条 (ゴム製品製造業, ソフトウェア業・
  情報処理サービス業, 旅館業); JSIC: https://www.soumu.go.jp/toukei_toukatsu/index/seido/sangyo/index.htm
"""

from __future__ import annotations

import re
import unicodedata

# 株式会社・有限会社（特例有限会社）・合名・合資・合同会社 are 会社: our `corporation`.
_KIND_CODES = {"301": "corporation", "302": "corporation", "303": "corporation", "304": "corporation",
               "305": "corporation"}
_COMPANY_FORMS = ("株式会社", "有限会社", "合名会社", "合資会社", "合同会社")
# 399 「その他の設立登記法人」 holds many kinds: the name's legal form decides, when it is one of ours.
# 一般社団・財団法人, 農業協同組合, 医療法人 … fit none of our types without doubt: absent.
_NAME_FORMS: tuple[tuple[str, str], ...] = (
    ("特定非営利活動法人", "npo"),
    ("事業協同組合", "sme_group"), ("事業協同小組合", "sme_group"), ("企業組合", "sme_group"),
    ("協業組合", "sme_group"), ("商工組合", "sme_group"),
    ("商工会議所", "chamber"), ("商工会", "chamber"),
    ("国立研究開発法人", "research_institute"),
    ("国立大学法人", "university"), ("公立大学法人", "university"),
)


def applicant_type(kind: str | None, name: str | None) -> str | None:
    """Our applicant type from gBizINFO's `kind` (code or words) and the name; None when not certain.

    >>> applicant_type("301", "株式会社A"), applicant_type(None, "合同会社B"), applicant_type("399", "X事業協同組合")
    ('corporation', 'corporation', 'sme_group')
    >>> print(applicant_type("399", "一般社団法人C"), applicant_type("401", "Foo Inc."), applicant_type("201", "X市"))
    None None None
    >>> applicant_type("399", "学校法人D学園") is None, applicant_type("399", "国立大学法人E大学")
    (True, 'university')
    """
    kind_text = unicodedata.normalize("NFKC", kind or "").strip()
    if kind_text in _KIND_CODES:
        return _KIND_CODES[kind_text]
    if kind_text in _COMPANY_FORMS:
        return "corporation"
    if kind_text and kind_text not in ("399", "その他の設立登記法人"):
        return None  # 国の機関, 地方公共団体, 外国会社等 and unknown codes: none of ours for certain
    text = unicodedata.normalize("NFKC", name or "")
    for form, value in _NAME_FORMS:
        if form in text:
            return value
    if not kind_text and any(form in text for form in _COMPANY_FORMS):
        return "corporation"
    return None


# JSIC 大分類 (and the 中分類 that the 政令 names) → the industries of our enum it may be. One value: certain.
# 製造業 may be ゴム製品製造業 (政令: 900 employees), 情報通信業 holds 通信業 (other), 放送業 (services) and
# ソフトウェア業 (software); 卸売業，小売業 and 宿泊業，飲食サービス業 (飲食店 count as 小売業) are mixed too.
JSIC: dict[str, tuple[str, ...]] = {
    "農業，林業": ("other",), "漁業": ("other",), "鉱業，採石業，砂利採取業": ("other",),
    "建設業": ("construction",),
    "製造業": ("manufacturing", "rubber"),
    "電気・ガス・熱供給・水道業": ("other",),
    "情報通信業": ("software", "services", "other"),
    "運輸業，郵便業": ("transport",),
    "卸売業，小売業": ("wholesale", "retail"),
    "金融業，保険業": ("other",),
    "不動産業，物品賃貸業": ("other", "services"),
    "学術研究，専門・技術サービス業": ("services",),
    "宿泊業，飲食サービス業": ("hotel", "services", "retail"),
    "生活関連サービス業，娯楽業": ("services",),
    "教育，学習支援業": ("services",),
    "医療，福祉": ("services",),
    "複合サービス事業": ("services",),
    "サービス業（他に分類されないもの）": ("services",),
    "公務（他に分類されるものを除く）": ("other",),
    # 中分類 / 小分類 that decide by themselves
    "ゴム製品製造業": ("rubber",),
    "ソフトウェア業": ("software",), "情報処理サービス業": ("software",),
    "情報サービス業": ("software", "services"),
    "旅館，ホテル": ("hotel",), "宿泊業": ("hotel", "services"),
    "飲食店": ("retail",),
}
_SEPARATORS = str.maketrans({",": "，", "、": "，", "(": "（", ")": "）"})


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(_SEPARATORS)


_JSIC_BY_KEY = {_key(k): v for k, v in JSIC.items()}


def industry(categories: list[str]) -> tuple[str | None, list[str]]:
    """(our industry, []) when every JSIC text gives the same single one; else (None, the candidates).

    A 中分類 name ending in 卸売業 or 小売業 (e.g. 機械器具卸売業) decides by itself; 製造業 names other than
    ゴム製品製造業 count as manufacturing.

    >>> industry(["建設業"]), industry(["情報通信業"])
    (('construction', []), (None, ['software', 'services', 'other']))
    >>> industry(["製造業"]), industry(["輸送用機械器具製造業"]), industry(["機械器具卸売業"])
    ((None, ['manufacturing', 'rubber']), ('manufacturing', []), ('wholesale', []))
    >>> industry([]), industry(["分類不能の産業"]), industry(["建設業", "分類不能の産業"])
    ((None, []), (None, []), (None, ['construction']))
    """
    found: list[str] = []
    doubt = False  # a text we cannot place leaves the industry open even when the others agree
    for text in categories:
        key = _key(text)
        options = _JSIC_BY_KEY.get(key)
        if options is None:
            if key.endswith("卸売業"):
                options = ("wholesale",)
            elif key.endswith("小売業"):
                options = ("retail",)
            elif key.endswith("製造業"):
                options = ("manufacturing",)  # a 中分類 other than ゴム製品製造業 (listed above)
            else:
                options, doubt = (), True
        for option in options:
            if option not in found:
                found.append(option)
    if len(found) == 1 and not doubt:
        return found[0], []
    return None, found
