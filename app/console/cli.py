"""Commands of the advisor console for `python -m app` (added to `app.__main__.COMMANDS`).

    python -m app create-desk --id inpit-tokyo --kind inpit_desk --name "東京都 知財総合支援窓口" --prefecture 東京都
    python -m app create-user --email a@example.jp --name "相談 太郎" --role advisor --desk inpit-tokyo [--password …]
    python -m app seed-demo
    python -m app export-labels --output labels.jsonl

Each uses DATABASE_URL (migrated first). Without --password, create-user asks for it twice (hidden).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session

from app.store.console import DESK_KINDS, ROLES

if TYPE_CHECKING:
    from app.store.db import Store


@contextmanager
def _store() -> Iterator[Store]:
    from app.config import Settings
    from app.store.db import Store, migrate

    settings = Settings()
    migrate(settings.database_url)
    store = Store.from_url(settings.database_url)
    try:
        yield store
    finally:
        store.dispose()


def _fail(e: Exception) -> int:
    print(str(e), file=sys.stderr)
    return 2


def add_create_desk(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("create-desk", help="相談窓口を登録する", description="相談員コンソールの窓口（desk）を1件登録します。")
    p.add_argument("--id", required=True, help="窓口 ID（英小文字・数字・ハイフン。例: inpit-tokyo）")
    p.add_argument("--kind", required=True, choices=DESK_KINDS, help="種類")
    p.add_argument("--name", required=True, help="窓口名（日本語）")
    p.add_argument("--name-en", default=None, help="窓口名（英語）")
    p.add_argument("--prefecture", required=True, help="都道府県（東京 / 東京都 のどちらでも）")
    p.add_argument("--phone", default=None)
    p.add_argument("--email", default=None)
    p.add_argument("--url", default=None)
    p.add_argument("--address", default=None)
    p.set_defaults(run=run_create_desk)


def run_create_desk(args: argparse.Namespace) -> int:
    from app.console.seed import SetupError, create_desk

    with _store() as store, Session(store.engine) as db:
        try:
            desk = create_desk(db, args.id, args.kind, args.name, args.prefecture, name_en=args.name_en,
                               phone=args.phone, email=args.email, url=args.url, address=args.address)
        except SetupError as e:
            return _fail(e)
        print(f"窓口を登録しました / desk created: {desk.id} ({desk.name}, {desk.prefecture})")
    return 0


def add_create_user(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("create-user", help="相談員のアカウントを作る",
                       description="相談員コンソールのアカウントを作ります。--password がなければ入力を求めます（10文字以上）。")
    p.add_argument("--email", required=True, help="ログインに使うメールアドレス")
    p.add_argument("--name", required=True, help="表示名")
    p.add_argument("--role", required=True, choices=ROLES, help="役割")
    p.add_argument("--desk", required=True, help="所属する窓口の ID")
    p.add_argument("--password", default=None, help="パスワード（10文字以上。省略すると入力を求めます）")
    p.set_defaults(run=run_create_user)


def _ask_password() -> str | None:
    first = getpass.getpass("パスワード（10文字以上） / password (10+ characters): ")
    second = getpass.getpass("もう一度 / again: ")
    if first != second:
        print("パスワードが一致しません / the passwords differ", file=sys.stderr)
        return None
    return first


def run_create_user(args: argparse.Namespace) -> int:
    from app.console.security import password_problem
    from app.console.seed import SetupError, create_user

    password = args.password if args.password is not None else _ask_password()
    if password is None:
        return 2
    problem = password_problem(password, args.email)
    if problem:  # refused before the database is touched
        print(f"{problem[0]} / {problem[1]}", file=sys.stderr)
        return 2
    with _store() as store, Session(store.engine) as db:
        try:
            user = create_user(db, args.email, args.name, args.role, args.desk, password)
        except SetupError as e:
            return _fail(e)
        print(f"アカウントを作りました / user created: {user.email} ({user.role}, {user.desk_id})")
    return 0


def add_seed_demo(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("seed-demo", help="デモ用の窓口・アカウント・案件を入れる（何度実行しても同じ）",
                       description="programs/desks.yaml の全窓口、デモ用アカウント5件、デモ案件を登録します。"
                                   "すでにあるものはそのままです。")
    p.set_defaults(run=run_seed_demo)


def run_seed_demo(args: argparse.Namespace) -> int:
    from app.config import Settings
    from app.console.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo
    from app.services import Services

    services = Services.build(Settings())
    with _store() as store:
        added = seed_demo(store, services)
    print(f"追加しました / added: 窓口 desks {added['desks']}, アカウント users {added['users']}, "
          f"案件 cases {added['cases']}, 相談者からの送信 applicant referrals {added['referrals']}")
    print(f"デモ用アカウント（パスワードはすべて {DEMO_PASSWORD}） / demo accounts (password {DEMO_PASSWORD}):")
    for u in DEMO_USERS:
        print(f"  {u.email:<28} {u.role:<14} {u.desk_id}")
    print("ログイン / log in: http://127.0.0.1:8000/console/login")
    return 0


def add_export_labels(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("export-labels", help="案件の結果を学習用ラベル（JSON Lines）に書き出す",
                       description="表示した順位の一覧と、相談員が記録した選択・見送り・段階を、python -m matching train "
                                   "--labels が読む形式で書き出します（会社名・連絡先・自由記述は含めません）。")
    p.add_argument("--output", "-o", required=True, type=Path, help="出力ファイル（.jsonl）")
    p.set_defaults(run=run_export_labels)


def run_export_labels(args: argparse.Namespace) -> int:
    # The records of matching/records.py (shown lists, decisions, stages), without names or personal data.
    from app.console.ranking_feedback import label_records

    n = 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with _store() as store, Session(store.engine) as db, args.output.open("w", encoding="utf-8") as out:
        for line in label_records(db):
            out.write(line + "\n")
            n += 1
    print(f"{n} 件の記録を書き出しました / wrote {n} records to {args.output}")
    return 0


COMMANDS = [add_create_desk, add_create_user, add_seed_demo, add_export_labels]
