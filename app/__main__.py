"""Command line of 知財支援ナビ: `python -m app <command>`.

    python -m app screen --input members.csv --output results.csv [--as-of 2025-10-01] [--lang ja|en] [--top 3]
    python -m app create-desk | create-user | seed-demo | export-labels   (advisor console: app/console/cli.py)
    python -m app catalog sync-jgrants [--base-url URL]   (jGrants sync: app/jgrants/cli.py)
    python -m app worker [--threads N] [--exit-when-idle]   (background jobs: app/console/worker_cli.py)

Commands live in `COMMANDS`; each adds its own sub-parser and returns an exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from app.console.cli import COMMANDS as CONSOLE_COMMANDS
from app.intake.normalize import NormalizeError, parse_date
from app.jgrants.cli import COMMANDS as JGRANTS_COMMANDS


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except NormalizeError as e:
        raise argparse.ArgumentTypeError(f"{e.message_ja} / {e.message_en}") from None


def _top(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if not 0 <= n <= 20:
        raise argparse.ArgumentTypeError("0〜20 の整数を指定してください / give a whole number from 0 to 20")
    return n


def _jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError("1〜64 の整数を指定してください / give a whole number from 1 to 64")
    return int(text)


def add_screen(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "screen",
        help="会員名簿（CSV / JSON Lines）をまとめて審査する",
        description="CSV（UTF-8 / UTF-8 BOM / CP932）または JSON Lines の名簿を読み、1社ごとに審査結果を書き出します。"
                    "列の説明は examples/README.md を参照してください。",
    )
    p.add_argument("--input", "-i", required=True, type=Path, help="入力ファイル（.csv / .jsonl / .ndjson）")
    p.add_argument("--output", "-o", required=True, type=Path,
                   help="出力ファイル（.csv は Excel 用 UTF-8 BOM 付き、.jsonl は審査結果の全体）")
    p.add_argument("--as-of", type=_date, default=None,
                   help="基準日（YYYY-MM-DD、和暦も可）。行に「基準日」があればそちらを優先。既定: 今日（日本時間）")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="出力とメッセージの言語（既定: ja）")
    p.add_argument("--top", type=_top, default=3, help="CSV に書く上位の制度の数（既定: 3）")
    p.add_argument("--format", dest="in_format", choices=("csv", "jsonl"), default=None,
                   help="入力の形式（既定: 拡張子から判断。.jsonl / .ndjson 以外は CSV）")
    p.add_argument("--output-format", dest="out_format", choices=("csv", "jsonl"), default=None,
                   help="出力の形式（既定: 拡張子から判断）")
    p.add_argument("--encoding", default=None,
                   help="入力の文字コード（既定: UTF-8 を試し、読めなければ CP932）")
    p.add_argument("--jobs", "-j", type=_jobs, default=None,
                   help="並列に審査するプロセスの数（既定: CPU コア数（8まで）、--store のときは 1。"
                        "--store とは併用不可）")
    p.add_argument("--store", action="store_true",
                   help="審査結果をデータベース（DATABASE_URL）にも保存する（既定: 保存しない）")
    p.set_defaults(run=run_screen)


def run_screen(args: argparse.Namespace) -> int:
    from app.batch_run import run
    from app.companies.wiring import cli_prefill
    from app.config import Settings
    from app.intake.columns import column_for
    from app.services import Services

    settings = Settings()
    services = Services.build(settings)  # once: the catalog and engine are shared by every row
    if args.jobs is None:  # the batch target (≥ 2,000 rows/s, bench/README.md) needs both cores of a 2-core machine
        args.jobs = 1 if args.store else max(1, min(os.cpu_count() or 1, 8))
    if args.store and args.jobs > 1:
        print("--store と --jobs 2 以上は同時に使えません / --store cannot be combined with --jobs > 1",
              file=sys.stderr)
        return 2
    # A 法人番号 column fills blank cells from gBizINFO when a token is configured (NAVI_GBIZINFO_TOKEN).
    prefill = cli_prefill(settings, services.catalog.programs, lambda h: (c.field if (c := column_for(h)) else None))
    store = None
    if args.store:
        from app.store.db import Store, migrate

        migrate(settings.database_url)
        store = Store.from_url(settings.database_url)
    try:
        code, _ = run(services, args.input, args.output, as_of=args.as_of, lang=args.lang, top=args.top,
                      in_format=args.in_format, out_format=args.out_format, encoding=args.encoding, jobs=args.jobs,
                      store=store, prefill=prefill)
    finally:
        if store is not None:
            store.dispose()
    return code


def add_worker(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="一括判定などのバックグラウンドの処理を実行する（アプリのサーバーとは別のプロセスで）",
                       description="データベース（DATABASE_URL）の処理待ちの一括判定を取り出して実行します。"
                                   "止まった処理（実行していたプロセスが落ちたもの）も、リースが切れたら引き継ぎます。")
    p.add_argument("--threads", type=_jobs, default=1, help="同時に実行する処理の数（既定: 1）")
    p.add_argument("--exit-when-idle", action="store_true", help="処理待ちがなくなったら終了する")
    p.set_defaults(run=lambda args: __import__("app.console.worker_cli", fromlist=["run_worker"]).run_worker(args))


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [add_screen, *CONSOLE_COMMANDS, *JGRANTS_COMMANDS, add_worker]  # type: ignore[type-arg]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="知財支援ナビのコマンド")
    sub = parser.add_subparsers(dest="command", metavar="command", required=True)
    for add in COMMANDS:
        add(sub)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
