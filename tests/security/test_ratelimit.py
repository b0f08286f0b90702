"""Rate limits: logins (django-axes), request throttles (DRF), and the client's
address behind a trusted proxy.

Findings reproduced here: 61 empty-password POSTs locked every user out of
login for the minute, site-wide behind the documented proxy; ``/admin/login/``
had no limit; ``ｖｉｃ`` and ``ᵛⁱᶜ`` signed in as ``vic``, each with its own
count; search and uploads had no limit.
"""

from __future__ import annotations

from unittest import mock

import pytest
from rest_framework.test import APIClient

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from docsite.ratelimit import client_ip
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    """Set the throttle rates for a test: ``rates(search="2/min")``."""

    def set_rates(**scopes: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": scopes,
        }

    return set_rates


@pytest.fixture
def behind_proxy(settings):
    settings.DOCSITE_TRUSTED_PROXIES = ["10.0.0.0/24"]


def through_proxy(client_address: str) -> Client:
    """A browser whose requests reach docsite through the trusted proxy."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


# --- the client's address ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # Not from a trusted proxy: the header is the client's word, ignored.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # From the proxy: the address it saw.
        (PROXY, "198.51.100.1", "198.51.100.1"),
        # A client that forges the header gets its own address appended by
        # the proxy; the forged part is never used.
        (PROXY, "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Two trusted proxies in a row.
        (PROXY, "198.51.100.1, 10.0.0.7", "198.51.100.1"),
        # Garbage or nothing: the proxy's own address.
        (PROXY, "not-an-address", PROXY),
        (PROXY, "", PROXY),
        ("2001:db8::1", "198.51.100.1", "2001:db8::1"),
    ],
)
def test_client_address_comes_from_the_header_only_through_a_trusted_proxy(
    behind_proxy, remote, forwarded, expected
):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.DOCSITE_TRUSTED_PROXIES = []
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert client_ip(request) == PROXY


# --- logins ------------------------------------------------------------------------------


def _login(client: Client, username: str, password: str, *, admin: bool = False):
    url = reverse("admin:login") if admin else reverse("login")
    return client.post(url, {"username": username, "password": password})


@pytest.mark.django_db
def test_failed_logins_lock_that_username_from_that_address_only(
    settings, behind_proxy
):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="alice", password=PASSWORD)
    UserFactory(username="bob", password=PASSWORD)
    attacker = through_proxy("198.51.100.66")

    codes = [_login(attacker, "alice", "wrong").status_code for _ in range(4)]

    assert codes == [200, 200, 429, 429]
    refused = _login(attacker, "alice", PASSWORD)
    assert refused.status_code == 429, "the right password does not skip the lock"
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in attacker.session
    # Another username from the same address, and alice from elsewhere (the
    # same proxy, another client), still sign in.
    assert _login(attacker, "bob", PASSWORD).status_code == 302
    alice = through_proxy("198.51.100.7")
    assert _login(alice, "alice", PASSWORD).status_code == 302
    assert "_auth_user_id" in alice.session


@pytest.mark.django_db
def test_empty_password_posts_lock_nobody_out_behind_the_proxy(settings, behind_proxy):
    """Finding: 61 empty-password POSTs locked every user out, site-wide."""
    UserFactory(username="vic", password=PASSWORD)
    attacker = through_proxy("198.51.100.66")
    for number in range(61):
        _login(attacker, f"user{number % 3}", "")
        _login(attacker, "vic", "")

    reader = through_proxy("198.51.100.7")
    assert _login(reader, "vic", PASSWORD).status_code == 302
    assert _login(attacker, "vic", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_admin_login_is_limited_too(settings):
    """Finding: /admin/login/ had no limit at all."""
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    client = Client()

    codes = [_login(client, "root", "wrong", admin=True).status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert _login(client, "root", PASSWORD, admin=True).status_code == 429
    # One count for both forms: the portal's login is locked for root as well.
    assert _login(client, "root", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_compatibility_spellings_of_a_username_share_its_count(settings):
    """Finding: ｖｉｃ and ᵛⁱᶜ log in as vic, each with its own bucket."""
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="vic", password=PASSWORD)
    client = Client()
    assert _login(client, "ｖｉｃ", PASSWORD).status_code == 302  # Django's NFKC
    client = Client()

    codes = [
        _login(client, spelling, "wrong").status_code
        for spelling in ("vic", "ｖｉｃ", "ᵛⁱᶜ")
    ]

    assert codes == [200, 200, 429]
    assert _login(client, "vic", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_a_success_resets_the_count(settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="alice", password=PASSWORD)
    client = Client()
    for _ in range(2):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302
    client = Client()
    assert [_login(client, "alice", "wrong").status_code for _ in range(2)] == [
        200,
        200,
    ]


# --- request throttles --------------------------------------------------------------------


@pytest.mark.django_db
def test_search_is_limited_per_user_in_the_api_and_the_portal(world, rates):
    """Finding: search had no rate limit."""
    rates(search="3/min")
    api = APIClient()
    api.force_authenticate(world.alice)
    codes = [api.get("/api/v1/search/", {"q": "x"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert int(api.get("/api/v1/search/", {"q": "x"})["Retry-After"]) >= 1

    portal = Client()
    portal.force_login(world.alice)
    refused = portal.get(reverse("interests:search"), {"q": "x"})
    assert refused.status_code == 429, "the portal shares the API's budget"
    assert "Too many requests" in refused.content.decode()
    other = Client()
    other.force_login(world.bob)
    assert other.get(reverse("interests:search"), {"q": "x"}).status_code == 200


@pytest.mark.django_db
def test_uploads_are_limited_per_user_in_the_api_and_the_portal(world, rates):
    """Finding: uploads had no rate limit."""
    rates(uploads="2/min")
    api = APIClient()
    api.force_authenticate(world.alice)

    def upload(number: int):
        return api.post(
            "/api/v1/documents/",
            {
                "space": "engineering",
                "file": SimpleUploadedFile(f"n{number}.txt", b"Words %d." % number),
            },
            format="multipart",
        )

    assert [upload(n).status_code for n in range(3)] == [202, 202, 429]
    assert api.get("/api/v1/documents/").status_code == 200, "reads are not counted"
    portal = Client()
    portal.force_login(world.alice)
    refused = portal.post(
        reverse("documents:upload"),
        {"space": world.engineering.pk, "file": SimpleUploadedFile("x.txt", b"x")},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 429 and "Retry-After" in refused
    assert "Too many requests" in refused.json()["detail"]


@pytest.mark.django_db
def test_limits_let_requests_through_when_the_cache_is_down(world, rates):
    rates(search="1/min")
    api = APIClient()
    api.force_authenticate(world.alice)
    with mock.patch(
        "django.core.cache.backends.locmem.LocMemCache.get",
        side_effect=ConnectionError("down"),
    ):
        codes = {api.get("/api/v1/search/", {"q": "x"}).status_code for _ in range(3)}
    assert codes == {200}


def test_base_settings_limit_every_scope_and_share_counts_through_redis():
    """Production counts across web processes: the base cache is Redis."""
    import importlib

    base = importlib.import_module("docsite.settings.base")
    assert base.CACHES["default"]["BACKEND"] == (
        "django.core.cache.backends.redis.RedisCache"
    )
    assert base.AXES_HANDLER == "axes.handlers.cache.AxesCacheHandler"
    assert set(base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) >= {
        "search",
        "uploads",
        "interactions",
    }
    assert base.AUTHENTICATION_BACKENDS[0] == "docsite.ratelimit.LoginLimitBackend"


@pytest.mark.django_db
def test_one_reader_liking_120_times_a_minute_cannot_make_a_document_popular(
    world, rates
):
    """Finding: one reader pushed a document to #1 "Popular" with 120 likes a
    minute. A like is a state (a repeat is the same like), popularity counts
    distinct readers, and the events are throttled per reader."""
    from docsite.documents.services import document_create_from_text
    from interests.selectors import documents_popular_for

    rates(interactions="120/min")
    pushed = document_create_from_text(
        space=world.handbook, title="Pushed", text="One reader's favourite."
    ).document
    liked = document_create_from_text(
        space=world.handbook, title="Liked", text="Several readers like this."
    ).document
    abuser = APIClient()
    abuser.force_authenticate(world.carol)
    codes = [
        abuser.post(
            "/api/v1/interactions/",
            {"document": pushed.pk, "kind": kind},
            format="json",
        ).status_code
        for kind in ("like", "view") * 61
    ]
    assert codes.count(429) >= 2, "the 121st event in the minute is refused"
    for reader in (world.alice, world.bob, UserFactory(username="dora")):
        client = APIClient()
        client.force_authenticate(reader)
        client.post(
            "/api/v1/interactions/",
            {"document": liked.pk, "kind": "like"},
            format="json",
        )

    cache.clear()  # popularity is cached for a minute
    popular = dict(
        (document.title, count)
        for document, count in documents_popular_for(user=world.carol)
    )
    assert popular["Pushed"] == 1
    assert popular["Liked"] > popular["Pushed"]
