"""`shouwang serve`: the web process and a Celery worker beside it, stopped together.

For one machine (`make demo`): gunicorn on 127.0.0.1:8000 and one worker on the broker the
settings name (by default kombu's SQLAlchemy transport on a SQLite file under var/, so nothing
else has to run). A province runs web and worker processes separately under a process manager
instead (docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

GRACE_SECONDS = 15


class Command(BaseCommand):
    help = "Serve the app with gunicorn (or Django's dev server) and a local Celery worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("SHOUWANG_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int,
                            default=int(os.environ.get("SHOUWANG_PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=2,
                            help="gunicorn worker processes (default 2)")
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start a Celery worker (one runs elsewhere)")
        parser.add_argument("--dev", action="store_true",
                            help="Django's auto-reloading development server instead of gunicorn")
        parser.add_argument("--skip-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["skip_collectstatic"] and not options["dev"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        bind = f"{options['host']}:{options['port']}"
        python = sys.executable
        commands: dict[str, list[str]] = {}
        if options["dev"]:
            commands["web"] = [python, "-m", "shouwang.cli", "runserver", bind]
        else:
            commands["web"] = [
                python, "-m", "gunicorn", "shouwang.config.wsgi:application",
                "--bind", bind, "--workers", str(options["web_workers"]),
                "--access-logfile", "-", "--graceful-timeout", str(GRACE_SECONDS - 5),
            ]
        if not options["no_worker"]:
            commands["worker"] = [
                python, "-m", "celery", "-A", "shouwang.config", "worker",
                # One process: SQLite takes one writer at a time anyway; scale out on Redis.
                "--pool", "solo", "--loglevel", "INFO", "--hostname", f"local@{options['host']}",
            ]
        broker = _safe(settings.CELERY_BROKER_URL)
        self.stdout.write(f"Serving on http://{bind}/  (background jobs: {broker})")
        self.stdout.write("Press Ctrl-C to stop.")
        self._supervise(commands)

    def _supervise(self, commands: dict[str, list[str]]) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shouwang.config.settings"}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, cmd in commands.items():
                # Own session: a Ctrl-C reaches only this supervisor, which then stops each
                # child in order, instead of every process racing to die at once.
                procs[name] = subprocess.Popen(cmd, env=env, start_new_session=True)  # noqa: S603
            failed = ""
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        failed = f"{name} exited with status {proc.returncode}"
                        stopping = True
                time.sleep(0.5)
        finally:
            _stop_all(procs)
            for s, handler in old.items():
                signal.signal(s, handler)
        if failed:
            raise CommandError(failed)
        self.stdout.write("Stopped.")


def _stop_all(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _safe(url: str) -> str:
    """The broker URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
