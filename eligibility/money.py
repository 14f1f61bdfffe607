"""Yen amounts: rounding down to a unit and writing them the way Japanese documents do."""

from __future__ import annotations

from fractions import Fraction


def floor_to(amount: Fraction | int, unit: int) -> int:
    """Round down to a multiple of `unit` (DOMAIN.md 5: to the nearest ¥1,000).

    >>> floor_to(Fraction(2000000, 3), 1000)
    666000
    >>> floor_to(1999, 1000)
    1000
    >>> floor_to(0, 1000)
    0
    """
    if unit <= 0:
        raise ValueError("unit must be positive")
    return int(Fraction(amount) // unit) * unit


def yen_ja(amount: int) -> str:
    """Yen in 億/万 notation.

    >>> yen_ja(10_000_000)
    '1,000万円'
    >>> yen_ja(300_000_000)
    '3億円'
    >>> yen_ja(150_000_000)
    '1億5,000万円'
    >>> yen_ja(1_234_567)
    '123万4,567円'
    >>> yen_ja(0)
    '0円'
    """
    if amount < 0:
        return "−" + yen_ja(-amount)
    oku, rest = divmod(amount, 100_000_000)
    man, yen = divmod(rest, 10_000)
    parts = []
    if oku:
        parts.append(f"{oku:,}億")
    if man:
        parts.append(f"{man:,}万")
    if yen or not parts:
        parts.append(f"{yen:,}")
    return "".join(parts) + "円"


def yen_en(amount: int) -> str:
    """Yen for English text.

    >>> yen_en(1_900_000)
    '¥1,900,000'
    """
    return f"¥{amount:,}"


def yen(amount: int, lang: str = "ja") -> str:
    return yen_ja(amount) if lang == "ja" else yen_en(amount)


def rate_text(rate: Fraction) -> str:
    """A rate as the contract writes it.

    >>> rate_text(Fraction(2, 3))
    '2/3'
    """
    return f"{rate.numerator}/{rate.denominator}"
