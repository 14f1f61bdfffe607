"""The prior's reasons: one short sentence per signal (ja/en), and the one to three shown first."""

from __future__ import annotations

from collections import Counter
from typing import Any

from eligibility.engine import ProgramResult, Screening, Trace
from eligibility.facts import enum_label, field_label
from eligibility.logic import Outcome
from eligibility.money import yen

ACTION_JA = {
    "apply": "申請して使う支援です。", "request": "手続きのときに請求して使う制度です。",
    "consult": "予約して相談できます（無料）。", "information": "情報提供のサービスです（申請するものではありません）。",
    "template": "ひな形・手引きです（申請するものではありません）。",
    "push": "申請は不要です（特許庁から連絡があります）。",
    "via_third_party": "ご自身では申請しません（出資元の VC や地域の支援チームなどが手続き・選定します）。",
    "form": "審査請求や特許料の納付の書面で申し出ます。", "ask_bank": "取引のある金融機関に相談して使います。",
    "selected": "相談のうえ、地域の支援チームが支援先を選びます。",
}
ACTION_EN = {
    "apply": "You apply for it.", "request": "You request it when filing or paying.",
    "consult": "Book a free consultation.", "information": "An information service (nothing to apply for).",
    "template": "Templates and guides (nothing to apply for).",
    "push": "No application: the JPO contacts you.",
    "via_third_party": "You do not apply yourself (your investor or the regional team acts or selects).",
    "form": "Claim it on the examination-request or fee form.", "ask_bank": "Ask your bank about it.",
    "selected": "Ask; the regional team selects the companies it supports.",
}
WINDOW_JA = {"open": "いま公募中です。", "closing_soon": "公募の締切が近づいています。", "upcoming": "次の公募が予定されています。",
             "unknown": "今年度の公募は確認できていません。", "closed": "今年度の公募は終わっています。"}
WINDOW_EN = {"open": "Applications are open now.", "closing_soon": "The call closes soon.",
             "upcoming": "A call is scheduled.", "unknown": "This year's call is not confirmed.",
             "closed": "This year's call has closed."}


def signal_reason(sig: dict[str, Any], r: ProgramResult, ctx: dict[str, Any]) -> tuple[str, str]:
    """The sentence that explains one signal of the prior."""
    k, v = sig["signal"], sig["value"]
    if k == "status":
        return {"eligible": ("要件をすべて満たしています。", "All criteria are met."),
                "needs_info": ("いくつかの質問に答えると対象かどうかが確定します。",
                               "Answer a few questions to confirm eligibility."),
                "needs_info_need": ("必要としているかどうかがまだ分かりません。", "Whether you need it is not known yet."),
                "needs_info_area": ("特定の地域の事業者向けの制度です。所在地（市区町村）を答えると対象かどうかが確定します。",
                                    "For businesses in one area: give your municipality to confirm eligibility."),
                "open_to_anyone": ("誰でも使えますが、必要としているかどうかはまだ分かりません。",
                                   "Anyone can use it; whether you need it is not known yet."),
                }.get(v, (str(v), str(v)))
    if k == "action":
        return ACTION_JA.get(v, ""), ACTION_EN.get(v, "")
    if k == "window":
        return WINDOW_JA.get(v, ""), WINDOW_EN.get(v, "")
    if k == "need":
        return "具体的な必要（出願・係争・請求など）に当たります。", "It matches a concrete need (a filing, a dispute, a request)."
    if k == "description_need":
        need = ctx["described"][r.program_id][0]
        ja = f"ご説明に「{v}」とあり、{need.label_ja}に当たりそうです。"
        en = f"Your description mentions “{v}”: this looks like {need.label_en}."
        if "question_ja" in sig:
            ja += sig["question_ja"]
            en += " " + sig["question_en"]
        return ja, en
    if k == "audience":
        return "この種類の申請者のための支援です。", "It is made for applicants like you."
    if k == "no_ip":
        return ("まだ出願がないので、最初の相談先としてお勧めします。",
                "You have no application yet: a good first place to ask.")
    if k == "general":
        return "知財のどんな相談でも受け付ける窓口です（無料）。", "Takes any IP question (free)."
    if k == "interest":
        return "ご関心の支援内容に合っています。", "It matches the support you are interested in."
    if k == "money":
        return ("ご利用できる支援の中で補助額が大きい方です。" if v >= 0.5 else "補助額は他の支援より小さめです。",
                "One of the larger amounts open to you." if v >= 0.5 else "A smaller amount than other support.")
    if k == "phase":
        return "今の事業の段階に合った支援です。", "It suits your current business phase."
    if k == "text":
        return "ご説明の内容に近い支援です。", "It is close to what you described."
    if k == "kind_bias":
        return "知っておくとよい制度ですが、最初の一歩になることは少ないです。", "Worth knowing; rarely the first step."
    return "", ""


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


