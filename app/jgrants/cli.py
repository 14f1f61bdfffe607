"""`python -m app catalog sync-jgrants [--base-url URL]`: one jGrants sync, its summary, an exit code for cron.

Exit codes: 0 done; 1 the API could not be read (nothing changed); 3 another sync is running;
4 done, but some requests failed (what was read was applied; the failures are listed).
"""

from __future__ import annotations

import argparse
import sys

EXIT = {"ok": 0, "failed": 1, "partial": 4}
EXIT_BUSY = 3


def add_catalog(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("catalog", help="制度カタログを更新する（Jグランツとの同期）",
                       description="制度カタログの公募回を外部の情報源から更新します。")
    csub = p.add_subparsers(dest="catalog_command", metavar="command", required=True)
    s = csub.add_parser(
        "sync-jgrants", help="Jグランツ（公開 API）から公募回を読み、日付を反映し、金額などの変更を下書きにする",
        description="Jグランツの公開 API を複数のキーワードで検索し、制度と地域が分かる公募回の日付を公開します。"
                    "金額・補助率の違い、分類できない公募、新しい制度は下書き（要確認）になり、公開されません。"
                    "出典: Jグランツ",
    )
    s.add_argument("--base-url", default=None,
                   help="API のベース URL（既定: NAVI_JGRANTS_BASE_URL、なければ https://api.jgrants-portal.go.jp/exp）")
    s.set_defaults(run=run_sync_jgrants)


def run_sync_jgrants(args: argparse.Namespace) -> int:
    # The only imports of app modules outside app/jgrants: the settings and the database helpers.
    from app.config import Settings
    from app.jgrants.client import JGrantsClient
    from app.jgrants.lock import SyncBusy
    from app.jgrants.sync import sync_jgrants
    from app.store.db import make_engine, migrate
    from programs.loader import CatalogError, load_catalog

    settings = Settings()
    try:
        catalog = load_catalog(settings.catalog_dir, settings.definitions_file)
    except CatalogError as e:
        print(f"カタログを読めません / the catalog cannot be read:\n{e}", file=sys.stderr)
        return 2
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    client = JGrantsClient(args.base_url or settings.jgrants_base_url, timeout=settings.jgrants_timeout,
                           retries=settings.jgrants_retries, min_interval=settings.jgrants_min_interval)
    try:
        summary = sync_jgrants(engine, catalog.programs, client)
    except SyncBusy as e:
        print(f"別の同期が実行中です / {e}", file=sys.stderr)
        return EXIT_BUSY
    finally:
        client.close()
        engine.dispose()
    print(summary.text(), file=sys.stdout if summary.status == "ok" else sys.stderr)
    return EXIT[summary.status]


COMMANDS = [add_catalog]
