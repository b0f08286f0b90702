"""Give every space a slug its URL can route.

Spaces created before slugs were transliterated (by the importer or the
admin) may hold slugs such as ``研究`` that the ``<slug:…>`` URL converter
rejects, which made the space unreachable. They get the transliterated slug
that new spaces get (``yanjiu``), made unique with a numeric suffix.
"""

import hashlib
import re

from anyascii import anyascii
from django.db import migrations
from django.utils.text import slugify

ROUTABLE = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_SLUG_CHARS = 50


def _routable(text: str) -> str:
    # Written out here rather than imported, so later changes to the app's
    # slug rule never change what this migration did.
    slug = slugify(anyascii(text))[:MAX_SLUG_CHARS].strip("-")
    if slug:
        return slug
    return "space-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def make_slugs_routable(apps, schema_editor):
    Space = apps.get_model("documents", "Space")
    taken = set(Space.objects.values_list("slug", flat=True))
    for space in Space.objects.order_by("pk"):
        if ROUTABLE.match(space.slug):
            continue
        base = _routable(space.slug or space.name)
        slug, suffix = base, 2
        while slug in taken:
            slug = f"{base[: MAX_SLUG_CHARS - len(str(suffix)) - 1]}-{suffix}"
            suffix += 1
        taken.discard(space.slug)
        taken.add(slug)
        space.slug = slug
        space.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_documentupload")]

    operations = [
        migrations.RunPython(make_slugs_routable, migrations.RunPython.noop)
    ]
