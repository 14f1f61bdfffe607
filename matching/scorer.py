"""The transparent prior: ranks programs that are not ineligible by fit signals, each shown as a reason."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from eligibility.compiled import CompiledResult
from eligibility.engine import ProgramResult, Screening, Trace
from eligibility.logic import Outcome
from matching.model import Example, profile_context
from matching.reasons import reasons, signal_reason
from matching.signals import (
    ActionPolicy,
    DescriptionNeed,
    alternatives_of,
    has_no_ip,
    load_needs,
    needs_in_text,
    needs_stated,
    nfkc,
    window_status,
)
from programs.schema import Program

__all__ = ["IDENTITY_FACTS", "Scorer", "Weights", "concrete_needs", "nfkc", "reasons"]

WEIGHTS_FILE = Path(__file__).with_name("weights.yaml")
FIT_SIGNALS = ("need", "description_need", "audience", "no_ip", "general", "interest", "money", "phase", "text")

# Criteria that read only who the applicant is; meeting them says nothing about a concrete need.
# Who and where the applicant is (municipality and its local site too, DOMAIN.md 7.4), not what it needs.
IDENTITY_FACTS = {
    "applicant_type", "industry", "employees", "capital_yen", "established_on", "large_company_shareholding",
    "large_company_officer_ratio", "wholly_owned_by_large_parent", "avg_taxable_income_yen", "prefecture",
    "as_of", "chamber_member", "design_bulk_filing", "vc_backed", "municipality", "local_site_6_months",
}
# Where the applicant is. A municipal or prefectural program whose area is unknown applies to one place of many
# (DOMAIN.md §7.4: "municipal programs need the applicant's 市区町村"): weights.yaml status.needs_info_area.
LOCATION_FACTS = frozenset({"prefecture", "municipality"})


@dataclass(frozen=True)
class Weights:
    status: dict[str, float]
    floor: float
    fit_norm: float
    fit: dict[str, float]
    need_strength: dict[str, float]
    general: dict[str, float]
    phase_specificity: float
    context_without_evidence: float
    action: ActionPolicy
    audience: dict[str, list[str]]
    no_ip: dict[str, float]
    window: dict[str, float]
    alternatives: list[list[str]]
    kind_bias: dict[str, float]

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Weights:
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        fit = {k: float(d["fit"].get(k, 0.0)) for k in FIT_SIGNALS}
        return cls(
            status=d["status"], floor=float(d["floor"]), fit_norm=float(d["fit_norm"]), fit=fit,
            need_strength=d.get("need_strength") or {}, general=d.get("general") or {},
            phase_specificity=float(d.get("phase_specificity", 0.0)),
            context_without_evidence=float(d.get("context_without_evidence", 1.0)),
            action=ActionPolicy.from_dict(d["action"]), audience=d.get("audience") or {},
            no_ip=d.get("no_ip") or {}, window=d.get("window") or {},
            alternatives=d.get("alternatives") or [], kind_bias=d.get("kind_bias") or {},
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


def need_tops(result: CompiledResult) -> list[int]:
    """`concrete_needs` of a result not rendered, as the positions of its top-level criteria: from the outcomes,
    rendering only a criterion whose met tests' facts are not learned yet."""
    plan, out = result.plan, []
    for k, top in enumerate(plan.tops):
        if result.outcomes[top] != 2:
            continue
        beyond = plan.reads_beyond(result.outcomes, top, IDENTITY_FACTS)
        if beyond is None:  # a met test not seen yet: render, and learn its facts
            t = result.top_trace(k)
            plan.learn(top, t)
            beyond = _needs_something(t)
        if beyond:
            out.append(k)
    return out


def concrete_needs(result: ProgramResult) -> list[Trace]:
    """Top-level criteria met on what the applicant needs (a filing, a dispute …), not on who it is."""
    if isinstance(result, CompiledResult) and result._reasons is None:  # from the outcomes, rendering if need be
        # Rendered: the reason sentence quotes the rule's detail too (the applicant's own answer,
        # matching/reasons.py), and it must read the same when a stored screening is rendered again.
        return [result.top_trace(k) for k in need_tops(result)]
    return [top for top in result.reasons if top.outcome is Outcome.MET and _needs_something(top)]


