"""No reader ever receives anything from a space they cannot view: a property.

Hypothesis draws random worlds (groups, public and group-restricted spaces,
users in several groups, inactive users, superusers, staff reviewers and
staff with ``view_all_spaces``, documents written from a small shared
vocabulary so searches match across spaces, summaries with human edits,
document vectors, and interactions recorded behind the permission checks as
if access had been revoked since). Every space, document and summary carries
a unique marker string. For each user the test computes what they may see
from the world description alone, never through the selectors under test,
then asks every surface and asserts that no hidden marker appears and that
hidden documents answer 404:

- home, space list, document list, keyword search with its "N results"
  count, list snippets (summaries);
- document page (summary, related-documents and reader panels), the summary
  fragment, the download;
- "For you" feed with its "because you read X" reasons, semantic, hybrid and
  keyword search pages, the interactions API;
- the REST API: spaces, documents, a document, its summary and related
  documents, feed and search;
- the admin: non-staff are sent to the login page; staff reviewers see only
  summaries (and audit events) of spaces they can view, and every other
  changelist (documents, spaces, document events, interactions, document
  vectors, jobs) with its filters, the job form's choices, the document
  change pages' choices and the dashboard name nothing hidden.

Default: ``DOCSITE_PROPERTY_EXAMPLES`` worlds (30), sized to keep this file
well under 90 s on a 2-core CI box. The 500-world run used for the issue:
``DOCSITE_PROPERTY_EXAMPLES=500 pytest tests/security/test_permission_property.py``.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from docsite.documents.models import Space
from docsite.documents.services import document_create_from_text
from docsite.ml.embedders import reset_embedders
from interests.models import Interaction
from interests.services import document_vectors_compute, user_interest_refresh
from summaries.models import Summary
from summaries.services import summaries_generate, summary_edit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("DOCSITE_PROPERTY_EXAMPLES", "30"))

# English words with distinct stems and no stop words, so a keyword search for
# one of them matches exactly the documents whose text holds it.
VOCABULARY = (
    "budget",
    "payroll",
    "kubernetes",
    "holiday",
    "firewall",
    "roadmap",
    "invoice",
    "laptop",
)
HASHING = {
    "default": {"BACKEND": "tests.interests.fakes.HashingEmbedder", "OPTIONS": {}}
}
_markers = itertools.count(1)
# Staff reviewers may also look at (and change) these in the admin; what they
# see there must follow the same rules.
ADMIN_PERMISSIONS = (
    ("documents", "view_document"),
    ("documents", "change_document"),
    ("documents", "view_space"),
    ("documents", "view_documentevent"),
    ("interests", "view_interaction"),
    ("interests", "view_documentvector"),
    ("workers", "view_reprocessjob"),
    ("workers", "add_reprocessjob"),
)


def _marker(kind: str) -> str:
    # Fixed width, so no marker is a prefix of another.
    return f"zq{kind}{next(_markers):07d}x"


# --- the world, as plain data --------------------------------------------------


@dataclass(frozen=True)
class SpaceSpec:
    public: bool
    viewers: frozenset[int]
    editors: frozenset[int]


@dataclass(frozen=True)
class UserSpec:
    groups: frozenset[int]
    active: bool
    superuser: bool
    staff_reviewer: bool
    view_all: bool


@dataclass(frozen=True)
class DocumentSpec:
    space: int
    words: tuple[str, ...]
    summarized: bool
    edited: bool


@dataclass(frozen=True)
class WorldSpec:
    groups: int
    spaces: tuple[SpaceSpec, ...]
    users: tuple[UserSpec, ...]
    documents: tuple[DocumentSpec, ...]
    interactions: tuple[tuple[int, int, str], ...]
    query: str


@st.composite
def worlds(draw) -> WorldSpec:
    groups = draw(st.integers(1, 4))
    group_sets = st.frozensets(st.integers(0, groups - 1), max_size=groups)
    spaces = draw(
        st.lists(
            st.builds(
                SpaceSpec,
                public=st.booleans(),
                viewers=group_sets,
                editors=group_sets,
            ),
            min_size=1,
            max_size=4,
        )
    )
    users = draw(
        st.lists(
            st.builds(
                UserSpec,
                groups=group_sets,
                active=st.sampled_from([True, True, True, True, False]),
                superuser=st.sampled_from([False] * 7 + [True]),
                staff_reviewer=st.sampled_from([False, False, True]),
                view_all=st.sampled_from([False] * 7 + [True]),
            ),
            min_size=1,
            max_size=4,
        )
    )
    documents = draw(
        st.lists(
            st.builds(
                DocumentSpec,
                space=st.integers(0, len(spaces) - 1),
                words=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=5).map(
                    tuple
                ),
                summarized=st.sampled_from([True, True, True, False]),
                edited=st.sampled_from([False, False, True]),
            ),
            max_size=10,
        )
    )
    interactions = ()
    if documents:
        interactions = tuple(
            draw(
                st.lists(
                    st.tuples(
                        st.integers(0, len(users) - 1),
                        st.integers(0, len(documents) - 1),
                        st.sampled_from(["view", "like", "bookmark", "search_click"]),
                    ),
                    max_size=8,
                )
            )
        )
    return WorldSpec(
        groups=groups,
        spaces=tuple(spaces),
        users=tuple(users),
        documents=tuple(documents),
        interactions=interactions,
        query=draw(st.sampled_from(VOCABULARY)),
    )


# A reader liked a document in a space they have since lost, and one they still
# see; the feed's "because you read X" must never name the lost one, even
# though it is the closest match for what the feed suggests.
REVOKED_READER = WorldSpec(
    groups=1,
    spaces=(
        SpaceSpec(public=True, viewers=frozenset(), editors=frozenset()),
        SpaceSpec(public=False, viewers=frozenset({0}), editors=frozenset()),
    ),
    users=(UserSpec(frozenset(), True, False, False, False),),
    documents=(
        DocumentSpec(0, ("budget",), True, False),
        DocumentSpec(0, ("budget", "payroll", "roadmap"), True, False),
        DocumentSpec(1, ("budget", "payroll", "roadmap"), True, True),
    ),
    interactions=((0, 0, "like"), (0, 2, "like")),
    query="payroll",
)


# A staff reviewer who edits one space and cannot read another, where a hidden
# document was liked (before access was revoked): the admin's filters, forms,
# interaction and vector lists and the dashboard must not name it.
STAFF_WITHOUT_ACCESS = WorldSpec(
    groups=2,
    spaces=(
        SpaceSpec(public=False, viewers=frozenset({0}), editors=frozenset({0})),
        SpaceSpec(public=False, viewers=frozenset({1}), editors=frozenset({1})),
    ),
    users=(UserSpec(frozenset({0}), True, False, True, False),),
    documents=(
        DocumentSpec(0, ("budget",), True, False),
        DocumentSpec(1, ("budget", "payroll"), True, True),
    ),
    interactions=((0, 0, "view"), (0, 1, "like")),
    query="budget",
)


# --- the oracle: computed from the spec, never from the code under test --------


def visible_spaces(world: WorldSpec, user: UserSpec) -> set[int]:
    """Return the indexes of the spaces ``user`` may read, per the documented rules."""
    if not user.active:
        return set()
    if user.superuser or user.view_all:
        return set(range(len(world.spaces)))
    return {
        index
        for index, space in enumerate(world.spaces)
        if space.public or (space.viewers | space.editors) & user.groups
    }


# --- building the world in the database -------------------------------------------


@dataclass
class Built:
    spaces: list[Space]
    space_markers: list[str]
    users: list
    documents: list
    document_markers: list[str]


def build(world: WorldSpec) -> Built:
    groups = [Group.objects.create(name=_marker("g")) for _ in range(world.groups)]
    spaces, space_markers = [], []
    for spec in world.spaces:
        marker = _marker("s")
        space = Space.objects.create(
            slug=marker, name=f"Space {marker}", is_public=spec.public
        )
        space.viewer_groups.set([groups[i] for i in spec.viewers])
        space.editor_groups.set([groups[i] for i in spec.editors])
        spaces.append(space)
        space_markers.append(marker)

    reviewer_perms = list(
        Permission.objects.filter(
            content_type__app_label="summaries",
            codename__in=["review_summary", "view_summary", "view_summaryevent"],
        )
    ) + [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in ADMIN_PERMISSIONS
    ]
    view_all = Permission.objects.get(codename="view_all_spaces")
    users = []
    for spec in world.users:
        user = UserFactory(
            username=_marker("u"),
            is_active=spec.active,
            is_superuser=spec.superuser,
            is_staff=spec.staff_reviewer or spec.superuser,
            groups=[groups[i] for i in spec.groups],
        )
        if spec.staff_reviewer:
            user.user_permissions.add(*reviewer_perms)
        if spec.view_all:
            user.user_permissions.add(view_all)
        users.append(user)

    documents, document_markers = [], []
    for spec in world.documents:
        marker = _marker("d")
        text = f"{marker} " + " ".join(spec.words) + "."
        document = document_create_from_text(
            space=spaces[spec.space], title=f"Doc {marker}", text=text
        ).document
        documents.append(document)
        document_markers.append(marker)

    summarized = [
        d.pk for d, s in zip(documents, world.documents, strict=True) if s.summarized
    ]
    if summarized:
        summaries_generate(document_ids=summarized)
    editor = UserFactory(username=_marker("e"), is_superuser=True)
    for document, spec in zip(documents, world.documents, strict=True):
        summary = Summary.objects.filter(document=document).first()
        if spec.edited and summary is not None:
            marker = document_markers[documents.index(document)]
            summary_edit(
                summary=summary, text=f"Edited {marker} by hand.", actor=editor
            )
    if documents:
        document_vectors_compute(document_ids=[d.pk for d in documents])
    # Recorded directly, as if each user could read the document back then.
    # A reader holds one like/bookmark/dismissal per document: repeats are dropped.
    Interaction.objects.bulk_create(
        (
            Interaction(user=users[u], document=documents[d], kind=kind)
            for u, d, kind in world.interactions
        ),
        ignore_conflicts=True,
    )
    for user_index in {u for u, _, _ in world.interactions}:
        user_interest_refresh(user_id=users[user_index].pk)
    return Built(spaces, space_markers, users, documents, document_markers)


# --- the surfaces ---------------------------------------------------------------

RESULT_COUNT = re.compile(r"(\d+) results? for")
DOCUMENT_COUNT = re.compile(r"(\d+) documents?\s*</p>")


class Reader:
    """One user's browser, checking every answer for hidden markers."""

    def __init__(self, *, user, hidden_markers: list[str], signed_in: bool) -> None:
        self.client = Client()
        self.client.force_login(user)
        self.hidden = hidden_markers
        self.signed_in = signed_in

    def _no_leak(self, response, what: str) -> str:
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", "replace")
        leaked = [marker for marker in self.hidden if marker in text]
        assert not leaked, f"{what} leaked {leaked}"
        assert response.status_code < 500, what
        return text

    def page(self, url: str, what: str, **params) -> str | None:
        """GET a signed-in page; return its text, or None for a signed-out user."""
        response = self.client.get(url, params)
        text = self._no_leak(response, what)
        if not self.signed_in:
            assert response.status_code == 302 and "login" in response["Location"], what
            return None
        assert response.status_code == 200, (what, response.status_code)
        return text

    def status(self, url: str, what: str, method: str = "get", **data) -> int:
        response = getattr(self.client, method)(url, data)
        self._no_leak(response, what)
        return response.status_code


