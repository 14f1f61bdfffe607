"""Three applicants of issue 14, as API profiles: a VC-backed startup, a 120-person manufacturer with
counterfeits abroad, and a sole proprietor who answered 「わからない」 to most questions (absent = unknown)."""

from __future__ import annotations

from typing import Any

AS_OF = "2026-06-01"

STARTUP: dict[str, Any] = {
    "as_of": AS_OF, "company_name": "株式会社ロジAI", "applicant_type": "corporation", "established_on": "2023-04-03",
    "employees": 12, "capital_yen": 80_000_000, "industry": "software", "prefecture": "東京都", "municipality": "渋谷区",
    "large_company_shareholding": {"largest": 0, "combined": 0}, "large_company_officer_ratio": 0,
    "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 0, "vc_backed": True,
    "domestic_applications": ["patent", "trademark"], "patent_exam_status": "filed", "working_related": True,
    "foreign_filings": [{"right": "patent", "cost_yen": 4_000_000, "already_filed": False}],
    "overseas_disputes": [], "interests": ["ip_strategy", "fast_examination", "fee_reduction", "overseas"],
    "description": "物流の配車を最適化するAI。VCから出資を受け、米国展開を準備中。",
}

MANUFACTURER: dict[str, Any] = {
    "as_of": AS_OF, "company_name": "株式会社中部精機", "applicant_type": "corporation", "established_on": "1968-10-01",
    "employees": 120, "capital_yen": 90_000_000, "industry": "manufacturing", "prefecture": "愛知県",
    "municipality": "岡崎市", "large_company_shareholding": {"largest": 0, "combined": 0},
    "large_company_officer_ratio": 0, "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 60_000_000,
    "domestic_applications": ["patent", "design", "trademark"], "patent_exam_status": "started",
    "foreign_filings": [{"right": "trademark", "cost_yen": 900_000, "already_filed": False}],
    "overseas_disputes": [{"kind": "counterfeit", "cost_yen": 5_000_000, "holds_local_right": True}],
    "vc_backed": False, "interests": ["enforcement", "overseas"],
    "description": "工作機械の部品メーカー。中国とタイで模倣品が出回っている。",
}

SOLE_PROPRIETOR: dict[str, Any] = {
    "as_of": AS_OF, "applicant_type": "sole_proprietor", "prefecture": "福岡県", "employees": 1,
    "interests": ["consultation"],
}

PERSONAS: dict[str, dict[str, Any]] = {
    "startup": STARTUP, "manufacturer": MANUFACTURER, "sole-proprietor": SOLE_PROPRIETOR,
}
