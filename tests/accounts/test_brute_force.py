"""Brute force: django-axes locks a username and an address; DRF throttles answer 429."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, api_token


def attempt(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_sixty_wrong_passwords_lock_the_account_even_for_the_right_one(client, personas, settings):
    for _ in range(60):
        response = attempt(client, "legal_lead", "guess")
        assert response.status_code in (200, 429)
    response = attempt(client, "legal_lead", PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed logins" in body and "administrator" in body
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "_auth_user_id" not in client.session


def test_the_lockout_starts_at_the_failure_limit(client, personas, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        assert attempt(client, "legal_lead", "guess").status_code == 200
    assert attempt(client, "legal_lead", PASSWORD).status_code == 302  # 4 failures: still fine
    client.logout()
    for _ in range(5):
        attempt(client, "legal_lead", "guess")
    assert attempt(client, "legal_lead", PASSWORD).status_code == 429


def test_a_locked_username_stays_locked_from_another_address(client, personas, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for i in range(5):
        attempt(client, "legal_lead", "guess", ip=f"10.0.1.{i}")
    assert attempt(client, "legal_lead", PASSWORD, ip="10.9.9.9").status_code == 429
    # Other people are not locked out by someone guessing legal_lead's password.
    assert attempt(Client(), "cx_lead", PASSWORD, ip="10.9.9.9").status_code == 302


def test_an_address_guessing_many_usernames_is_locked(client, personas, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for name in ["a", "b", "c", "d", "e"]:
        attempt(client, name, "guess", ip="10.0.2.1")
    assert attempt(client, "cx_lead", PASSWORD, ip="10.0.2.1").status_code == 429
    assert attempt(Client(), "cx_lead", PASSWORD, ip="10.0.2.2").status_code == 302


def test_an_admin_unlocks_the_account(client, personas, settings, admin_client):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(5):
        attempt(client, "legal_lead", "guess")
    assert attempt(client, "legal_lead", PASSWORD).status_code == 429
    attempts = AccessAttempt.objects.filter(username="legal_lead")
    assert attempts.exists()
    # Admin > Axes > Access attempts: delete the attempts of that username.
    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200 and b"legal_lead" in changelist.content
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in attempts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert attempt(client, "legal_lead", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_anonymous_api_traffic_is_throttled_with_retry_after(settings):
    settings.STOPLINE_THROTTLE_RATES = {**settings.STOPLINE_THROTTLE_RATES, "anon": "3/minute"}
    client = APIClient()
    for _ in range(3):
        assert client.get("/api/schema/").status_code == 200
    response = client.get("/api/schema/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_guessing_tokens_is_throttled_per_address(personas, settings):
    settings.STOPLINE_THROTTLE_RATES = {**settings.STOPLINE_THROTTLE_RATES, "anon": "3/minute"}
    guesser = APIClient(REMOTE_ADDR="10.1.1.1")
    for i in range(3):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token stl_guess{i}")
        assert guesser.get("/api/v1/operations/").status_code == 401
    guesser.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.viewer)}")
    response = guesser.get("/api/v1/operations/")  # even the right token now waits
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "throttled"
    other = APIClient(REMOTE_ADDR="10.1.1.2")
    other.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.viewer)}")
    assert other.get("/api/v1/operations/").status_code == 200


def test_each_token_has_its_own_budget(personas, settings):
    settings.STOPLINE_THROTTLE_RATES = {**settings.STOPLINE_THROTTLE_RATES, "token": "2/minute"}
    first, second = APIClient(), APIClient()
    first.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.viewer, name='a')}")
    second.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.viewer, name='b')}")
    assert [first.get("/api/v1/operations/").status_code for _ in range(3)] == [200, 200, 429]
    assert "Retry-After" in first.get("/api/v1/operations/")
    assert second.get("/api/v1/operations/").status_code == 200


def test_logged_in_users_are_throttled_too(personas, settings):
    settings.STOPLINE_THROTTLE_RATES = {**settings.STOPLINE_THROTTLE_RATES, "user": "2/minute"}
    client = APIClient()
    client.force_login(personas.viewer)
    codes = [client.get("/api/v1/operations/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_each_ofrep_key_has_its_own_budget(client, personas, settings):
    from guardrails.services import flag_key_create
    from tests.guardrails.test_ofrep import BULK, post

    settings.STOPLINE_THROTTLE_RATES = {**settings.STOPLINE_THROTTLE_RATES, "api_key": "2/minute"}
    _, first = flag_key_create(operation=personas.operation, name="a", actor=None)
    _, second = flag_key_create(operation=personas.operation, name="b", actor=None)
    codes = [post(client, BULK, token=first).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = post(client, BULK, token=first)
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many requests" in response.json()["errorDetails"]
    assert post(client, BULK, token=second).status_code == 200


def test_guessing_ofrep_keys_is_throttled_per_address(client, personas, settings):
    from guardrails.services import flag_key_create
    from tests.guardrails.test_ofrep import BULK, post

    settings.STOPLINE_THROTTLE_RATES = {**settings.STOPLINE_THROTTLE_RATES, "anon": "3/minute"}
    _, key = flag_key_create(operation=personas.operation, name="a", actor=None)
    for i in range(3):
        assert post(client, BULK, token=f"slk_guess{i}", REMOTE_ADDR="10.2.0.1").status_code == 401
    response = post(client, BULK, token=key, REMOTE_ADDR="10.2.0.1")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert post(client, BULK, token=key, REMOTE_ADDR="10.2.0.2").status_code == 200


def test_wrong_passwords_when_signing_through_the_api_count_towards_the_lockout(
    client, personas, settings
):
    from tests.criteria.test_api import API, propose, sign_body, token_client

    settings.AXES_FAILURE_LIMIT = 5
    version = propose(personas)
    api = token_client(personas.legal_lead)
    url = f"{API}/eu-chat/versions/1/signatures/"
    for _ in range(4):
        response = api.post(url, {**sign_body(version), "password": "guess"}, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["fields"] == {"password": "incorrect"}
    response = api.post(url, {**sign_body(version), "password": "guess"}, format="json")
    assert response.status_code == 429  # the fifth wrong one locks
    assert AccessAttempt.objects.get(username="legal_lead").failures_since_start == 5

    # Locked now, even with the right password; and the login page agrees.
    response = api.post(url, {**sign_body(version), "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"
    assert "locked for 30 minutes" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert not version.signatures.exists()
    assert attempt(client, "legal_lead", PASSWORD).status_code == 429


def test_the_right_password_signs_through_the_api_and_is_not_counted(personas, settings):
    from tests.criteria.test_api import API, propose, sign_body, token_client

    version = propose(personas)
    api = token_client(personas.legal_lead)
    response = api.post(
        f"{API}/eu-chat/versions/1/signatures/",
        {**sign_body(version), "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert not AccessAttempt.objects.filter(username="legal_lead").exists()
