"""The web questionnaire: a landing page with consent, then short adaptive steps that ask only what matters.

    GET  /                    what the service does, how personal information is handled, consent, 「はじめる」
    POST /q                   with consent: a new draft (`questionnaire_draft`) and 303 to its private link
    GET  /q/{token}           the private link: 303 to the step where the person left off
    GET  /q/{token}/{step}    one step, answers filled in (`?lang=en` switches the language)
    POST /q/{token}/{step}    action=next / back / finish: validate, normalise, merge, 303 to the next step
    POST /q/{token}           (a form served before steps had addresses) the same for the current step

One address per step (Post/Redirect/Get), so the browser's back button goes to the step before, and the
results' 「回答する」 links open the step of a missing answer at its question (`#f-<fact>`). Pages are
server-rendered and work without JavaScript. After every answer the profile is screened, and the facts
that can still change a result are the `missing_facts` of the `needs_info` results and of the `eligible`
results whose estimate is missing (app/intake/adaptive.py): a step asks those not asked yet, and those
answered before that still matter; a step with nothing to ask is skipped. 関心 and 事業内容 are asked at
the end. 「わからない」 keeps a fact unknown (absent from the profile) and it is not asked again unless
the person opens its step. 「いいえ」 is an answer: it reaches the profile (`false`, `[]`, `none`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.companies.wiring import Companies
from app.deps import CompaniesDep, ServicesDep, StoreDep
from app.intake.adaptive import Screener, new_progress, next_step, page_facts, previous_step, remaining
from app.intake.answers import (
    ENGINE_MESSAGES,
    UNKNOWN,
    Raw,
    _Absent,
    engine_error_input,
    input_names,
    parse_question,
    read_raw,
)
from app.intake.parsers import Msg
from app.intake.questions import FACT_ORDER, FINAL, FIRST, GROUP_BY_STEP, Question
from app.pages.q_prefill import FIELD, apply_prefill, source_of
from app.services import Services
from app.store.db import Store
from app.store.drafts import DRAFT_RETENTION_DAYS, QuestionnaireDraft, create_draft, load_draft, save_draft
from app.web.edit_link import remember_edit
from app.web.language import SUPPORTED, page_lang
from app.web.questionnaire_view import View, _id, anchor, filing_rule
from app.web.render import render_page
from eligibility.profile import ProfileError

router = APIRouter(tags=["questionnaire"])

NO_REFERRER = {"Referrer-Policy": "no-referrer"}  # the private link must not leak to other sites


def not_found(lang: str) -> HTMLResponse:
    return render_page(lang, "questionnaire_not_found.html", status=404, private=True)


# ------------------------------------------------------------------ routes


def landing(svc: Services, lang: str, status: int = 200, error: bool = False) -> HTMLResponse:
    return render_page(lang, "index.html", status=status, headers=NO_REFERRER, consent_error=error,
                       draft_days=DRAFT_RETENTION_DAYS,
                       record_years=max(1, svc.settings.screening_retention_days // 365))


@router.get("/", response_class=HTMLResponse, summary="はじめに（個人情報の取り扱いと同意）", include_in_schema=False)
async def index(request: Request, svc: ServicesDep) -> HTMLResponse:
    return landing(svc, page_lang(request))


@router.get("/q", include_in_schema=False)
async def q_get(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/?lang={page_lang(request)}", status_code=303)


@router.post("/q", summary="同意して質問をはじめる", include_in_schema=False)
async def start(request: Request, svc: ServicesDep, store: StoreDep) -> Response:
    form = await request.form()
    chosen = form.get("lang")
    lang = chosen if isinstance(chosen, str) and chosen in SUPPORTED else page_lang(request)
    if form.get("consent") != "yes":
        return landing(svc, lang, status=422, error=True)  # nothing is stored without consent
    token = await run_in_threadpool(create_draft, store.engine, lang, new_progress(), FIRST.step)
    # Keep the landing page's promise: old screenings never sent to a desk are deleted.
    await run_in_threadpool(store.purge_expired, svc.settings.screening_retention_days)
    return RedirectResponse(f"/q/{token}", status_code=303)  # the private link (to the first step)


def _history(draft: QuestionnaireDraft) -> list[str]:
    """The steps seen, in order (a draft of an older version kept pages as {step, facts})."""
    steps = [h.get("step") if isinstance(h, dict) else h for h in (draft.progress or {}).get("history") or ()]
    return [s for s in steps if isinstance(s, str) and s in GROUP_BY_STEP] or [FIRST.step]


def _progress(draft: QuestionnaireDraft) -> dict[str, Any]:
    p = draft.progress or {}
    out = {"history": _history(draft), "asked": list(p.get("asked") or []), "unknown": list(p.get("unknown") or [])}
    if p.get("prefill"):  # the provenance of gBizINFO's values stays with the draft (app/pages/q_prefill.py)
        out["prefill"] = p["prefill"]
    return out


def current_step(draft: QuestionnaireDraft) -> str:
    """Where the person left off: the last step seen."""
    return _history(draft)[-1]


def step_url(token: str, step: str) -> str:
    return f"/q/{token}/{step}"


def _screener(request: Request, svc: Services) -> Screener:
    """One screener per request (a profile is screened once however often a request asks)."""
    screener: Screener | None = getattr(request.state, "screener", None)
    if screener is None:
        screener = request.state.screener = Screener(svc)
    return screener


def _questions(request: Request, svc: Services, draft: QuestionnaireDraft, step: str) -> list[Question]:
    facts = page_facts(_screener(request, svc), draft.profile, _progress(draft)["asked"], step)
    return [q for q in GROUP_BY_STEP[step].questions if q.fact in facts]


def show_page(request: Request, svc: Services, draft: QuestionnaireDraft, step: str, *,
              raw: Raw | None = None, errors: dict[str, Msg] | None = None, status: int = 200,
              notice: Msg | None = None) -> HTMLResponse:
    lang = page_lang(request)  # the one rule (app/web/language.py); draft.lang follows it (resume)
    group = GROUP_BY_STEP[step]
    screener = _screener(request, svc)
    asked = _progress(draft)["asked"]
    questions = [q for q in group.questions if q.fact in page_facts(screener, draft.profile, asked, step)]
    view = View(lang, raw if raw is not None else draft.answers, errors or {},
                filing_rule=filing_rule(svc, lang))
    fields = [view.question(q) for q in questions]
    for q, f in zip(questions, fields, strict=True):
        f["source"] = source_of(draft, q.fact, view.raw, lang)
        f["anchor"] = anchor(q.fact)
    number = None
    if group.step == FIRST.step:
        number = view.text(FIELD, view.tr("法人番号（任意）"), view.tr(
            "13桁の番号です（全角・ハイフン入りでも入力できます）。gBizINFO（経済産業省）の情報から下の質問に入力します。"
            "個人事業主には法人番号がないので、空欄のまま下の質問に答えてください。"), mode="numeric")
    prefilled = (draft.progress or {}).get("prefill") or {}
    for name, (ja, en) in (errors or {}).items():  # an error on an input not on this page
        if not any(item["href"] == "#" + _id(name) for item in view.summary) and not any(
                name == n for q in questions for n, _ in input_names(q)):
            view.summary.append({"href": "#main", "label": "", "message": ja if lang == "ja" else en})
    done, left = remaining(screener, draft.profile, asked, step)
    link = str(request.url_for("questionnaire_page", token=draft.token))
    results_url = None
    if draft.screening_id:
        results_url = f"/results/{draft.screening_id}?q={quote(draft.token)}&lang={lang}"
    return render_page(
        lang, "questionnaire.html", status=status, private=True,
        title=view.tr(group.title), step=group.step,
        fields=fields, summary=view.summary, done=done, left=left, total=done + left,
        can_go_back=group.step != FIRST.step, is_final=group.step == FINAL,
        link=link, action=step_url(draft.token, step), results_url=results_url, number=number,
        notice=None if notice is None else notice[0 if lang == "ja" else 1],
        prefill_name=prefilled.get("name"), prefill_direct=[
            {"label": d.get(f"label_{lang}", ""), "text": d["text"], "provenance": d.get(lang) or d["ja"]} for d in (prefilled.get("direct") or {}).values()],
    )


async def _load(request: Request, store: Store, token: str) -> QuestionnaireDraft | None:
    """The draft of a private link; its language follows the page's (?lang= > cookie > Accept-Language)."""
    engine = store.engine
    draft = await run_in_threadpool(load_draft, engine, token)
    lang = page_lang(request)
    if draft is not None and lang != draft.lang:  # the language the screening is stored in (it opens in any)
        draft.lang = lang
        await run_in_threadpool(save_draft, engine, draft)
    return draft


