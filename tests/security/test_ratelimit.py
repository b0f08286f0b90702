"""Rate limits: the limiter itself, the login form and the interactions endpoint."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from docsite.ratelimit import (
    Rate,
    client_ip,
    login_key,
    ratelimit,
    ratelimit_hit,
    user_or_ip,
)
from interests.models import Interaction
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


# --- the limiter ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [("10/m", Rate(10, 60)), ("5/10s", Rate(5, 10)), ("100/h", Rate(100, 3600))],
)
def test_rate_parses_count_and_window(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["10", "ten/m", "10/x", "10/m/s", "-1/m"])
def test_rate_refuses_nonsense(text):
    with pytest.raises(ValueError, match="Invalid rate"):
        Rate.parse(text)


def test_limit_allows_exactly_the_rate_then_refuses_until_the_window_ends():
    rate = Rate(limit=3, window_seconds=60)
    with mock.patch("docsite.ratelimit.time.time", return_value=1_000_040.0):
        decisions = [ratelimit_hit(scope="t", key="k", rate=rate) for _ in range(5)]
        other_key = ratelimit_hit(scope="t", key="other", rate=rate)
        other_scope = ratelimit_hit(scope="u", key="k", rate=rate)
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert decisions[-1].retry_after == 60 - 20  # 1_000_040 is 20 s into its window
    assert other_key.allowed and other_scope.allowed
    with mock.patch("docsite.ratelimit.time.time", return_value=1_000_100.0):
        assert ratelimit_hit(scope="t", key="k", rate=rate).allowed  # next window


def test_limit_fails_open_when_the_cache_is_down(caplog):
    with mock.patch("docsite.ratelimit.cache.add", side_effect=ConnectionError("down")):
        decision = ratelimit_hit(scope="t", key="k", rate=Rate(1, 60))
    assert decision.allowed
    assert "cache unavailable" in caplog.text


def test_decorator_limits_only_the_given_methods_and_answers_429(settings):
    settings.DOCSITE_RATELIMITS = {"demo": "2/m"}
    view = ratelimit(scope="demo", key=client_ip)(lambda request: _ok())
    factory = RequestFactory()
    posts = [view(factory.post("/x")).status_code for _ in range(3)]
    gets = [view(factory.get("/x")).status_code for _ in range(3)]
    refused = view(factory.post("/api/x"))
    assert posts == [200, 200, 429] and gets == [200, 200, 200]
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many requests" in json.loads(refused.content)["error"]


def test_scope_set_to_none_is_unlimited(settings):
    settings.DOCSITE_RATELIMITS = {"demo": None}
    view = ratelimit(scope="demo", key=client_ip)(lambda request: _ok())
    assert {view(RequestFactory().post("/x")).status_code for _ in range(50)} == {200}


def test_keys_separate_users_and_addresses(db):
    factory = RequestFactory()
    request = factory.post("/x", {"username": " Alice "}, REMOTE_ADDR="10.0.0.1")
    assert login_key(request) == "10.0.0.1|alice"
    request.user = UserFactory(username="zed")
    assert user_or_ip(request) == f"user:{request.user.pk}"
    request.user = mock.Mock(is_authenticated=False)
    assert user_or_ip(request) == "ip:10.0.0.1"


def _ok():
    from django.http import HttpResponse

    return HttpResponse("ok")


# --- login -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_is_limited_per_address_and_username(settings):
    settings.DOCSITE_RATELIMITS = {"login": "3/m", "login-ip": "100/m"}
    UserFactory(username="alice")
    client = Client()
    url = reverse("login")
    wrong = {"username": "alice", "password": "wrong"}
    codes = [client.post(url, wrong).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.post(
        url, {"username": "alice", "password": "correct horse battery staple"}
    )
    assert refused.status_code == 429, "the right password does not skip the limit"
    assert "Too many requests" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another username from the same address, and GETs, are not affected.
    assert client.post(url, {"username": "bob", "password": "x"}).status_code == 200
    assert client.get(url).status_code == 200
    # Another address may still sign in as alice.
    other = Client(REMOTE_ADDR="10.9.9.9")
    response = other.post(
        url, {"username": "alice", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302 and "_auth_user_id" in other.session


@pytest.mark.django_db
def test_login_is_limited_per_address_across_usernames(settings):
    settings.DOCSITE_RATELIMITS = {"login": "100/m", "login-ip": "5/m"}
    client = Client()
    codes = [
        client.post(
            reverse("login"), {"username": f"u{i}", "password": "p"}
        ).status_code
        for i in range(6)
    ]
    assert codes == [200] * 5 + [429]


# --- the interactions endpoint -------------------------------------------------------------


@pytest.mark.django_db
def test_interactions_endpoint_is_limited_per_user(settings, world):
    from docsite.documents.services import document_create_from_text

    settings.DOCSITE_RATELIMITS = {"interactions": "5/m"}
    document = document_create_from_text(
        space=world.handbook, title="Policy", text="Holiday policy."
    ).document
    url = reverse("interests:interaction-api")
    alice, carol = Client(), Client()
    alice.force_login(world.alice)
    carol.force_login(world.carol)
    body = {"document": document.pk, "kind": "view", "dwell_seconds": 3}
    codes = [alice.post(url, body).status_code for _ in range(7)]
    assert codes == [201] * 5 + [429, 429]
    refused = alice.post(url, body)
    assert refused.status_code == 429 and "Too many requests" in refused.json()["error"]
    assert Interaction.objects.filter(user=world.alice).count() == 5
    # Another reader on the same address has a budget of their own.
    assert carol.post(url, body).status_code == 201


def test_settings_limit_the_three_scopes_by_default():
    from django.conf import settings

    assert set(settings.DOCSITE_RATELIMITS) >= {"login", "login-ip", "interactions"}
    for rate in settings.DOCSITE_RATELIMITS.values():
        Rate.parse(rate)


def test_base_settings_share_limits_through_redis():
    """Production counts across web processes: the base cache is Redis."""
    import importlib

    base = importlib.import_module("docsite.settings.base")
    backend = base.CACHES["default"]
    assert backend["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert backend["KEY_PREFIX"]