def answer_words(t: Trace, lang: str) -> str:
    """The applicant's own answer that met a criterion (「特許出願の審査請求の状況：出願済み・審査請求前」), so that a
    reason says what is true of this applicant, not only the criterion's name (issue 14)."""
    stack = [t]
    while stack:
        node = stack.pop(0)
        if node.children:
            stack = [k for k in node.children if k.outcome is Outcome.MET] + stack
            continue
        if node.outcome is not Outcome.MET or not node.facts:
            continue
        parts = []
        for k, v in node.facts.items():
            enum = "right" if k == "domestic_applications" else k
            if isinstance(v, bool):
                shown = ("はい" if v else "いいえ") if lang == "ja" else ("yes" if v else "no")
            elif isinstance(v, str):
                shown = enum_label(enum, v, lang)
            elif isinstance(v, list) and v and all(isinstance(x, str) for x in v):
                shown = ("・" if lang == "ja" else ", ").join(enum_label(enum, x, lang) for x in v)
            else:
                continue
            parts.append(f"{field_label(k, lang)}{'：' if lang == 'ja' else ': '}{shown}")
        if parts:
            return ("、" if lang == "ja" else "; ").join(parts)
        detail = node.detail_ja if lang == "ja" else node.detail_en
        return detail.removeprefix("【暫定ルール】").removeprefix("[provisional rule] ")
    return ""


def reasons(screening: Screening, r: ProgramResult, feats: dict[str, float],
            needs: list[Trace] | None = None, signals: list[dict[str, Any]] | None = None) -> tuple[list[str], list[str]]:
    """One to three short sentences a client understands, most important first (every signal keeps its own
    sentence in `signals[].reason_ja`); `signals`: the result's signals as they were (default `r.signals`)."""
    ja: list[str] = []
    en: list[str] = []
    p = r.program
    by = {s["signal"]: s for s in (r.signals if signals is None else signals)}
    if r.estimate and r.estimate.amount_yen:
        what_ja, what_en = _cases_words(r.estimate.breakdown)
        ja.append(f"{what_ja}が対象です（補助見込み {yen(r.estimate.amount_yen)}）。")
        en.append(f"{what_en} qualif{'ies' if len(r.estimate.breakdown) == 1 else 'y'} "
                  f"(estimated subsidy {yen(r.estimate.amount_yen, 'en')}).")
    elif feats.get("need") and needs:
        ans_ja, ans_en = answer_words(needs[0], "ja"), answer_words(needs[0], "en")
        ja.append(f"「{needs[0].label_ja}」という条件に当たります" + (f"（{ans_ja}）。" if ans_ja else "。"))
        en.append(f"Meets “{needs[0].label_en}”" + (f" ({ans_en})." if ans_en else "."))
    for key in ("description_need", "audience", "no_ip"):
        if key in by:
            ja.append(by[key]["reason_ja"])
            en.append(by[key]["reason_en"])
    act = by.get("action")
    if act and not act.get("actionable"):
        ja.append(act["reason_ja"])
        en.append(act["reason_en"])
    if "window" in by and by["window"]["value"] in ("open", "closing_soon", "closed"):
        ja.append(by["window"]["reason_ja"])
        en.append(by["window"]["reason_en"])
    for key in ("interest", "phase"):
        if key in by:
            ja.append(by[key]["reason_ja"])
            en.append(by[key]["reason_en"])
    status = by.get("status")
    if status and status["value"] == "needs_info_area":
        # The program is for one place and the applicant's is not known: that comes first (weights.yaml).
        ja.insert(0, status["reason_ja"])
        en.insert(0, status["reason_en"])
    elif r.status == "needs_info" and "description_need" not in by:
        ja.append("いくつかの質問に答えると対象かどうかが確定します。")
        en.append("Answer a few more questions to confirm eligibility.")
    if not ja:
        ja.append(p.description.ja.split("。")[0] + "。")
        en.append(p.description.en.split(". ")[0].rstrip(".") + ".")
    return ja[:3], en[:3]
