"""`python -m app worker`: a process that runs the console's background jobs (app/console/job_runner.py)."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import threading

from app.config import Settings
from app.console.job_runner import JobRunner
from app.factory import create_app, parts_of

log = logging.getLogger("navi.jobs")


def run_worker(args: argparse.Namespace) -> int:
    settings = Settings()
    parts = parts_of(create_app(settings))  # migrates the database, builds the services and the published catalog
    runner = JobRunner(parts.store, parts.services, max(1, args.threads), settings.job_lease_seconds,
                       parts.companies.lookup())
    log.warning("worker %s:%d: waiting for jobs (lease %ss)", socket.gethostname(), os.getpid(),
                settings.job_lease_seconds)
    try:
        if args.threads <= 1:
            runner.serve(exit_when_idle=args.exit_when_idle)
        else:
            threads = [threading.Thread(target=runner.serve, args=(args.exit_when_idle,)) for _ in range(args.threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        parts.store.dispose()
    return 0

