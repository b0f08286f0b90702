"""The documents of a feed page, as the ORM would load them, without the ORM's
per-request cost.

``Document.objects.filter(pk__in=ids, space__in=space_ids)
.select_related("space").defer(*NOT_SHOWN)`` spent more Python time building
and compiling its query than the database spent running it (20 rows, on
every feed request). Here the statement is composed once per process from
the models' fields, and rows become model instances through ``from_db`` and
each field's database converters, as the ORM's compiler does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Field, Model

from docsite.documents.models import Document, Space

# What a feed item does not show: the text, layout blocks, metadata and
# search vector are the bulk of a row (deferred, as with ``defer()``).
NOT_SHOWN = frozenset({"text", "html", "blocks", "metadata", "search_vector"})


@functools.cache
def _shown_query() -> tuple[str, tuple[_Plan, _Plan]]:
    quote = connection.ops.quote_name
    document_fields = [
        field for field in Document._meta.concrete_fields if field.name not in NOT_SHOWN
    ]
    space_fields = list(Space._meta.concrete_fields)
    columns = [f"d.{quote(field.column)}" for field in document_fields] + [
        f"s.{quote(field.column)}" for field in space_fields
    ]
    space_key = Document._meta.get_field("space").column
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Document._meta.db_table)} d"
        f" JOIN {quote(Space._meta.db_table)} s"
        f" ON s.{quote(Space._meta.pk.column)} = d.{quote(space_key)}"
        f" WHERE d.{quote(Document._meta.pk.column)} = ANY(%s::bigint[])"
        f" AND d.{quote(space_key)} = ANY(%s::bigint[])"
    )
    return sql, (_plan(Document, document_fields), _plan(Space, space_fields))


@dataclass(frozen=True)
class _Plan:
    """How one model's columns of a row become an instance."""

    model: type[Model]
    attnames: list[str]
    # Per column: the database converters the ORM's compiler would apply.
    converters: list[list[tuple[Callable, Field]]]

    def instance(self, values: Sequence) -> Model:
        converted = list(values)
        for index, steps in enumerate(self.converters):
            for converter, field in steps:
                converted[index] = converter(converted[index], field, connection)
        return self.model.from_db(connection.alias, self.attnames, converted)


def _plan(model: type[Model], fields: list[Field]) -> _Plan:
    return _Plan(
        model=model,
        attnames=[field.attname for field in fields],
        converters=[
            [
                (converter, field)
                for converter in connection.ops.get_db_converters(field)
                + field.get_db_converters(connection)
            ]
            for field in fields
        ],
    )


def documents_shown(
    *, ids: Sequence[int], space_ids: Sequence[int]
) -> dict[int, Document]:
    """Return the documents of ``ids`` in ``space_ids`` by id, with their space
    loaded and ``NOT_SHOWN`` deferred."""
    sql, (documents, spaces) = _shown_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [[int(pk) for pk in ids], [int(pk) for pk in space_ids]])
        rows = cursor.fetchall()
    space_field = Document._meta.get_field("space")
    split = len(documents.attnames)
    by_id = {}
    for row in rows:
        document = documents.instance(row[:split])
        space_field.set_cached_value(document, spaces.instance(row[split:]))
        by_id[document.pk] = document
    return by_id