@router.get("/q/{token}", name="questionnaire_page", include_in_schema=False)
async def resume(request: Request, store: StoreDep, token: str) -> Response:
    """The private link: to the step where the person left off (one address per step, so the browser's
    back button goes to the step before)."""
    draft = await _load(request, store, token)
    if draft is None:
        return not_found(page_lang(request))
    return RedirectResponse(step_url(draft.token, current_step(draft)), status_code=303)


def _visible(request: Request, svc: Services, draft: QuestionnaireDraft, step: str) -> str:
    """`step`, or the next step with questions when nothing on it can matter for this applicant."""
    if _questions(request, svc, draft, step):
        return step
    return next_step(_screener(request, svc), draft.profile, _progress(draft)["asked"], step)


@router.get("/q/{token}/{step}", name="questionnaire_step", response_class=HTMLResponse, include_in_schema=False)
async def show_step(request: Request, svc: ServicesDep, store: StoreDep, token: str, step: str) -> Response:
    draft = await _load(request, store, token)
    if draft is None:
        return not_found(page_lang(request))
    if step not in GROUP_BY_STEP:  # a step of an older version of the questions, or a typo
        return RedirectResponse(step_url(draft.token, current_step(draft)), status_code=303)
    shown = await run_in_threadpool(_visible, request, svc, draft, step)
    if shown != step:
        return RedirectResponse(step_url(draft.token, shown), status_code=303)
    return await run_in_threadpool(show_page, request, svc, draft, step)


