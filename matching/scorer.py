"""The transparent prior: ranks programs that are not ineligible by fit signals, each shown as a reason."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from eligibility.engine import ProgramResult, Screening, Trace
from eligibility.facts import enum_label
from eligibility.logic import Outcome
from eligibility.money import yen
from matching.model import Example, LearnedModel
from programs.schema import Program

WEIGHTS_FILE = Path(__file__).with_name("weights.yaml")

# Criteria that read only who the applicant is; meeting them says nothing about a concrete need.
# Who and where the applicant is (municipality and its local site too, DOMAIN.md 7.4), not what it needs.
IDENTITY_FACTS = {
    "applicant_type", "industry", "employees", "capital_yen", "established_on", "large_company_shareholding",
    "large_company_officer_ratio", "wholly_owned_by_large_parent", "avg_taxable_income_yen", "prefecture",
    "as_of", "chamber_member", "design_bulk_filing", "municipality", "local_site_6_months",
}


def nfkc(text: str) -> str:
    """Text normalised for character n-grams.

    >>> nfkc("ＩＰランドスケープ　支援")
    'ipランドスケープ 支援'
    """
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class Weights:
    status: dict[str, float]
    phase: float
    interest: float
    need: float
    money: float
    money_full_yen: int
    text: float
    phase_specificity: float
    kind_bias: dict[str, float]

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Weights:
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            status=d["status"], phase=d["phase"], interest=d["interest"], need=d["need"], money=d["money"],
            money_full_yen=int(d["money_full_yen"]), text=d["text"],
            phase_specificity=float(d.get("phase_specificity", 0.0)), kind_bias=d.get("kind_bias", {}),
        )


def _needs_something(t: Trace) -> bool:
    """A met leaf below `t` that read a fact about what the applicant needs (not only who it is)."""
    stack = [t]
    while stack:
        node = stack.pop()
        if node.children:
            stack.extend(node.children)
        elif node.outcome is Outcome.MET and any(k not in IDENTITY_FACTS for k in node.facts):
            return True
    return False


def concrete_needs(result: ProgramResult) -> list[Trace]:
    """Top-level criteria met on what the applicant needs (a filing, a dispute …), not on who it is."""
    return [top for top in result.reasons if top.outcome is Outcome.MET and _needs_something(top)]


class Scorer:
    """Prior scorer: status × (phase, interests, concrete needs, money, text similarity)."""

    PRIOR_VERSION = "prior-1"

    def __init__(self, programs: Iterable[Program], weights: Weights | None = None,
                 model: LearnedModel | None = None):
        self.weights = weights or Weights.load()
        self.model = model
        self.version = self.PRIOR_VERSION + (f"+{model.version}" if model else "")
        self.programs = list(programs)
        self.index = {p.id: i for i, p in enumerate(self.programs)}
        docs = [nfkc(" ".join([p.names.ja, p.description.ja, " ".join(p.keywords), p.benefit.summary.ja]))
                for p in self.programs]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(docs)
        # The fitted model, taken apart once: scikit-learn's transform + linear_kernel validate their input
        # on every call, ~1 ms for one short text, where the same arithmetic below takes ~0.05 ms.
        v = self.vectorizer
        self._analyze = v.build_analyzer()
        self._vocabulary: dict[str, int] = v.vocabulary_
        self._idf = np.asarray(v.idf_, dtype=np.float64)
        self._vectors = self.matrix.toarray()  # programs × n-grams, rows L2-normalised
        w = self.weights
        self._total_w = w.phase + w.interest + w.need + w.money + w.text

    def similarities(self, text: str | None) -> dict[str, float]:
        """Cosine similarity of the text with each program's description (TF-IDF of character 2–3-grams,
        1 + ln(tf), L2-normalised), relative to the best match. The same values as
        `similarities_reference`, computed straight from the fitted vocabulary, idf and program vectors."""
        if not text or not text.strip():
            return {}
        counts: dict[int, int] = {}
        for gram in self._analyze(nfkc(text)):
            j = self._vocabulary.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:  # no n-gram in common with any program: every similarity is 0
            return {}
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weights = (1.0 + np.log(tf)) * self._idf[idx]  # sublinear_tf=True
        weights /= np.linalg.norm(weights)
        sims = self._vectors[:, idx] @ weights
        top = float(sims.max()) if len(sims) else 0.0
        if top <= 0:
            return {}
        # Relative to the best match, so the most similar program gets the full text weight.
        return {p.id: float(sims[i]) / top for i, p in enumerate(self.programs)}

    def similarities_reference(self, text: str | None) -> dict[str, float]:
        """`similarities` through scikit-learn's own transform (the tests compare the two)."""
        if not text or not text.strip():
            return {}
        vec = self.vectorizer.transform([nfkc(text)])
        sims = linear_kernel(vec, self.matrix).ravel()
        top = float(sims.max()) if len(sims) else 0.0
        if top <= 0:
            return {}
        return {p.id: float(sims[i]) / top for i, p in enumerate(self.programs)}

    def features(self, screening: Screening, r: ProgramResult, sims: dict[str, float],
                 needs: list[Trace] | None = None) -> dict[str, float]:
        prof = screening.profile
        p = r.program
        w = self.weights
        if needs is None:
            needs = concrete_needs(r)
        money = r.estimate.amount_yen if r.estimate else 0
        return {
            "eligible": 1.0 if r.status == "eligible" else 0.0,
            # A program made for this phase fits better than one offered in every phase.
            "phase": (1.0 / len(p.phases)) ** w.phase_specificity if screening.phase.value in p.phases else 0.0,
            # Share of what the applicant asked for that this program delivers.
            "interest": len(set(prof.interests) & set(p.interests)) / len(set(prof.interests)) if prof.interests else 0.0,
            "need": 1.0 if needs else 0.0,
            "money": min(math.log1p(money) / math.log1p(self.weights.money_full_yen), 1.0) if money else 0.0,
            "text": sims.get(p.id, 0.0),
        }

    @staticmethod
    def status_key(r: ProgramResult) -> str:
        """needs_info splits: unknown size or ownership (need clear) vs an unknown need itself."""
        if r.status != "needs_info":
            return r.status
        return "needs_info" if set(r.missing_facts) <= IDENTITY_FACTS else "needs_info_need"

    def score(self, screening: Screening, r: ProgramResult, feats: dict[str, float]) -> tuple[float, list[dict[str, Any]]]:
        w = self.weights
        parts = {
            "phase": w.phase * feats["phase"],
            "interest": w.interest * feats["interest"],
            "need": w.need * feats["need"],
            "money": w.money * feats["money"],
            "text": w.text * feats["text"],
        }
        total_w = self._total_w
        fit = sum(parts.values()) / total_w
        base = w.status[self.status_key(r)]
        bias = w.kind_bias.get(r.program.kind, 0.0)
        s = max(0.0, min(1.0, base * (0.5 + 0.5 * fit) + bias))
        signals = [{"signal": k, "value": round(feats[k], 3), "contribution": round(v / total_w, 3)}
                   for k, v in parts.items() if v > 0]
        signals.insert(0, {"signal": "status", "value": self.status_key(r), "contribution": base})
        return s, signals

    def examples(self, screening: Screening) -> list[tuple[ProgramResult, Example]]:
        """Score every live result with the prior; return it with its features for the model."""
        sims = self.similarities(screening.profile.description)
        out = []
        for r in screening.results:
            if r.status == "ineligible":
                r.rank, r.score, r.signals = None, 0.0, []
                continue
            needs = concrete_needs(r)
            feats = self.features(screening, r, sims, needs)
            r.score, r.signals = self.score(screening, r, feats)
            r.recommendation_ja, r.recommendation_en = reasons(screening, r, feats, needs)
            out.append((r, Example(r.program_id, r.program.kind, {**feats, "prior": r.score})))
        return out

    def rank(self, screening: Screening) -> Screening:
        live = self.examples(screening)
        if self.model is not None and live:
            probs = self.model.predict([ex for _, ex in live])
            a = self.model.alpha
            for (r, _), prob in zip(live, probs, strict=True):
                blended = (1 - a) * r.score + a * float(prob)
                r.signals.append({"signal": "learned", "value": round(float(prob), 3),
                                  "contribution": round(blended - r.score, 3)})
                r.score = max(0.0, min(1.0, blended))
        ordered = sorted((r for r, _ in live), key=lambda r: (-r.score, self.index.get(r.program_id, 0)))
        for i, r in enumerate(ordered, 1):
            r.rank = i
        dead = sorted((r for r in screening.results if r.status == "ineligible"),
                      key=lambda r: self.index.get(r.program_id, 0))
        screening.results = ordered + dead
        screening.model_version = self.version
        return screening


