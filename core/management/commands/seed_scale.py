"""Fill the database with a community-scale data set: `manage.py seed_scale [--scale F] [--seed N]`.

At `--scale 1`: 25,000 members in 122 countries, 1,000 challenges with 8,000 phases, 58,600 entries
with 483,000 scores and 228,000 votes, 50,000 blueprints with 110,000 revisions and 150,000 files,
200,000 comments, 480,000 notifications, and what they imply (judges, prizes, criteria, follows,
reputation, recorded status moves, escrow funding and prize money in the ledger, payouts).
`--scale F` multiplies every size; the same `--seed` gives the same data in an empty database
(dates are relative to `--now`, by default the start of the hour of the run, so that statuses
match their dates).

Like `load_demo_data`, it calls each app's `scale` module in INSTALLED_APPS order:
`scale.seed(plan)`, then `scale.finish(plan)` where an app defines it (the community writes its
comments, follows, notifications and reputation once the others have said what exists). Rows go
in with COPY; every constraint and trigger stays on, and all of it is one transaction: a failure
leaves the database as it was.

Showcase objects with fixed names, for benchmarks and tests (sizes scale with `--scale`):
- challenge `scale-showcase`: public, open, 600 comments, its concept phase has 3,000 submitted entries;
- blueprint `scale-showcase`: 300 revisions and 300 comments;
- `scale-member@example.com` (5,000 notifications, follows things), `scale-client@example.com`
  (owns several challenges), `scale-judge@example.com` (judges the showcase challenge),
  `scale-staff@example.com` (staff).
Every member's password is `scale-password` (one hash shared by all: benchmark data, never
production). Files are rows only (status ready, storage and preview keys as the platform writes
them): no S3 object is created, so downloads and previews of seeded files find nothing.
"""

import importlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from core.scale import PASSWORD, Plan

DEFAULT_SEED = 20261130


class Command(BaseCommand):
    help = "Fill the database with community-scale data (25,000 members at --scale 1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="Multiplies every size (default 1).")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="The same seed gives the same data.")
        parser.add_argument(
            "--now",
            type=datetime.fromisoformat,
            default=None,
            help="The clock of the data (ISO 8601, UTC if no offset); default: the start of this hour.",
        )
        parser.add_argument("--force", action="store_true", help="Seed even if the database already has members.")
        parser.add_argument("--summary", default="", help="Write the counts and showcase names to this JSON file.")

    def handle(self, *args: Any, **options: Any) -> None:
        factor = options["scale"]
        if not 0 < factor <= 20:
            raise CommandError("--scale must be more than 0 and at most 20.")
        user_model = apps.get_model("community", "User")
        if user_model.objects.exists() and not options["force"]:
            raise CommandError(
                "This database already has members; seed_scale fills an empty one. "
                "Nothing was changed. Pass --force to add the data anyway."
            )
        modules = []
        for app_config in apps.get_app_configs():
            try:
                modules.append(importlib.import_module(f"{app_config.name}.scale"))
            except ModuleNotFoundError as error:
                if error.name != f"{app_config.name}.scale":
                    raise
        now = options["now"]
        if now is not None and now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        plan = Plan(factor=factor, seed=options["seed"], out=self.stdout, now=now)
        started = time.monotonic()
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Rows point at rows written later (blueprint → its latest revision): the foreign
                # keys are checked once all are in, before the plain indexes are built.
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for module in modules:
                if hasattr(module, "seed"):
                    self._step(plan, module.__name__ + ".seed", module.seed)
            for module in modules:
                if hasattr(module, "finish"):
                    self._step(plan, module.__name__ + ".finish", module.finish)
            plan.restore_indexes()
            commit_started = time.monotonic()
        plan.timings.append(("commit (deferred checks)", time.monotonic() - commit_started))
        analyze_started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        plan.timings.append(("ANALYZE", time.monotonic() - analyze_started))
        total = time.monotonic() - started
        self._report(plan, total)
        if options["summary"]:
            self._summary(plan, options["summary"], total)

    def _step(self, plan: Plan, name: str, function: Any) -> None:
        self.stdout.write(f"{name} ...")
        started = time.monotonic()
        function(plan)
        elapsed = time.monotonic() - started
        plan.timings.append((name, elapsed))
        self.stdout.write(f"{name}: {elapsed:.1f} s")

    def _report(self, plan: Plan, total: float) -> None:
        self.stdout.write("\nRows per table:")
        for table, count in sorted(plan.counts.items()):
            self.stdout.write(f"  {table:<40} {count:>10,}")
        self.stdout.write("\nTimings:")
        for name, seconds in plan.timings:
            if not name.startswith("copy ") or seconds >= 1:
                self.stdout.write(f"  {name:<40} {seconds:>8.1f} s")
        self.stdout.write(self.style.SUCCESS(f"\nSeeded at scale {plan.factor} (seed {plan.seed}) in {total:.1f} s."))

    def _summary(self, plan: Plan, path: str, total: float) -> None:
        summary = {
            "scale": plan.factor,
            "seed": plan.seed,
            "seconds": round(total, 1),
            "password": PASSWORD,
            "counts": dict(sorted(plan.counts.items())),
            "showcase": plan.shared.get("showcase", {}),
        }
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2, default=str)
            handle.write("\n")