def _apply(draft: QuestionnaireDraft, questions: list[Question], raw: Raw,
           svc: Services) -> tuple[dict[str, Any], dict[str, Any], dict[str, Msg]]:
    """Normalise this page's answers into a new profile, validated by the engine. Returns (profile,
    progress, errors); nothing is changed on the draft."""
    errors: dict[str, Msg] = {}
    profile = dict(draft.profile)
    progress = _progress(draft)
    unknown = set(progress["unknown"])
    for q in questions:
        parsed = parse_question(q, raw)
        errors.update(parsed.errors)
        if parsed.errors:
            continue
        if isinstance(parsed.value, _Absent):
            profile.pop(q.fact, None)
            if parsed.value is UNKNOWN:
                unknown.add(q.fact)
            else:
                unknown.discard(q.fact)
        else:
            profile[q.fact] = parsed.value
            unknown.discard(q.fact)
    # The engine's checks (e.g. a founding date in the future) run even when another answer could not be
    # read, so that every problem of the page is shown at once; unreadable answers are left out.
    failed = {q.fact for q in questions if any(n in errors for n, _ in input_names(q))}
    try:
        svc.screen({k: v for k, v in profile.items() if k not in failed})
    except ProfileError as e:
        for err in e.errors:
            name = engine_error_input(err, questions) or f"_{err.field}"
            errors.setdefault(name, ENGINE_MESSAGES.get(err.code, (err.message_ja, err.message_en)))
    asked = progress["asked"] + [q.fact for q in questions if q.fact not in progress["asked"]]
    progress["asked"] = asked
    progress["unknown"] = [f for f in FACT_ORDER if f in unknown]
    return profile, progress, errors


def _keep_answers(draft: QuestionnaireDraft, questions: list[Question], raw: Raw) -> dict[str, Any]:
    names = {n for q in questions for n, _ in input_names(q)}
    answers = {k: v for k, v in (draft.answers or {}).items() if k not in names}
    answers.update({k: v for k, v in raw.items() if v not in ("", [])})
    return answers