def _cases_words(rows: list[dict[str, Any]]) -> tuple[str, str]:
    """'海外出願を予定している特許1件・意匠1件' from an estimate's breakdown."""
    if rows and "right" in rows[0]:
        counts = Counter(r["right"] for r in rows)
        ja = "・".join(f"{enum_label('right', k)}{n}件" for k, n in counts.items())
        en = ", ".join(f"{n} {enum_label('right', k, 'en').lower()}" for k, n in counts.items())
        return f"海外出願を予定している{ja}", f"{en} planned abroad"
    if rows and "kind" in rows[0]:
        kind = rows[0]["kind"]
        return (f"{enum_label('dispute_kind', kind)}への対策{len(rows)}件",
                f"{len(rows)} case(s) of {enum_label('dispute_kind', kind, 'en').lower()}")
    if rows and "premium_yen" in rows[0]:
        renewal = rows[0].get("renewal")
        return ("海外知財訴訟保険の" + ("更新" if renewal else "新規加入"),
                "The " + ("renewal" if renewal else "new policy"))
    return f"{len(rows)}件", f"{len(rows)} case(s)"


def reasons(screening: Screening, r: ProgramResult, feats: dict[str, float],
            needs: list[Trace] | None = None) -> tuple[list[str], list[str]]:
    """One to three short sentences a client understands (`needs`: `concrete_needs(r)` if worked out)."""
    ja: list[str] = []
    en: list[str] = []
    prof = screening.profile
    p = r.program
    if r.estimate and r.estimate.amount_yen:
        what_ja, what_en = _cases_words(r.estimate.breakdown)
        ja.append(f"{what_ja}が対象です（補助見込み {yen(r.estimate.amount_yen)}）。")
        en.append(f"{what_en} qualif{'ies' if len(r.estimate.breakdown) == 1 else 'y'} "
                  f"(estimated subsidy {yen(r.estimate.amount_yen, 'en')}).")
    elif feats["need"]:
        need = (needs if needs is not None else concrete_needs(r))[0]
        ja.append(f"{need.label_ja}に当たります。")
        en.append(f"Matches: {need.label_en}.")
    if feats["interest"] and prof.interests:
        ja.append("ご関心の支援内容に合っています。")
        en.append("It matches the support you are interested in.")
    if feats["phase"] and screening.phase.value:
        ja.append("今の事業の段階に合った支援です。")
        en.append("It suits your current business phase.")
    if r.status == "needs_info":
        ja.append("いくつかの質問に答えると対象かどうかが確定します。")
        en.append("Answer a few more questions to confirm eligibility.")
    if not ja:
        ja.append(p.description.ja.split("。")[0] + "。")
        en.append(p.description.en.split(". ")[0].rstrip(".") + ".")
    return ja[:3], en[:3]