def need_unknown(result: ProgramResult) -> bool:
    """needs_info on more than who the applicant is: the need itself is still unknown."""
    return result.status == "needs_info" and not set(result.missing_facts) <= IDENTITY_FACTS


def _recommend(screening: Screening, r: CompiledResult, feats: dict[str, float], tops: list[int],
               signals: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """`reasons(...)` as the ranking would have written them (its signals as they were then), the needs
    rendered now: for a result whose sentences are read, if ever, after the ranking."""
    return reasons(screening, r, feats, [r.top_trace(k) for k in tops], signals)


def open_to_anyone(program: Any) -> bool:
    """Every rule of the program is `always` (anyone may use it: a published template or portal)."""
    tests = [c.test for c in program.eligibility]
    return bool(tests) and all(t is not None and t.predicate == "always" for t in tests)


_FIT_LOCK = threading.Lock()


@dataclass(frozen=True)
class TextModel:
    """The programs' descriptions as TF-IDF of character 2–3-grams (1 + ln(tf), L2-normalised), taken apart once:
    scikit-learn's transform + linear_kernel validate their input on every call, ~1 ms for one short text, where
    the same arithmetic in `Scorer.similarity_vector` takes ~0.05 ms."""

    vectorizer: Any
    matrix: Any
    analyze: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray
    vectors: np.ndarray  # programs × n-grams, rows L2-normalised

    @classmethod
    def fit(cls, programs: Sequence[Program]) -> TextModel:
        from sklearn.feature_extraction.text import TfidfVectorizer  # here: only a text to compare needs it

        docs = [nfkc(" ".join([p.names.ja, p.description.ja, " ".join(p.keywords), p.benefit.summary.ja]))
                for p in programs]
        v = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True)
        matrix = v.fit_transform(docs)
        return cls(v, matrix, v.build_analyzer(), v.vocabulary_, np.asarray(v.idf_, dtype=np.float64),
                   matrix.toarray())


