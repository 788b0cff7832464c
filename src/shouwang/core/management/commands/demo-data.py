"""`shouwang demo-data --scale small|province|national --seed N`: demo users and records."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shouwang.demo import SCALES, build_demo, demo_builders


class Command(BaseCommand):
    help = "Create deterministic demo data and demo users (idempotent: safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=list(SCALES), default="small",
                            help="how much data: " + "; ".join(
                                f"{s.name} = {s.description}" for s in SCALES.values()))
        parser.add_argument("--seed", type=int, default=1, help="the same seed, the same data")
        parser.add_argument("--list", action="store_true", help="list the builders and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for builder in demo_builders():
                self.stdout.write(f"{builder.order:4d}  {builder.name}  {builder.description}")
            return
        if settings.PRODUCTION:
            # Demo accounts share a published password: never in a real deployment.
            raise CommandError("demo-data refuses to run with SHOUWANG_ENV=production")
        from shouwang.demo.accounts import DemoDataError

        try:
            ctx = build_demo(scale=options["scale"], seed=options["seed"], out=self.stdout)
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready (scale {ctx.scale.name}, seed {ctx.seed})."
        ))
        for line in ctx.notes:
            self.stdout.write(line)
