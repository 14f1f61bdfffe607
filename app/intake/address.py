"""Prefecture and 市区町村 from an address as gBizINFO or a member list writes it (東京都千代田区丸の内１丁目…).

Reading chosen (the contract's `municipality` decides municipal programs, which cities run):
- 東京都の特別区 are municipalities: 「東京都品川区…」 → 品川区.
- A 政令指定都市's ward is not: 「兵庫県神戸市中央区…」 → 神戸市 (the city runs the program; the ward is
  returned separately as `ward`).
- A 郡 is not a municipality: 「長野県北安曇郡白馬村…」 → 白馬村.
- Cities whose name holds 市 before its end (四日市市, 廿日市市, 野々市市) are listed, since the first 市
  would otherwise end the name.
An address that fits none of these gives no municipality (absent, never a guess).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from eligibility.facts import PREFECTURES

# Names in which 市 appears before the final 市 (総務省 全国地方公共団体コード; the complete list today).
_CITIES_WITH_INNER_SHI = ("四日市市", "廿日市市", "野々市市")
# 郡 then a 町 or 村; the 郡's name holds no 市 or 区 (郡山市 is a city, not a 郡).
_GUN = re.compile(r"(?P<gun>[^\d市区郡]{1,6}郡)(?P<town>[^\d]{1,6}?[町村])")
# A city or a Tokyo ward, then (for a 政令市) a ward.
_CITY = re.compile(r"(?P<city>[^\d]{1,7}?[市区])(?:(?P<ward>[^\d市区]{1,5}区))?")
_POSTAL = re.compile(r"^〒?\d{3}-?\d{4}")  # a postal code written before the address
# A 町 or 村 written without its 郡 (and the 東京都 islands, which have no 郡).
_TOWN = re.compile(r"(?P<town>[^\d]{1,6}?[町村])")


class Address(NamedTuple):
    prefecture: str | None
    municipality: str | None
    ward: str | None = None


def split_address(text: str | None) -> Address:
    """The prefecture (one of the 47 official names) and the municipality of an address.

    >>> split_address("東京都千代田区丸の内１丁目１番１号")
    Address(prefecture='東京都', municipality='千代田区', ward=None)
    >>> split_address("兵庫県神戸市中央区加納町6-5-1")
    Address(prefecture='兵庫県', municipality='神戸市', ward='中央区')
    >>> split_address("長野県北安曇郡白馬村大字北城")
    Address(prefecture='長野県', municipality='白馬村', ward=None)
    >>> split_address("三重県四日市市諏訪町1番5号").municipality, split_address("福島県郡山市朝日1-23-7").municipality
    ('四日市市', '郡山市')
    >>> split_address("愛知県岡崎市十王町2丁目9番地").municipality, split_address("東京都東村山市本町1").municipality
    ('岡崎市', '東村山市')
    >>> split_address("〒100-0005 東京都千代田区丸の内1-1-1").municipality
    '千代田区'
    >>> split_address("Null"), split_address("Tokyo")
    (Address(prefecture=None, municipality=None, ward=None), Address(prefecture=None, municipality=None, ward=None))
    """
    if not text:
        return Address(None, None)
    text = _POSTAL.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))
    prefecture = next((p for p in PREFECTURES if text.startswith(p)), None)
    if prefecture is None:
        return Address(None, None)
    rest = text[len(prefecture):]
    for name in _CITIES_WITH_INNER_SHI:
        if rest.startswith(name):
            return Address(prefecture, name)
    if m := _GUN.match(rest):
        return Address(prefecture, m["town"])
    if m := _CITY.match(rest):
        city = m["city"]
        if prefecture == "東京都" and city.endswith("区"):
            return Address(prefecture, city)  # a 特別区 is a municipality of its own
        if city.endswith("市"):
            return Address(prefecture, city, m["ward"])
    if m := _TOWN.match(rest):
        return Address(prefecture, m["town"])
    return Address(prefecture, None)
