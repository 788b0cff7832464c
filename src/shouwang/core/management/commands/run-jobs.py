"""`shouwang run-jobs <name> [--date D]`: the scheduled (nightly) jobs of every capability."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shouwang.core.jobs import scheduled_jobs


class Command(BaseCommand):
    help = "Run a scheduled job for a date (default: its own, mostly yesterday), or --list them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="jobs to run, in order ('all' runs every one)")
        parser.add_argument("--date", type=date.fromisoformat, default=None,
                            help="the day to compute, YYYY-MM-DD (default: yesterday; "
                                 "today for risk-levels)")
        parser.add_argument("--list", action="store_true", help="list the registered jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        registry = scheduled_jobs()
        if options["list"] or not options["names"]:
            if not registry:
                self.stdout.write("No scheduled jobs are registered yet.")
                return
            for job in registry.values():
                self.stdout.write(f"{job.name}  {job.description}")
            return
        names: list[str] = options["names"]
        if names == ["all"]:
            names = list(registry)
        unknown = [n for n in names if n not in registry]
        if unknown:
            raise CommandError(
                f"unknown job(s): {', '.join(unknown)}; known: {', '.join(registry) or 'none'}"
            )
        for name in names:
            job = registry[name]
            day: date = options["date"] or (
                timezone.localdate() - timedelta(days=job.default_days_back))
            result = job.run(day)
            self.stdout.write(f"{name} {day.isoformat()}: "
                              f"{json.dumps(result, ensure_ascii=False, default=str)}")
