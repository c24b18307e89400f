"""Community-scale data of the blueprints app (`manage.py seed_scale`): blueprints (some forks, some
hidden, some with a draft), their revisions and files.

The database's rules hold as the platform keeps them (migration 0002): files go into a revision
while it is a draft, then the revision is published (an UPDATE, which the guard allows for a
draft), and a blueprint has at most one draft. Files only exist as rows: status `ready` with the
content-addressed `storage_key` and the `preview_key` the processing would have written, and a
recorded move pending → ready. No object is put into S3. Revisions numbered beyond
`FILE_WAVES` carry no files (they are written published at once).

Titles and descriptions use a vehicle-design vocabulary: "chassis" appears in about 78 % of the
blueprints (a common search word), the words of `core.scale.RARE_WORDS` in a few each.
"""

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.text import slugify

from blueprints import storage
from blueprints.filetypes import BY_CODE, FileKind, Preview
from blueprints.models import Blueprint, File, FileStatusChange, PartCategory, Revision
from core.scale import COMMON_WORDS, RARE_WORDS, SHOWCASE_SLUG, Plan, split_evenly

FILE_WAVES = 3
CHASSIS_SHARE = 0.78
WORDS = tuple(word for word in COMMON_WORDS if word != "chassis")
FILE_NAMES = (
    ("front-view.png", "png"), ("side-view.jpg", "jpeg"), ("rear-view.webp", "webp"), ("sketch.png", "png"),
    ("body.stl", "stl"), ("chassis.step", "step"), ("frame.iges", "iges"), ("assembly.glb", "glb"),
    ("wheel.obj", "obj"), ("bracket.3mf", "3mf"), ("drawing.pdf", "pdf"), ("layout.dxf", "dxf"),
    ("sources.zip", "zip"),
)  # fmt: skip


def _text(plan: Plan, count: int) -> str:
    rng = plan.rng
    return " ".join(rng.choice(RARE_WORDS) if rng.random() < 0.0015 else rng.choice(WORDS) for _ in range(count))


