"""Where a jGrants call belongs: the 47 prefectures (official name, English, reading) and the operators
that post calls under their own name (「【大阪産業局】…」), each mapped to its prefecture.

Pure data, no I/O. An operator listed here names its prefecture only; its web address is given only where
it is the operator's own public site.
"""

from __future__ import annotations

from dataclasses import dataclass

# (official name, English, hiragana reading of the stem). The reading catches operator names written in
# kana, e.g. 「わかやま産業振興財団」, 「あいち産業振興機構」, 「ひょうご…」.
PREFECTURES: tuple[tuple[str, str, str], ...] = (
    ("北海道", "Hokkaido", "ほっかいどう"), ("青森県", "Aomori Prefecture", "あおもり"),
    ("岩手県", "Iwate Prefecture", "いわて"), ("宮城県", "Miyagi Prefecture", "みやぎ"),
    ("秋田県", "Akita Prefecture", "あきた"), ("山形県", "Yamagata Prefecture", "やまがた"),
    ("福島県", "Fukushima Prefecture", "ふくしま"), ("茨城県", "Ibaraki Prefecture", "いばらき"),
    ("栃木県", "Tochigi Prefecture", "とちぎ"), ("群馬県", "Gunma Prefecture", "ぐんま"),
    ("埼玉県", "Saitama Prefecture", "さいたま"), ("千葉県", "Chiba Prefecture", "ちば"),
    ("東京都", "Tokyo Metropolis", "とうきょう"), ("神奈川県", "Kanagawa Prefecture", "かながわ"),
    ("新潟県", "Niigata Prefecture", "にいがた"), ("富山県", "Toyama Prefecture", "とやま"),
    ("石川県", "Ishikawa Prefecture", "いしかわ"), ("福井県", "Fukui Prefecture", "ふくい"),
    ("山梨県", "Yamanashi Prefecture", "やまなし"), ("長野県", "Nagano Prefecture", "ながの"),
    ("岐阜県", "Gifu Prefecture", "ぎふ"), ("静岡県", "Shizuoka Prefecture", "しずおか"),
    ("愛知県", "Aichi Prefecture", "あいち"), ("三重県", "Mie Prefecture", "みえ"),
    ("滋賀県", "Shiga Prefecture", "しが"), ("京都府", "Kyoto Prefecture", "きょうと"),
    ("大阪府", "Osaka Prefecture", "おおさか"), ("兵庫県", "Hyogo Prefecture", "ひょうご"),
    ("奈良県", "Nara Prefecture", "なら"), ("和歌山県", "Wakayama Prefecture", "わかやま"),
    ("鳥取県", "Tottori Prefecture", "とっとり"), ("島根県", "Shimane Prefecture", "しまね"),
    ("岡山県", "Okayama Prefecture", "おかやま"), ("広島県", "Hiroshima Prefecture", "ひろしま"),
    ("山口県", "Yamaguchi Prefecture", "やまぐち"), ("徳島県", "Tokushima Prefecture", "とくしま"),
    ("香川県", "Kagawa Prefecture", "かがわ"), ("愛媛県", "Ehime Prefecture", "えひめ"),
    ("高知県", "Kochi Prefecture", "こうち"), ("福岡県", "Fukuoka Prefecture", "ふくおか"),
    ("佐賀県", "Saga Prefecture", "さが"), ("長崎県", "Nagasaki Prefecture", "ながさき"),
    ("熊本県", "Kumamoto Prefecture", "くまもと"), ("大分県", "Oita Prefecture", "おおいた"),
    ("宮崎県", "Miyazaki Prefecture", "みやざき"), ("鹿児島県", "Kagoshima Prefecture", "かごしま"),
    ("沖縄県", "Okinawa Prefecture", "おきなわ"),
)

PREFECTURE_NAMES: frozenset[str] = frozenset(p[0] for p in PREFECTURES)
PREFECTURE_EN: dict[str, str] = {p[0]: p[1] for p in PREFECTURES}