class Scorer:
    """Prior scorer: status × who acts × window × (need, audience, no IP, interests, money, phase, text)."""

    PRIOR_VERSION = "prior-3"

    def __init__(self, programs: Iterable[Program], weights: Weights | None = None, model: Any = None,
                 needs: tuple[DescriptionNeed, ...] | None = None):
        self.weights = weights or Weights.load()
        self.needs = needs if needs is not None else load_needs()
        self.model = model
        self.version = self.PRIOR_VERSION + (f"+{model.version}" if model is not None else "")
        self.programs = list(programs)
        self.index = {p.id: i for i, p in enumerate(self.programs)}
        self._text: TextModel | None = None  # fitted on first use (scikit-learn's import is ~1 s of a CLI's start)

    def text_model(self) -> TextModel:
        """The programs' TF-IDF model, fitted on first use (once, whichever thread asks first)."""
        model = self._text
        if model is None:
            with _FIT_LOCK:
                model = self._text
                if model is None:
                    model = self._text = TextModel.fit(self.programs)
        return model

    @property
    def ranker(self) -> str:
        """Which ranker orders the results: the prior alone or the prior with a gated learned correction."""
        return "prior" if self.model is None else "learned"

    def similarities(self, text: str | None) -> dict[str, float]:
        """Cosine similarity of the text with each program's description (TF-IDF of character 2–3-grams,
        1 + ln(tf), L2-normalised), relative to the best match. The same values as
        `similarities_reference`, computed straight from the fitted vocabulary, idf and program vectors."""
        sims = self.similarity_vector(text)
        if sims is None:
            return {}
        return {p.id: float(sims[i]) for i, p in enumerate(self.programs)}

    def similarity_vector(self, text: str | None) -> np.ndarray | None:
        """`similarities` as an array in `programs` order; None where `similarities` is empty."""
        if not text or not text.strip():
            return None
        tm = self.text_model()
        grams = Counter(tm.analyze(nfkc(text)))
        # In the order the n-grams first occur (the dot product below sums in that order).
        counts = {j: c for j, c in zip(map(tm.vocabulary.get, grams), grams.values(), strict=True) if j is not None}
        if not counts:  # no n-gram in common with any program: every similarity is 0
            return None
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weights = (1.0 + np.log(tf)) * tm.idf[idx]  # sublinear_tf=True
        weights /= math.sqrt(weights.dot(weights))  # np.linalg.norm's own arithmetic for a vector, without its checks
        sims = tm.vectors[:, idx] @ weights
        top = float(sims.max()) if len(sims) else 0.0
        if top <= 0:
            return None
        # Relative to the best match, so the most similar program gets the full text weight.
        return sims / top

    def similarities_reference(self, text: str | None) -> dict[str, float]:
        """`similarities` through scikit-learn's own transform (the tests compare the two)."""
        if not text or not text.strip():
            return {}
        from sklearn.metrics.pairwise import linear_kernel

        tm = self.text_model()
        vec = tm.vectorizer.transform([nfkc(text)])
        sims = linear_kernel(vec, tm.matrix).ravel()
        top = float(sims.max()) if len(sims) else 0.0
        if top <= 0:
            return {}
        return {p.id: float(sims[i]) / top for i, p in enumerate(self.programs)}

    def features(self, screening: Screening, r: ProgramResult, ctx: dict[str, Any],
                 needs: Sequence[object] | None = None) -> dict[str, float]:
        """Every fit signal of one result in [0, 1]; `ctx` holds what is shared by the whole screening;
        `needs` its `concrete_needs` (only whether there are any is read: their positions will do)."""
        prof = screening.profile
        p = r.program
        w = self.weights
        if needs is None:
            needs = concrete_needs(r)
        # A met precondition (a Japanese application) is not the need when the need itself is still unknown;
        # a need the answers state (a counterfeit dispute listed, its details unknown) is one.
        stated = p.id in ctx["stated"]
        need = 1.0 if (needs and not need_unknown(r)) or stated else 0.0
        need *= float(w.need_strength.get(p.kind, 1.0))
        described = ctx["described"].get(p.id)
        desc_need = 1.0 if described and not need else 0.0
        audience = 1.0 if prof.applicant_type and prof.applicant_type in w.audience.get(p.id, ()) else 0.0
        no_ip = float(w.no_ip.get(p.id, 0.0)) if ctx["no_ip"] else 0.0
        interest = (len(set(prof.interests) & set(p.interests)) / len(set(prof.interests))
                    if prof.interests else 0.0)
        money = r.estimate.amount_yen if r.estimate and r.estimate.amount_yen else 0
        phase = ((1.0 / len(p.phases)) ** w.phase_specificity if screening.phase.value in p.phases else 0.0)
        text = ctx["sims"].get(p.id, 0.0)
        # Phase and text alone do not make a generic program relevant (weights.yaml context_without_evidence).
        evidence = need or desc_need or audience or no_ip or interest or money
        share = 1.0 if evidence else w.context_without_evidence
        return {
            "eligible": 1.0 if r.status == "eligible" else 0.0,
            "need": need, "description_need": desc_need, "audience": audience, "no_ip": no_ip,
            "general": float(w.general.get(p.id, 0.0)),
            "interest": interest,
            # Linear, relative to the largest amount open to this applicant (not a log scale: ¥200,000 of
            # insurance must not weigh like ¥4,000,000 of defence).
            "money": money / ctx["max_money"] if money and ctx["max_money"] else 0.0,
            "phase": phase * share, "text": text * share,
        }

    def status_key(self, r: ProgramResult, stated: bool = False) -> str:
        """needs_info splits: the applicant's municipality or prefecture unknown (the program is for one place),
        unknown size or ownership (need clear) vs an unknown need itself; a need the answers or the description
        state counts as clear (its question is asked)."""
        if r.status != "needs_info":
            return r.status
        if LOCATION_FACTS.intersection(r.missing_facts):
            return "needs_info_area"
        if set(r.missing_facts) <= IDENTITY_FACTS or stated:
            return "needs_info"
        return "needs_info_need"

    def score(self, screening: Screening, r: ProgramResult, feats: dict[str, float],
              ctx: dict[str, Any] | None = None) -> tuple[float, list[dict[str, Any]]]:
        w = self.weights
        ctx = ctx or {"described": {}, "stated": set()}
        described = ctx["described"].get(r.program_id)
        status = self.status_key(r, r.program_id in ctx["stated"] or (
            bool(described) and feats.get("description_need", 0.0) > 0))
        stated_need = r.program_id in ctx["stated"] or any(feats.get(k) for k in ("need", "description_need"))
        if status == "eligible" and open_to_anyone(r.program) and not stated_need:
            # A rule anyone meets (OIモデル契約書: `always`) says nothing about this applicant: its "eligible"
            # must not outrank programs still open for a sparse roster row (issue 14: one template first for
            # every member of a chamber's list).
            status = "open_to_anyone"
        base = w.status[status]
        act = w.action.class_of(r.program, screening.profile)
        act_f = w.action.factor(act)
        stated = any(feats.get(k) for k in ("need", "description_need", "audience"))
        if w.action.lifts(act, stated, screening.profile.interests or ()):
            act_f = 1.0
        win = window_status(r)
        win_f = w.window.get(win, 1.0) if win else 1.0
        parts = {k: w.fit[k] * feats.get(k, 0.0) for k in FIT_SIGNALS}
        total = sum(parts.values())
        fit = 1.0 - math.exp(-total / w.fit_norm)
        bias = w.kind_bias.get(r.program.kind, 0.0)
        s = max(0.0, min(1.0, base * act_f * win_f * (w.floor + (1 - w.floor) * fit) + bias))
        # Each signal's share of the fit part of the score (the fit saturates, so shares add up to it).
        scale = base * act_f * win_f * (1 - w.floor) * fit / total if total else 0.0
        signals: list[dict[str, Any]] = [
            {"signal": "status", "value": status, "contribution": base},
            {"signal": "action", "value": act, "contribution": round(act_f, 3),
             "actionable": act in w.action.actionable},
        ]
        if win:
            signals.append({"signal": "window", "value": win, "contribution": round(win_f, 3)})
        for k, v in parts.items():
            if v > 0:
                sig: dict[str, Any] = {"signal": k, "value": round(feats[k], 3), "contribution": round(v * scale, 3)}
                if k == "description_need" and described:
                    need, words = described
                    sig.update(value=words, need=need.id, fact=need.fact)
                    if need.fact in r.missing_facts or not screening.profile.has(need.fact):
                        sig.update(question_ja=need.question_ja, question_en=need.question_en)
                signals.append(sig)
        if bias:
            signals.append({"signal": "kind_bias", "value": r.program.kind, "contribution": round(bias, 3)})
        for sig in signals:
            sig["reason_ja"], sig["reason_en"] = signal_reason(sig, r, ctx)
        return s, signals

    def context(self, screening: Screening) -> dict[str, Any]:
        """What every result of one screening shares: similarities, described needs, no IP, largest amount."""
        live = [r for r in screening.results if r.status != "ineligible"]
        amounts = [r.estimate.amount_yen for r in live if r.estimate and r.estimate.amount_yen]
        return {
            "sims": self.similarities(screening.profile.description),
            "described": needs_in_text(self.needs, screening.profile.description),
            "stated": needs_stated(self.needs, screening.profile),
            "no_ip": has_no_ip(screening.profile),
            "max_money": max(amounts) if amounts else 0,
        }

    def examples(self, screening: Screening) -> list[tuple[ProgramResult, Example]]:
        """Score every live result with the prior; return it with its features for the model."""
        ctx = self.context(screening)
        pctx = profile_context(screening)
        out = []
        for r in screening.results:
            if r.status == "ineligible":
                r.rank, r.score, r.signals = None, 0.0, []
                continue
            lazy = isinstance(r, CompiledResult) and r._reasons is None
            tops = need_tops(r) if isinstance(r, CompiledResult) and lazy else None
            needs = concrete_needs(r) if tops is None else None
            feats = self.features(screening, r, ctx, needs if tops is None else tops)
            r.score, r.signals = self.score(screening, r, feats, ctx)
            q = next((s for s in r.signals if s.get("fact") and "question_ja" in s), None)
            if q and q["fact"] not in r.missing_facts:
                r.missing_facts = [*r.missing_facts, q["fact"]]
            if isinstance(r, CompiledResult) and tops is not None:  # the sentences written when first read
                r.defer_recommendation(partial(_recommend, screening, r, feats, tops, list(r.signals)))
            else:
                r.recommendation_ja, r.recommendation_en = reasons(screening, r, feats, needs)
            out.append((r, Example(r.program_id, r.program.kind, {**feats, "prior": r.score}, pctx)))
        return out

    def _listed_first(self, a: ProgramResult, b: ProgramResult) -> bool:
        """`a` is listed before `b` in weights.yaml alternatives and nothing else (window, amount) tells them apart."""
        amount = [r.estimate.amount_yen if r.estimate else None for r in (a, b)]
        if window_status(a) != window_status(b) or amount[0] != amount[1] or a.status != b.status:
            return False
        group = next((g for g in self.weights.alternatives if a.program_id in g and b.program_id in g), None)
        return group is not None and group.index(a.program_id) < group.index(b.program_id)

    def _demote_alternatives(self, ordered: list[ProgramResult]) -> list[ProgramResult]:
        """Two alternatives for the same case (DOMAIN.md §7.3) never both in the top three: the lower one
        moves to fourth, with the reason."""
        out = list(ordered)
        for _ in range(len(out)):
            top = out[:3]
            clash = next((b for i, a in enumerate(top) for b in top[i + 1:]
                          if b.program_id in alternatives_of(a, self.weights.alternatives)), None)
            if clash is None:
                break
            first = next(a for a in top if clash.program_id in alternatives_of(a, self.weights.alternatives))
            if self._listed_first(clash, first):
                i, j = out.index(first), out.index(clash)
                out[i], out[j] = clash, first
                clash.score = max(clash.score, first.score)
                first, clash = clash, first
            out.remove(clash)
            # Its score comes down to the one it now stands beside, so the list reads in score order.
            before = clash.score
            clash.score = min(clash.score, out[3].score if len(out) > 3 else out[-1].score)
            out.insert(3, clash)
            clash.signals.append({
                "signal": "alternative", "value": first.program_id, "contribution": round(clash.score - before, 3),
                "reason_ja": f"同じ案件では「{first.program.names.ja}」とどちらか一方しか使えません。",
                "reason_en": f"For the same case, use either this or “{first.program.names.en}”, not both."})
        return out

    def rank(self, screening: Screening) -> Screening:
        live = self.examples(screening)
        if self.model is not None and live:
            deltas = self.model.adjust([ex for _, ex in live])
            for (r, _), d in zip(live, deltas, strict=True):
                new = max(0.0, min(1.0, r.score + float(d)))
                r.signals.append({"signal": "learned", "value": round(float(d), 3),
                                  "contribution": round(new - r.score, 3),
                                  "reason_ja": "相談員の判断から学んだ補正です。",
                                  "reason_en": "A correction learned from advisors' decisions."})
                r.score = new
        ordered = sorted((r for r, _ in live), key=lambda r: (-r.score, self.index.get(r.program_id, 0)))
        ordered = self._demote_alternatives(ordered)
        for i, r in enumerate(ordered, 1):
            r.rank = i
        dead = sorted((r for r in screening.results if r.status == "ineligible"),
                      key=lambda r: self.index.get(r.program_id, 0))
        screening.results = ordered + dead
        screening.model_version = self.version
        return screening
