"""The demo world: groups, spaces and users that the sample documents need.

``demo_world_create`` is idempotent: running it again finds what exists,
restores the memberships and flags below, and resets the demo users'
passwords to the one given. The sample documents themselves are imported by
``manage.py demo_setup`` through the import command.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .models import Space

logger = logging.getLogger(__name__)

#: First-level folders name the space slugs (``import_documents --by-folder``).
SAMPLE_DOCUMENTS_DIR = Path(__file__).resolve().parent / "sample_documents"

DEMO_GROUPS = ("engineering", "hr", "research")


@dataclass(frozen=True)
class _SpaceSpec:
    slug: str
    name: str
    description: str
    viewer_groups: tuple[str, ...]
    editor_groups: tuple[str, ...]
    is_public: bool = False


@dataclass(frozen=True)
class _UserSpec:
    username: str
    first_name: str
    last_name: str
    groups: tuple[str, ...]
    is_superuser: bool = False


DEMO_SPACES = (
    _SpaceSpec(
        slug="engineering",
        name="Engineering",
        description="Runbooks, standards and how-tos of the engineering teams.",
        viewer_groups=("engineering",),
        editor_groups=("engineering",),
    ),
    _SpaceSpec(
        slug="people",
        name="People",
        description="HR policies: leave, benefits, expenses, hiring and reviews.",
        viewer_groups=("hr",),
        editor_groups=("hr",),
    ),
    _SpaceSpec(
        slug="research",
        name="Research",
        description="Experiment tracking, evaluation, datasets and GPU cluster.",
        viewer_groups=("research",),
        editor_groups=("research",),
    ),
    _SpaceSpec(
        slug="handbook",
        name="Handbook",
        description="For everyone at Northwind Labs: values, offices, IT and security.",
        viewer_groups=(),
        editor_groups=("engineering", "hr"),
        is_public=True,
    ),
)

DEMO_USERS = (
    _UserSpec("admin", "Demo", "Admin", groups=(), is_superuser=True),
    _UserSpec("ada", "Ada", "Okafor", groups=("engineering", "research")),
    _UserSpec("hal", "Hal", "Berger", groups=("hr",)),
)


@transaction.atomic
def demo_world_create(*, password: str) -> dict[str, Any]:
    """Create (or restore) the demo groups, spaces and users.

    Return ``{"groups": {name: created}, "spaces": {slug: created},
    "users": {username: created}, "sample_dir": Path}``, where ``created``
    tells whether this call added the row.
    """
    if not password:
        raise ValueError("The demo users need a password.")

    groups: dict[str, Group] = {}
    groups_created: dict[str, bool] = {}
    for name in DEMO_GROUPS:
        groups[name], groups_created[name] = Group.objects.get_or_create(name=name)

    spaces_created: dict[str, bool] = {}
    for spec in DEMO_SPACES:
        space, spaces_created[spec.slug] = Space.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "is_public": spec.is_public,
            },
        )
        space.viewer_groups.set([groups[name] for name in spec.viewer_groups])
        space.editor_groups.set([groups[name] for name in spec.editor_groups])

    user_model = get_user_model()
    users_created: dict[str, bool] = {}
    for spec in DEMO_USERS:
        user, users_created[spec.username] = user_model.objects.get_or_create(
            username=spec.username
        )
        user.first_name = spec.first_name
        user.last_name = spec.last_name
        user.email = f"{spec.username}@northwindlabs.example"
        user.is_active = True
        user.is_staff = spec.is_superuser
        user.is_superuser = spec.is_superuser
        user.set_password(password)
        user.save()
        user.groups.set([groups[name] for name in spec.groups])

    logger.info(
        "demo world ready: %d group(s), %d space(s), %d user(s) created",
        sum(groups_created.values()),
        sum(spaces_created.values()),
        sum(users_created.values()),
    )
    return {
        "groups": groups_created,
        "spaces": spaces_created,
        "users": users_created,
        "sample_dir": SAMPLE_DOCUMENTS_DIR,
    }


def demo_logins() -> list[tuple[str, str]]:
    """Return ``(username, what they may see and change)`` for each demo user.

    Derived from the specs above, the same ones ``demo_world_create`` applies,
    so every banner that prints it agrees with what the portal does.
    """
    logins = []
    for spec in DEMO_USERS:
        if spec.is_superuser:
            logins.append((spec.username, "superuser: every space, and the admin"))
            continue
        groups = set(spec.groups)
        reads = [
            space.name
            for space in DEMO_SPACES
            if space.is_public
            or groups & set(space.viewer_groups + space.editor_groups)
        ]
        edits = [
            space.name for space in DEMO_SPACES if groups & set(space.editor_groups)
        ]
        read_only = [name for name in reads if name not in edits]
        parts = [f"reads and edits {', '.join(edits)}"] if edits else []
        if read_only:
            parts.append(f"reads {', '.join(read_only)}")
        logins.append((spec.username, "; ".join(parts)))
    return logins
