"""Writes of the blueprints app; views, APIs, admin, commands and tasks all call these.

- `blueprints`: create, edit, fork, hide (staff), discard a never-published blueprint.
- `revisions`: new draft, change notes, publish, delete a draft, hide (staff).
- `uploads`: the direct-to-S3 upload protocol (start, resume, complete, remove) and the sweeper.
- `files`: processing (ready or rejected), re-processing (staff) and downloads.
"""

from blueprints.services.blueprints import (
    blueprint_create,
    blueprint_discard,
    blueprint_fork,
    blueprint_hide,
    blueprint_unhide,
    blueprint_update,
    clean_tags,
)
from blueprints.services.files import (
    file_download,
    file_move,
    file_process,
    file_processing_failed,
    file_reprocess,
    file_view_url,
)
from blueprints.services.revisions import (
    blueprint_refresh_listing,
    revision_create,
    revision_delete,
    revision_hide,
    revision_publish,
    revision_update,
)
from blueprints.services.uploads import (
    SweepReport,
    UploadTicket,
    file_remove,
    upload_complete,
    upload_start,
    upload_status,
    upload_sweep_stale,
    upload_ticket,
)

__all__ = [
    "SweepReport",
    "UploadTicket",
    "blueprint_create",
    "blueprint_discard",
    "blueprint_fork",
    "blueprint_hide",
    "blueprint_refresh_listing",
    "blueprint_unhide",
    "blueprint_update",
    "clean_tags",
    "file_download",
    "file_move",
    "file_process",
    "file_processing_failed",
    "file_remove",
    "file_reprocess",
    "file_view_url",
    "revision_create",
    "revision_delete",
    "revision_hide",
    "revision_publish",
    "revision_update",
    "upload_complete",
    "upload_start",
    "upload_status",
    "upload_sweep_stale",
    "upload_ticket",
]
