"""The business phase (DOMAIN.md 2): as stated, or inferred from the profile with the basis shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from eligibility.dates import not_yet_passed
from eligibility.profile import Profile

CONCEPT_TYPES = {"individual", "vc", "accelerator", "ecosystem_builder"}


@dataclass(frozen=True)
class PhaseInfo:
    value: str | None
    inferred: bool
    basis_ja: str
    basis_en: str

    def as_dict(self) -> dict[str, object]:
        return {"value": self.value, "inferred": self.inferred, "basis": self.basis_ja, "basis_en": self.basis_en}


def infer_phase(p: Profile, as_of: dt.date, concept_years: int) -> PhaseInfo:
    """Stated phase wins; else overseas plans → expansion, young or pre-business → concept, else launch."""
    if p.phase is not None:
        return PhaseInfo(p.phase, False, "申請者の回答", "stated by the applicant")
    if any(f.already_filed is False for f in p.foreign_filings or ()) or p.overseas_disputes or p.litigation_insurance:
        return PhaseInfo("expansion", True, "海外出願・海外トラブル・訴訟保険の予定があるため",
                         "planned foreign filings, disputes abroad or litigation insurance")
    if p.applicant_type in CONCEPT_TYPES:
        return PhaseInfo("concept", True, "創業前・投資家・支援者のため", "not yet in business, or an investor or supporter")
    if p.established_on is not None and not_yet_passed(p.established_on, as_of, concept_years):
        return PhaseInfo("concept", True, f"設立から{concept_years}年以内のため",
                         f"founded less than {concept_years} years ago")
    if p.interests and "overseas" in p.interests:
        return PhaseInfo("expansion", True, "海外展開に関心があるため", "interested in going abroad")
    if p.established_on is None and p.applicant_type is None:
        return PhaseInfo(None, True, "推定に必要な回答がありません", "not enough answers to infer")
    return PhaseInfo("launch", True, f"設立から{concept_years}年以上で海外の予定がないため",
                     f"over {concept_years} years old with no plans abroad")
