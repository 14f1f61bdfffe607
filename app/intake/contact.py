"""The contact form of a referral: desk, company, person, e-mail, phone, message, checked in the page's language."""


from __future__ import annotations

import re
import unicodedata
from typing import Any

from app.desks import get_desk
from app.store.referrals import COMPANY_MAX, EMAIL_MAX, MESSAGE_MAX, NAME_MAX, PHONE_MAX
from app.web.i18n import gettext_for

EMAIL_RE = re.compile(r"^[^@\s\"<>()\[\],;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ー－"})
REFER_FIELDS = ("desk_id", "company_name", "contact_name", "contact_email", "contact_phone", "message")
# ------------------------------------------------------------------ referrals


def clean_text(value: Any) -> str:
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""


def validate_referral(form: dict[str, str], lang: str) -> tuple[dict[str, str | None], dict[str, str]]:
    """Checked values and per-field error messages (empty when the form is valid)."""
    _ = gettext_for(lang).gettext
    errors: dict[str, str] = {}
    desk_id = (form.get("desk_id") or "").strip()
    if not desk_id or get_desk(desk_id) is None:
        errors["desk_id"] = _("送り先の相談窓口を一覧から選んでください")
    company = clean_text(form.get("company_name"))
    if len(company) > COMPANY_MAX:
        errors["company_name"] = _("会社名・屋号は %(n)d 文字以内で入力してください") % {"n": COMPANY_MAX}
    name = clean_text(form.get("contact_name"))
    if len(name) > NAME_MAX:
        errors["contact_name"] = _("お名前は %(n)d 文字以内で入力してください") % {"n": NAME_MAX}
    email = clean_text(form.get("contact_email"))
    if len(email) > EMAIL_MAX:
        errors["contact_email"] = _("メールアドレスは %(n)d 文字以内で入力してください") % {"n": EMAIL_MAX}
    elif email and not EMAIL_RE.match(email):
        errors["contact_email"] = _("メールアドレスの形式が正しくありません（例: info@example.co.jp）")
    phone = clean_text(form.get("contact_phone")).translate(DASHES)
    digits = sum(c.isdigit() for c in phone)
    if len(phone) > PHONE_MAX:
        errors["contact_phone"] = _("電話番号は %(n)d 文字以内で入力してください") % {"n": PHONE_MAX}
    elif phone and (not re.fullmatch(r"[0-9+()\- ]+", phone) or not 6 <= digits <= 15):
        errors["contact_phone"] = _("電話番号は数字とハイフンで入力してください（例: 03-1234-5678）")
    raw_message = form.get("message") or ""
    message = raw_message.strip().replace("\r\n", "\n")
    if len(message) > MESSAGE_MAX:
        errors["message"] = _("メッセージは %(n)d 文字以内で入力してください") % {"n": MESSAGE_MAX}
    values: dict[str, str | None] = {
        "desk_id": desk_id, "company_name": company or None, "contact_name": name or None, "contact_email": email or None,
        "contact_phone": phone or None, "message": message or None,
    }
    return values, errors
