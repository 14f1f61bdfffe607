"""The business phase (DOMAIN.md 2): as stated, or inferred from the profile with the basis shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from eligibility.dates import not_yet_passed
from eligibility.facts import enum_label
from eligibility.profile import Profile
from eligibility.wording import founded_word

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
    """Stated phase wins; else overseas plans → expansion, young or pre-business → concept, else launch.

    The basis names only what applies to this applicant, and an unanswered founding date reads as unanswered.
    """
    if p.phase is not None:
        return PhaseInfo(p.phase, False, "申請者の回答", "stated by the applicant")
    abroad = [(ja, en) for hit, ja, en in (
        (any(f.already_filed is False for f in p.foreign_filings or ()), "外国出願の予定", "a planned foreign filing"),
        (bool(p.overseas_disputes), "海外での知財トラブル", "an IP dispute abroad"),
        (p.litigation_insurance is not None, "海外知財訴訟保険への加入予定", "overseas litigation insurance"),
    ) if hit]
    if abroad:
        return PhaseInfo("expansion", True, f"{'・'.join(ja for ja, _ in abroad)}があるため",
                         f"{' and '.join(en for _, en in abroad)}")
    if p.applicant_type in CONCEPT_TYPES:
        if p.applicant_type == "individual":
            return PhaseInfo("concept", True, "創業前の個人のため", "not yet in business")
        return PhaseInfo("concept", True, f"{enum_label('applicant_type', p.applicant_type)}（支援する側）のため",
                         f"a {enum_label('applicant_type', p.applicant_type, 'en').lower()} (a supporter)")
    word_ja, word_en = founded_word(p.applicant_type), founded_word(p.applicant_type, "en")
    if p.established_on is not None and not_yet_passed(p.established_on, as_of, concept_years):
        return PhaseInfo("concept", True, f"{word_ja}から{concept_years}年以内のため",
                         f"{word_en} less than {concept_years} years ago")
    if p.interests and "overseas" in p.interests:
        return PhaseInfo("expansion", True, "海外展開に関心があるため", "interested in going abroad")
    if p.established_on is None and p.applicant_type is None:
        return PhaseInfo(None, True, "推定に必要な回答がありません", "not enough answers to infer")
    if p.established_on is None:
        return PhaseInfo("launch", True, f"{word_ja}日が未回答で、海外の予定も回答にないため（{word_ja}日を答えると変わることがあります）",
                         f"the date {word_en} is not given and no plans abroad were given "
                         f"(answering the date may change this)")
    return PhaseInfo("launch", True, f"{word_ja}から{concept_years}年以上たち、海外の予定が回答にないため",
                     f"{word_en} {concept_years} or more years ago, with no plans abroad given")