def seed(plan: Plan) -> None:
    rng = plan.rng
    members = plan.shared["members"]
    names = plan.shared["member_names"]
    staff = plan.shared["staff_id"]
    plan.defer_indexes(Blueprint, Revision, File, FileStatusChange)
    count = max(plan.size("blueprints"), 3)
    showcase_revisions = max(plan.size("showcase_blueprint_revisions"), 2)
    revision_total = max(plan.size("revisions"), count + showcase_revisions)
    sizes = [showcase_revisions, *split_evenly(revision_total - showcase_revisions, count - 1, rng, low=1, spread=1.6)]
    first = plan.reserve_ids(Blueprint, count)
    revision_first = plan.reserve_ids(Revision, sum(sizes))
    url_of = reverse("blueprints:detail", kwargs={"slug": "SLUG"})
    blueprint_type = ContentType.objects.get_for_model(Blueprint).pk
    span = (4 * 365 - 10) * 86400

    # Revisions: (id, blueprint, number, author, based_on, published, created).
    revisions: list[tuple[int, int, int, int, Any, bool, Any]] = []
    blueprints: list[list[Any]] = []
    latest: dict[int, tuple[int, Any]] = {}
    # The newest published revision with files: what an entry may enter (files checked and ready).
    enterable: dict[int, tuple[int, Any]] = {}
    first_revision: dict[int, tuple[int, Any]] = {}
    lineage: dict[int, list[int]] = {}
    fork_counts: dict[int, int] = defaultdict(int)
    owners: dict[int, int] = {}
    revision_pk = revision_first
    for index in range(count):
        pk = first + index
        showcase = index == 0
        owner = plan.shared["member_id"] if showcase else rng.choice(members)
        owners[pk] = owner
        created = plan.ago(4 * 365) + timedelta(seconds=int(span * index / count))
        if showcase:
            created = plan.ago(3 * 365)
        size = sizes[index]
        only_draft = not showcase and rng.random() < 0.01 and size == 1
        has_draft = only_draft or (not showcase and size > 1 and rng.random() < 0.04)
        parent = None
        if not showcase and index > 10 and rng.random() < 0.12:
            candidate = first + rng.randrange(1, index)
            if candidate in first_revision:
                parent = candidate
        based_on = first_revision[parent][0] if parent else None
        gaps = sorted(rng.uniform(0, max(1.0, (plan.now - created).days - 1)) for _ in range(size))
        published_at = None
        for number in range(1, size + 1):
            moment = created + timedelta(days=gaps[number - 1]) if number > 1 else created
            published = not (has_draft and number == size)
            revisions.append((revision_pk, pk, number, owner, based_on, published, moment))
            if published:
                latest[pk] = (revision_pk, moment)
                if number <= FILE_WAVES:
                    enterable[pk] = (revision_pk, moment)
                published_at = moment
                if number == 1:
                    first_revision[pk] = (revision_pk, moment)
            based_on = revision_pk
            revision_pk += 1
        if parent:
            fork_counts[parent] += 1
            lineage[pk] = [*lineage.get(parent, []), parent]
        title_words = _text(plan, rng.randint(2, 4)).split()
        if rng.random() < CHASSIS_SHARE:
            title_words.insert(rng.randrange(len(title_words) + 1), "chassis")
        title = "Scale showcase chassis" if showcase else " ".join(title_words).capitalize()
        slug = SHOWCASE_SLUG if showcase else f"{slugify(title)[:80]}-{pk}"
        description = ". ".join(_text(plan, rng.randint(8, 16)).capitalize() for _ in range(rng.randint(2, 5))) + "."
        hidden = not showcase and rng.random() < 0.004
        if parent and owners[parent] != owner:
            plan.shared["reputation"].append((owners[parent], "fork", f"fork:{pk}", 5, None, "", created))
            plan.shared["notices"].append(
                (owners[parent], "blueprint_forked", f"blueprint-forked:{pk}",
                 {"blueprint": blueprints[parent - first][2], "actor": names[owner], "fork": title},
                 url_of.replace("SLUG", slug), owner, created)
            )  # fmt: skip
        blueprints.append(
            [
                pk, owner, title, slug, description, rng.choice(PartCategory.values),
                rng.sample(WORDS, k=rng.randint(0, 4)), "cc-by-4.0", first_revision[parent][0] if parent else None,
                lineage.get(pk, []), published_at, rng.randint(0, 500), hidden, created,
            ]
        )  # fmt: skip
        if not hidden and pk in latest:
            url = url_of.replace("SLUG", slug)
            plan.shared["comment_targets"].append((blueprint_type, pk, title, url, created))
            plan.shared["follow_targets"].append((blueprint_type, pk))
        if showcase:
            plan.shared["showcase_comments"][(blueprint_type, pk)] = plan.size("showcase_blueprint_comments")
            plan.shared["showcase"]["blueprint"] = {"id": pk, "slug": slug, "revisions": size}

    files, changes, listing = _files(plan, revisions, plan.size("files"))
    licence = _licence()
    blueprint_rows = []
    for (
        pk,
        owner,
        title,
        slug,
        description,
        category,
        tags,
        _lic,
        forked,
        line,
        published_at,
        downloads,
        hidden,
        created,
    ) in blueprints:
        revision_id = latest.get(pk, (None, None))[0]
        has_model, cover = listing.get(revision_id, (False, "")) if revision_id else (False, "")
        blueprint_rows.append(
            (
                pk, owner, title, slug, description, category, tags, licence, forked, line, revision_id,
                published_at, has_model, cover, downloads, fork_counts.get(pk, 0), hidden,
                created + timedelta(days=1) if hidden else None, staff if hidden else None, created,
                published_at or created,
            )
        )  # fmt: skip
    plan.copy(
        Blueprint,
        [
            "id", "owner_id", "title", "slug", "description", "category", "tags", "licence", "forked_from_id",
            "lineage", "latest_revision_id", "last_published_at", "has_model", "cover_key", "download_count",
            "fork_count", "is_hidden", "hidden_at", "hidden_by_id", "created_at", "updated_at",
        ],
        blueprint_rows,
    )  # fmt: skip
    _write_revisions(plan, revisions, files)
    plan.copy(
        FileStatusChange,
        ["file_id", "from_status", "to_status", "rejection_code", "actor_id", "task", "reason", "created_at"],
        changes,
    )

    # For the submissions app: each member's visible blueprints with a revision they may enter.
    visible: dict[int, list[tuple[int, int, Any, str]]] = defaultdict(list)
    for row in blueprint_rows:
        if row[10] and not row[16] and row[0] in enterable and plan.shared["file_count_of"].get(enterable[row[0]][0]):
            visible[row[1]].append((row[0], *enterable[row[0]], row[2]))
    plan.shared["blueprints_by_owner"] = dict(visible)
    plan.shared["revision_numbers"] = {revision[0]: revision[2] for revision in revisions}


def _licence() -> str:
    from blueprints.licences import DEFAULT_LICENCE

    return str(DEFAULT_LICENCE)


