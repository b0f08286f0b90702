"""The feed's per-request shortcuts give exactly what the general code gives:
the readable-spaces SQL compiled once per process, the page's documents
loaded without the ORM's query building, vector literals, MMR over a mask."""

from __future__ import annotations

import numpy as np
import pytest

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import EmptyResultSet
from django.db import connection

from docsite.documents.models import Document
from docsite.documents.selectors import space_ids_visible, space_ids_visible_sql
from interests.ranking import mmr_order
from interests.selectors.ann import vector_literal
from interests.selectors.shown import NOT_SHOWN, documents_shown
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _compiled(user):
    try:
        sql, params = space_ids_visible(user=user).query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def _no_queries():
    from django.test.utils import CaptureQueriesContext

    class Context(CaptureQueriesContext):
        def __exit__(self, *args):
            super().__exit__(*args)
            assert not self.captured_queries, self.captured_queries

    return Context(connection)


def _space_ids(sql_params) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pk FROM ({sql_params[0]}) v", sql_params[1])
        return [row[0] for row in cursor.fetchall()]


def test_readable_spaces_sql_is_the_queryset_compiled_for_each_reader(world):
    User = get_user_model()
    staff = UserFactory(username="staff")
    staff.user_permissions.add(Permission.objects.get(codename="view_all_spaces"))
    root = UserFactory(username="root", is_superuser=True)
    gone = UserFactory(username="gone", is_active=False)
    # The cache is filled by the first reader of each branch; later readers
    # must get their own id, not that reader's.
    for user in [world.alice, world.bob, world.carol, staff, root, gone]:
        user = User.objects.get(pk=user.pk)  # no permission cache
        expected = _compiled(user)
        if expected is None:
            with pytest.raises(EmptyResultSet):
                space_ids_visible_sql(user=user)
            continue
        assert space_ids_visible_sql(user=user) == expected
        assert _space_ids(space_ids_visible_sql(user=user)) == _space_ids(expected)
    with pytest.raises(EmptyResultSet):
        space_ids_visible_sql(user=AnonymousUser())
    alice = _space_ids(space_ids_visible_sql(user=world.alice))
    bob = _space_ids(space_ids_visible_sql(user=world.bob))
    assert world.engineering.pk in alice and world.engineering.pk not in bob
    assert world.hr.pk in bob and world.hr.pk not in alice


def test_page_documents_are_the_instances_the_orm_loads(world, make_document):
    made = [
        make_document(f"Doc {i}", space=space)
        for i, space in enumerate([world.engineering, world.hr, world.handbook] * 2)
    ]
    ids = [document.pk for document in made] + [10**9]
    spaces = [world.engineering.pk, world.handbook.pk]
    orm = {
        document.pk: document
        for document in Document.objects.filter(pk__in=ids, space__in=spaces)
        .select_related("space")
        .defer(*NOT_SHOWN)
    }
    shown = documents_shown(ids=ids, space_ids=spaces)
    assert shown.keys() == orm.keys() and len(shown) == 4

    def state(instance):
        return (
            {k: v for k, v in vars(instance).items() if k != "_state"},
            instance.get_deferred_fields(),
            instance._state.adding,
            instance._state.db,
        )

    for pk, document in orm.items():
        assert state(shown[pk]) == state(document)
        assert state(shown[pk].space) == state(document.space)
    with _no_queries():
        assert {document.space.name for document in shown.values()} == {
            "Engineering",
            "Handbook",
        }


def test_vector_literal_gives_the_database_each_float32_exactly():
    rng = np.random.default_rng(0)
    vectors = [rng.normal(size=384).astype(np.float32) for _ in range(20)]
    vectors.append(np.array([0.0, -0.0, 1e-38, 3.4e38, -1.5e-45], dtype=np.float32))
    with connection.cursor() as cursor:
        for vector in vectors:
            literal = vector_literal(vector)
            parsed = [np.float32(float(text)) for text in literal[1:-1].split(",")]
            assert np.array_equal(np.array(parsed, dtype=np.float32), vector)
            # As the shortest float64 text of each value did before.
            before = "[" + ",".join(map(repr, vector.astype(np.float64).tolist()))
            cursor.execute("SELECT %s::vector = %s::vector", [literal, before + "]"])
            assert cursor.fetchone()[0]


def _mmr_by_list(*, scores, vectors, lambda_, limit):
    """MMR as it was written before (a list of the remaining candidates)."""
    remaining = list(range(len(scores)))
    chosen = []
    max_similarity = np.zeros(len(scores), dtype=np.float32)
    while remaining and len(chosen) < limit:
        values = lambda_ * scores[remaining] - (1 - lambda_) * max_similarity[remaining]
        pick = remaining[int(np.argmax(values))]
        chosen.append(pick)
        remaining.remove(pick)
        max_similarity = np.maximum(max_similarity, vectors @ vectors[pick])
    return chosen


@pytest.mark.parametrize("seed", range(8))
def test_mmr_over_a_mask_picks_as_the_list_did(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    vectors = rng.normal(size=(n, 16)).astype(np.float32)
    vectors[: n // 3] = vectors[0]  # duplicates: equal similarities
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # Rounded scores: many ties, which both must break the same way.
    scores = np.round(rng.random(n), 1).astype(np.float32)
    for lambda_, limit in [(0.7, 21), (0.5, n + 5), (1.0, 10), (0.0, 5)]:
        assert mmr_order(
            scores=scores, vectors=vectors, lambda_=lambda_, limit=limit
        ) == _mmr_by_list(scores=scores, vectors=vectors, lambda_=lambda_, limit=limit)