def finish(request: Request, svc: Services, store: Store, draft: QuestionnaireDraft) -> RedirectResponse:
    """Screen the profile, store the screening (source "web"), and send the person to the results."""
    lang = page_lang(request)
    screening = svc.screen(draft.profile)
    screening_id = store.save_screening(
        draft.profile, screening, screening.as_dict(lang), source="web", lang=lang)
    draft.screening_id = screening_id
    save_draft(store.engine, draft)
    # The results' address carries no edit token (it can be shared): the private edit link is kept in a
    # cookie of that results page only (app/web/edit_link.py).
    response = RedirectResponse(f"/results/{screening_id}", status_code=303)
    remember_edit(response, request, screening_id, draft.token)
    return response


def _moved(draft: QuestionnaireDraft, progress: dict[str, Any], step: str, to: str) -> dict[str, Any]:
    """History after going from `step` to `to`: like a browser's, what came after `step` is dropped."""
    history: list[str] = progress["history"]
    kept = history[:history.index(step) + 1] if step in history else [*history, step]
    if to in kept:
        kept = kept[:kept.index(to) + 1]
    else:
        kept.append(to)
    progress["history"] = kept
    draft.step = to
    return progress


def _post(request: Request, svc: Services, store: Store, companies: Companies, draft: QuestionnaireDraft,
          step: str, form: FormData) -> Response:
    engine = store.engine
    questions = _questions(request, svc, draft, step)
    action = form.get("action")
    if action == "prefill":  # 「法人番号から入力する」 (its own form: nothing else of the page is posted)
        number = form.get(FIELD)
        outcome = apply_prefill(companies, svc, draft, number if isinstance(number, str) else "")
        if outcome.error is not None:
            return show_page(request, svc, draft, step, errors={FIELD: outcome.error}, status=422)
        save_draft(engine, draft)
        return show_page(request, svc, draft, step, notice=outcome.notice)
    raw = read_raw(form, questions)
    screener = _screener(request, svc)

    if action == "back":
        progress = _progress(draft)
        to = previous_step(screener, draft.profile, progress["asked"], progress["history"], step)
        draft.answers = _keep_answers(draft, questions, raw)  # what was typed is kept, not yet checked
        draft.progress = {**progress, "history": _back(progress["history"], step, to)}
        draft.step = to
        save_draft(engine, draft)
        return RedirectResponse(step_url(draft.token, to), status_code=303)

    profile, progress, errors = _apply(draft, questions, raw, svc)
    if errors:
        return show_page(request, svc, draft, step, raw=raw, errors=errors, status=422)
    draft.answers = _keep_answers(draft, questions, raw)
    draft.profile = profile
    if action == "finish" or step == FINAL:
        draft.progress = progress
        return finish(request, svc, store, draft)
    to = next_step(screener, profile, progress["asked"], step)
    draft.progress = _moved(draft, progress, step, to)
    save_draft(engine, draft)
    return RedirectResponse(step_url(draft.token, to), status_code=303)


def _back(history: list[str], step: str, to: str) -> list[str]:
    """History after 「戻る」 from `step` to `to`: the current position moves to `to`."""
    if to in history:
        return history[:history.index(to) + 1]
    before = history[:history.index(step)] if step in history else history
    return [*before, to]


@router.post("/q/{token}/{step}", include_in_schema=False)
async def answer_step(request: Request, svc: ServicesDep, store: StoreDep, companies: CompaniesDep,
                      token: str, step: str) -> Response:
    """Save the step's answers, then 303 to the next step's address (Post/Redirect/Get)."""
    engine = store.engine
    draft = await run_in_threadpool(load_draft, engine, token)
    if draft is None:
        return not_found(page_lang(request))
    if step not in GROUP_BY_STEP:
        return RedirectResponse(step_url(draft.token, current_step(draft)), status_code=303)
    form = await request.form()
    return await run_in_threadpool(_post, request, svc, store, companies, draft, step, form)


@router.post("/q/{token}", include_in_schema=False)
async def answer(request: Request, svc: ServicesDep, store: StoreDep, companies: CompaniesDep,
                 token: str) -> Response:
    """A form of a page served before steps had their own address: the answers of the current step."""
    engine = store.engine
    draft = await run_in_threadpool(load_draft, engine, token)
    if draft is None:
        return not_found(page_lang(request))
    form = await request.form()
    return await run_in_threadpool(_post, request, svc, store, companies, draft, current_step(draft), form)
