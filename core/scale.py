"""What the apps' `scale` modules share when `manage.py seed_scale` fills a database at community scale.

`Plan` carries the sizes (the base figures times `--scale`), one seeded `random.Random`, a fixed
clock, and what each app created that the apps above it need (member ids, phases, revisions, ...).
`Plan.copy` writes rows with PostgreSQL's COPY; `Plan.reserve_ids` takes a block of primary keys
first, so rows that point at each other can be written in one pass (Django's foreign keys are
DEFERRABLE INITIALLY DEFERRED and are checked at commit). Triggers and constraints stay on.

core imports none of the apps: the apps put what the others need into `Plan.shared`.
"""

import random
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Model

# The sizes at `--scale 1`: a community like Local Motors' (issue 14).
BASE_SIZES: dict[str, int] = {
    "members": 25_000,
    "countries": 122,
    "challenges": 1_000,
    "phases": 8_000,
    "entries": 58_600,
    "scores": 483_000,
    "votes": 228_000,
    "blueprints": 50_000,
    "revisions": 110_000,
    "files": 150_000,
    "comments": 200_000,
    "notifications": 480_000,
    "follows": 120_000,
    # Showcase objects (benchmarks and tests find them by their fixed names).
    "showcase_challenge_comments": 600,
    "showcase_gallery_entries": 3_000,
    "showcase_blueprint_revisions": 300,
    "showcase_blueprint_comments": 300,
    "showcase_member_notifications": 5_000,
}

PASSWORD = "scale-password"  # noqa: S105 - benchmark data, never production
SHOWCASE_SLUG = "scale-showcase"
SHOWCASE_EMAILS = {
    "member": "scale-member@example.com",
    "client": "scale-client@example.com",
    "judge": "scale-judge@example.com",
    "staff": "scale-staff@example.com",
}

# Realistic vehicle-design vocabulary. "chassis" is in about 78 % of blueprint texts (the common
# search word of the benchmark); the rare words below appear in a handful each.
COMMON_WORDS = (
    "chassis", "body", "panel", "frame", "suspension", "wheel", "axle", "bumper", "door", "roof",
    "bonnet", "fender", "grille", "headlamp", "mirror", "seat", "dashboard", "steering", "brake",
    "battery", "motor", "gearbox", "radiator", "spoiler", "diffuser", "splitter", "sill", "pillar",
    "bracket", "mount", "hinge", "latch", "crossmember", "subframe", "wishbone", "damper", "spring",
    "hub", "rim", "tyre", "trim", "console", "cargo", "bed", "cab", "canopy", "rollcage", "skidplate",
    "aluminium", "carbon", "composite", "steel", "lightweight", "modular", "electric", "hybrid",
    "offroad", "urban", "delivery", "utility", "concept", "prototype", "aerodynamic", "rugged",
)  # fmt: skip
RARE_WORDS = (
    "magnetorheological", "tensegrity", "monocoque", "honeycomb", "basalt", "hempcrete", "torsen",
    "hydropneumatic", "pantograph", "kammback", "flettner", "gullwing",
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "Ben", "Chen", "Dana", "Emre", "Fatima", "Goran", "Hana", "Ivan", "Jonas", "Kira", "Luis",
    "Maya", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wei", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Huang", "Ito", "Jensen",
    "Kowalski", "Lopez", "Meyer", "Novak", "Okafor", "Petrov", "Rossi", "Schmidt", "Tanaka", "Umar",
    "Varga", "Weber", "Xu", "Yilmaz", "Zhang",
)  # fmt: skip


class Plan:
    """The shared context of one seeding run."""

    def __init__(self, *, factor: float, seed: int, out: Any = None, now: datetime | None = None) -> None:
        self.factor = factor
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.out = out
        # The clock of the data: this hour (so statuses match their dates), the same for a whole run.
        self.now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.shared: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.timings: list[tuple[str, float]] = []

    def size(self, name: str, minimum: int = 1) -> int:
        return max(minimum, round(BASE_SIZES[name] * self.factor))

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def between(self, start: datetime, end: datetime) -> datetime:
        """A random moment in [start, end] to the second."""
        span = max(0, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randint(0, span))

    def words(self, count: int, *, common_share: float = 1.0) -> str:
        rng = self.rng
        return " ".join(
            rng.choice(COMMON_WORDS) if rng.random() < common_share else rng.choice(RARE_WORDS) for _ in range(count)
        )

    def sentence(self, low: int = 6, high: int = 16) -> str:
        text = self.words(self.rng.randint(low, high), common_share=0.995)
        return text[0].upper() + text[1:] + "."

    def log(self, message: str) -> None:
        if self.out is not None:
            self.out.write(message)

    # --- Writing ------------------------------------------------------------------------------

    def reserve_ids(self, model: type[Model], count: int) -> int:
        """Take `count` consecutive primary keys of `model`'s table; returns the first."""
        if count <= 0:
            return 0
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = int(cursor.fetchone()[0])
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
        return first

    def copy(self, model: type[Model] | str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """COPY `rows` into the model's table (or a table named by a string); returns how many."""
        table = model if isinstance(model, str) else model._meta.db_table
        started = time.monotonic()
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.connection.cursor()
            names = ", ".join(f'"{column}"' for column in columns)
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # noqa: S608 - our names
                for row in rows:
                    copy.write_row(row)
                    count += 1
        self.counts[table] = self.counts.get(table, 0) + count
        self.timings.append((f"copy {table}", time.monotonic() - started))
        return count

    def defer_indexes(self, *models: type[Model]) -> None:
        """Drop the plain (non-unique) indexes of these tables until `restore_indexes`: building an
        index once over all rows is much cheaper than growing it row by row. Unique indexes,
        constraints and triggers stay, so nothing that keeps the data valid is off."""
        deferred = self.shared.setdefault("_deferred_indexes", {})
        for model in models:
            table = model._meta.db_table
            if table in deferred:
                continue
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                    "WHERE t.relname = %s AND t.relnamespace = 'public'::regnamespace AND NOT x.indisunique "
                    "AND NOT x.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    [table],
                )
                indexes = cursor.fetchall()
                for name, _definition in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
            deferred[table] = [definition for _name, definition in indexes]

    def restore_indexes(self) -> None:
        started = time.monotonic()
        with connection.cursor() as cursor:
            # The deferred checks (foreign keys, the ledger's) run now, as they would at commit:
            # PostgreSQL builds no index on a table with check events pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.timings.append(("deferred checks (foreign keys, ledger)", time.monotonic() - started))
            started = time.monotonic()
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for definitions in self.shared.pop("_deferred_indexes", {}).values():
                for definition in definitions:
                    cursor.execute(definition)
        self.timings.append(("rebuild plain indexes", time.monotonic() - started))

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def bump(self, table: str, count: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + count


def split_evenly(total: int, parts: int, rng: random.Random, *, low: int = 1, spread: float = 0.8) -> list[int]:
    """`parts` positive integers (each ≥ low) that sum to `total` (if it can), varied by `spread`."""
    if parts <= 0:
        return []
    weights = [1 - spread / 2 + rng.random() * spread for _ in range(parts)]
    free = max(0, total - low * parts)
    scale = free / sum(weights)
    sizes = [low + int(weight * scale) for weight in weights]
    for index in rng.sample(range(parts), k=min(parts, total - sum(sizes))) if total > sum(sizes) else []:
        sizes[index] += 1
    while sum(sizes) < total:
        sizes[rng.randrange(parts)] += 1
    return sizes