@dataclass(frozen=True)
class Operator:
    """An organisation that posts calls on jGrants under its own name."""

    ja: str
    en: str
    prefecture: str  # an official prefecture name, or 全国
    url: str | None = None


# Operators seen in the titles of FY2026 calls (DOMAIN.md 7.1: 大阪産業局, 兵庫 (NIRO), わかやま産業振興財団,
# あいち産業振興機構) and the national ones. Keys are the spellings that appear inside 【…】 or the title.
OPERATORS: dict[str, Operator] = {
    "大阪産業局": Operator("大阪産業局", "Osaka Business Development Agency", "大阪府"),
    "NIRO": Operator("新産業創造研究機構（NIRO）", "New Industry Research Organization (NIRO)", "兵庫県",
                     "https://www.niro.or.jp/"),
    "新産業創造研究機構": Operator("新産業創造研究機構（NIRO）", "New Industry Research Organization (NIRO)",
                                   "兵庫県", "https://www.niro.or.jp/"),
    "わかやま産業振興財団": Operator("わかやま産業振興財団", "Wakayama Industrial Promotion Foundation", "和歌山県"),
    "あいち産業振興機構": Operator("あいち産業振興機構", "Aichi Industry Promotion Organization", "愛知県"),
    "INPIT": Operator("工業所有権情報・研修館（INPIT）", "INPIT (National Center for Industrial Property "
                      "Information and Training)", "全国", "https://www.inpit.go.jp/"),
    "知的財産総合センター": Operator("東京都知的財産総合センター", "Tokyo Intellectual Property Center", "東京都",
                                     "https://www.tokyo-kosha.or.jp/chizai/"),
    "JETRO": Operator("日本貿易振興機構（JETRO）", "JETRO", "全国", "https://www.jetro.go.jp/"),
    "ジェトロ": Operator("日本貿易振興機構（JETRO）", "JETRO", "全国", "https://www.jetro.go.jp/"),
}

# Municipalities of the municipal programs (DOMAIN.md 7.4), written with their prefecture.
MUNICIPALITIES: dict[str, Operator] = {
    "岡崎": Operator("岡崎ものづくり推進協議会", "Okazaki Monozukuri Promotion Council", "愛知県岡崎市"),
    "小牧": Operator("小牧市", "Komaki City", "愛知県小牧市"),
}


def _aliases() -> list[tuple[str, str]]:
    """(spelling, prefecture), longest first, so that 東京都 wins over 京都 and 鹿児島 over 児島."""
    out: list[tuple[str, str]] = []
    for name, _en, reading in PREFECTURES:
        out.append((name, name))
        stem = name if name == "北海道" else name[:-1]
        if len(stem) >= 2:  # 「三重」「滋賀」…; one-character stems would match anywhere
            out.append((stem, name))
        if len(reading) >= 3:  # 「しが」「なら」「さが」「ちば」「ぎふ」「みえ」 are too short to trust
            out.append((reading, name))
    out.sort(key=lambda a: -len(a[0]))
    return out


ALIASES: list[tuple[str, str]] = _aliases()


def prefectures_in(text: str) -> set[str]:
    """The prefectures named in `text`, each spelling matched once, longest first.

    >>> sorted(prefectures_in("東京都の企業"))
    ['東京都']
    >>> sorted(prefectures_in("わかやま産業振興財団"))
    ['和歌山県']
    >>> sorted(prefectures_in("岐阜県・2次募集"))
    ['岐阜県']
    """
    found: set[str] = set()
    rest = text
    for spelling, pref in ALIASES:
        if spelling in rest:
            found.add(pref)
            rest = rest.replace(spelling, "\0")
    return found


def operator_in(text: str) -> Operator | None:
    """The first known operator named in `text` (longest spelling first)."""
    for key in sorted(OPERATORS, key=len, reverse=True):
        if key in text:
            return OPERATORS[key]
    return None