@pytest.fixture
def hashing_embedder(settings):
    settings.DOCSITE_EMBEDDERS = HASHING
    settings.SUMMARIES_REQUIRE_APPROVAL = False
    reset_embedders()
    yield
    reset_embedders()


# One pytest test runs every world: give it time in proportion.
@pytest.mark.timeout(max(300, EXAMPLES * 4))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("DOCSITE_PROPERTY_RANDOM") != "1",
    # Each example is a whole site; shrinking a failure can take many minutes,
    # and the assertion already names the user, surface and leaked marker.
    phases=[Phase.explicit, Phase.generate]
    + ([Phase.shrink] if os.environ.get("DOCSITE_PROPERTY_SHRINK") == "1" else []),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(world=worlds())
@example(world=REVOKED_READER)
@example(world=STAFF_WITHOUT_ACCESS)
def test_no_surface_shows_anything_from_a_space_the_user_cannot_view(
    hashing_embedder, world
):
    cache.clear()
    with transaction.atomic():
        built = build(world)
        for user, spec in zip(built.users, world.users, strict=True):
            _check_user(world, built, user, spec)
        transaction.set_rollback(True)


def _check_user(world: WorldSpec, built: Built, user, spec: UserSpec) -> None:
    seen_spaces = visible_spaces(world, spec)
    seen_docs = [i for i, d in enumerate(world.documents) if d.space in seen_spaces]
    hidden_docs = [i for i in range(len(world.documents)) if i not in seen_docs]
    hidden = [
        built.space_markers[i] for i in range(len(world.spaces)) if i not in seen_spaces
    ]
    hidden += [built.document_markers[i] for i in hidden_docs]
    reader = Reader(user=user, hidden_markers=hidden, signed_in=spec.active)
    who = f"user {spec}"

    # Lists, counts, snippets.
    reader.page(reverse("documents:home"), f"home for {who}")
    reader.page(reverse("documents:spaces"), f"space list for {who}")
    listing = reader.page(reverse("documents:list"), f"list for {who}")
    if listing is not None and seen_docs:
        assert DOCUMENT_COUNT.search(listing).group(1) == str(len(seen_docs)), who
        for i in seen_docs:
            assert built.document_markers[i] in listing, f"{who} misses a document"
    search = reader.page(reverse("documents:list"), f"search for {who}", q=world.query)
    if search is not None:
        expected = sum(1 for i in seen_docs if world.query in world.documents[i].words)
        found = RESULT_COUNT.search(search)
        assert (int(found.group(1)) if found else 0) == expected, (who, world.query)
    for index, space in enumerate(built.spaces):
        url = reverse("documents:space", kwargs={"space_slug": space.slug})
        code = reader.status(url, f"space page for {who}")
        if spec.active:
            assert code == (200 if index in seen_spaces else 404), (who, index)
        code = reader.status(url, f"space search for {who}", q=world.query)
        if spec.active:
            assert code == (200 if index in seen_spaces else 404), (who, index)

    # Feed ("because you read X"), semantic / hybrid / keyword search; before
    # the views below, which drop what was read from the feed.
    reader.page(reverse("interests:feed"), f"feed for {who}")
    for mode in ("semantic", "hybrid", "keyword"):
        page = reader.page(
            reverse("interests:search"),
            f"{mode} search for {who}",
            q=world.query,
            mode=mode,
        )
        if page is not None and mode == "keyword":
            expected = sum(
                1 for i in seen_docs if world.query in world.documents[i].words
            )
            assert page.count("data-interests-search-click=") == expected, (who, mode)
    # Document pages, summary fragment, download, interactions API.
    for index, document in enumerate(built.documents):
        expected = 200 if index in seen_docs else 404
        for name in ("documents:detail", "summaries:panel", "documents:download"):
            url = reverse(name, kwargs={"document_id": document.pk})
            code = reader.status(url, f"{name} of document {index} for {who}")
            assert code == (expected if spec.active else 302), (name, who, index)
        code = reader.status(
            reverse("interests:interaction-api"),
            f"interaction on document {index} for {who}",
            method="post",
            document=document.pk,
            kind="view",
            dwell_seconds=5,
        )
        assert code == ((201 if index in seen_docs else 404) if spec.active else 401)

    # The interactions above were real: the feed after a refresh stays clean.
    user_interest_refresh(user_id=user.pk)
    reader.page(reverse("interests:feed"), f"feed after refresh for {who}")

    # The REST API (session authentication), the same rules.
    for url in (
        reverse("api:space-list"),
        reverse("api:document-list"),
        reverse("api:feed"),
        f"{reverse('api:search')}?q={world.query}",
        f"{reverse('api:search')}?q={world.query}&mode=semantic",
    ):
        code = reader.status(url, f"API {url} for {who}")
        assert code == 200 if spec.active else code in (401, 403), (url, who, code)
    for index, document in enumerate(built.documents):
        for name in (
            "api:document-detail",
            "api:document-summary",
            "api:document-related",
        ):
            url = reverse(name, kwargs={"document_id": document.pk})
            code = reader.status(url, f"{name} of document {index} for {who}")
            if spec.active:
                assert code == (200 if index in seen_docs else 404), (name, who, code)

    # Admin: non-staff go to the login page; reviewers see their spaces only.
    admin_pages = [
        reverse("admin:index"),
        reverse("admin:summaries_summary_changelist"),
        reverse("admin:summaries_summaryevent_changelist"),
        # Changelists with their filters, the forms' choices, the dashboard.
        reverse("admin:documents_document_changelist"),
        reverse("admin:documents_space_changelist"),
        reverse("admin:documents_documentevent_changelist"),
        reverse("admin:interests_interaction_changelist"),
        reverse("admin:interests_documentvector_changelist"),
        reverse("admin:workers_reprocessjob_changelist"),
        reverse("admin:workers_reprocessjob_add"),
        reverse("admin:workers_dashboard"),
    ]
    for url in admin_pages:
        response = reader.client.get(url)
        reader._no_leak(response, f"{url} for {who}")
        if not (spec.active and (spec.staff_reviewer or spec.superuser)):
            assert response.status_code == 302, (url, who)
            assert response["Location"].startswith(reverse("admin:login")), (url, who)
        else:
            assert response.status_code == 200, (url, who)
    if spec.active and spec.staff_reviewer:
        for summary in Summary.objects.filter(document__in=built.documents):
            index = built.documents.index(summary.document)
            url = reverse("admin:summaries_summary_change", args=[summary.pk])
            response = reader.client.get(url)
            reader._no_leak(response, f"summary admin page for {who}")
            visible = index in seen_docs
            assert (response.status_code == 200) == visible, (who, index)
        for index, document in enumerate(built.documents):
            url = reverse("admin:documents_document_change", args=[document.pk])
            response = reader.client.get(url)
            reader._no_leak(response, f"document admin page for {who}")
            visible = index in seen_docs
            assert (response.status_code == 200) == visible, (who, index)