def _files(
    plan: Plan, revisions: list[tuple[int, int, int, int, Any, bool, Any]], total: int
) -> tuple[dict[int, list[tuple[Any, ...]]], list[tuple[Any, ...]], dict[int, tuple[bool, str]]]:
    """The files of the revisions numbered up to FILE_WAVES; their moves; each revision's model flag and cover."""
    rng = plan.rng
    carriers = [revision for revision in revisions if revision[2] <= FILE_WAVES]
    counts = (
        split_evenly(total, len(carriers), rng, low=1, spread=1.5)
        if total >= len(carriers)
        else [1 if index < total else 0 for index in range(len(carriers))]
    )
    first = plan.reserve_ids(File, sum(counts))
    files: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    changes: list[tuple[Any, ...]] = []
    listing: dict[int, tuple[bool, str]] = {}
    pk = first
    for revision, number in zip(carriers, counts, strict=True):
        revision_id, _blueprint, _n, _author, _based, _published, created = revision
        chosen = sorted(rng.sample(FILE_NAMES, k=min(number, len(FILE_NAMES))))
        has_model = False
        image_covers: list[str] = []
        other_covers: list[str] = []
        for name, code in chosen:
            kind = BY_CODE[code]
            sha = f"{rng.getrandbits(256):064x}"
            preview = storage.preview_key(sha, "png") if kind.preview != Preview.NONE else ""
            image = kind.kind == FileKind.IMAGE
            mesh = kind.preview == Preview.MESH
            processed = created + timedelta(seconds=rng.randint(20, 600))
            size = rng.randint(40_000, 30_000_000)
            files[revision_id].append(
                (
                    pk, revision_id, name, code, kind.kind, kind.mime_type, size, sha, "ready", "", "",
                    storage.blob_key(sha), f"uploads/{rng.getrandbits(128):032x}", "", None,
                    created + timedelta(seconds=10), processed, preview, "",
                    rng.choice((1600, 2400, 4000)) if image else None,
                    rng.choice((900, 1600, 3000)) if image else None,
                    rng.randint(10_000, 2_000_000) if mesh else None, [-1.0, -0.5, 0.0] if mesh else None,
                    [1.0, 0.5, 1.2] if mesh else None, 2.4 if mesh else None, True if mesh else None,
                    created, processed,
                )
            )  # fmt: skip
            changes.append((pk, "pending", "ready", "", None, "blueprints.process_file", "", processed))
            has_model = has_model or kind.kind == FileKind.CAD_MODEL
            if preview:
                (image_covers if image else other_covers).append(preview)
            pk += 1
        covers = image_covers or other_covers
        listing[revision_id] = (has_model, covers[0] if covers else "")
    plan.shared["file_count"] = pk - first
    plan.shared["file_count_of"] = {revision_id: len(rows) for revision_id, rows in files.items()}
    return files, changes, listing


FILE_COLUMNS = [
    "id", "revision_id", "original_name", "file_type", "kind", "content_type", "size", "sha256", "status",
    "rejection_code", "rejection_detail", "storage_key", "upload_key", "multipart_upload_id", "part_size",
    "upload_completed_at", "processed_at", "preview_key", "no_preview_reason", "image_width", "image_height",
    "triangle_count", "bbox_min", "bbox_max", "volume", "is_watertight", "created_at", "updated_at",
]  # fmt: skip
REVISION_COLUMNS = [
    "id", "blueprint_id", "number", "change_notes", "author_id", "based_on_id", "is_published", "published_at",
    "is_hidden", "hidden_at", "hidden_by_id", "created_at", "updated_at",
]  # fmt: skip


def _write_revisions(
    plan: Plan, revisions: list[tuple[int, int, int, int, Any, bool, Any]], files: dict[int, list[tuple[Any, ...]]]
) -> None:
    """Waves 1..FILE_WAVES: written as drafts, their files added, then published; the rest at once."""
    plan.execute("CREATE TEMP TABLE scale_publish (id bigint PRIMARY KEY, at timestamptz) ON COMMIT DROP")
    for wave in range(1, FILE_WAVES + 1):
        batch = [revision for revision in revisions if revision[2] == wave]
        plan.copy(
            Revision,
            REVISION_COLUMNS,
            (
                (pk, blueprint, number, "", author, based, False, None, False, None, None, created, created)
                for pk, blueprint, number, author, based, _published, created in batch
            ),
        )
        plan.copy(File, FILE_COLUMNS, (row for revision in batch for row in files.get(revision[0], ())))
        plan.copy("scale_publish", ["id", "at"], ((row[0], row[6]) for row in batch if row[5]))
        plan.execute(
            "UPDATE blueprints_revision r SET is_published = true, published_at = p.at "
            "FROM scale_publish p WHERE r.id = p.id"
        )
        plan.execute("TRUNCATE scale_publish")
    plan.copy(
        Revision,
        REVISION_COLUMNS,
        (
            (pk, blueprint, number, f"Revision {number}", author, based, published, created if published else None,
             False, None, None, created, created)
            for pk, blueprint, number, author, based, published, created in revisions
            if number > FILE_WAVES
        ),
    )  # fmt: skip
    plan.counts.pop("scale_publish", None)
