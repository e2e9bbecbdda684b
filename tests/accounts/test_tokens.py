"""API tokens: hashed at rest, named, expiring, shown once, revocable by their owner."""

from datetime import timedelta

import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.criteria.test_views import login


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def create_on_page(client, name: str = "nightly export", days: int = 90) -> str:
    response = client.post(reverse("tokens"), {"name": name, "days": days})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.context["new_token_value"]


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client, personas):
    login(client, personas.ops_lead)
    token = create_on_page(client)
    assert api(token).get("/api/v1/operations/").status_code == 200
    page = client.get(reverse("tokens")).content.decode()
    assert "nightly export" in page
    assert token not in page  # never shown again
    stored = ApiToken.objects.get(user=personas.ops_lead)
    assert stored.name == "nightly export"
    assert token not in stored.digest and len(stored.digest) == 128
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key, name FROM accounts_apitoken")
        assert all(token not in " ".join(map(str, row)) for row in cursor.fetchall())


def test_a_token_expires(client, personas):
    login(client, personas.ops_lead)
    token = create_on_page(client, days=30)
    stored = ApiToken.objects.get(user=personas.ops_lead)
    assert abs(stored.expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = api(token).get("/api/v1/operations/")
        assert response.status_code == 401
        assert "nightly export" not in client.get(reverse("tokens")).content.decode()


def test_the_owner_revokes_a_token(client, personas):
    login(client, personas.ops_lead)
    token = create_on_page(client)
    key = ApiToken.objects.get(user=personas.ops_lead).token_key
    response = client.post(reverse("token_revoke", args=[key]))
    assert response.status_code == 302
    assert api(token).get("/api/v1/operations/").status_code == 401


def test_nobody_else_revokes_or_sees_my_token(client, personas):
    login(client, personas.ops_lead)
    token = create_on_page(client)
    key = ApiToken.objects.get(user=personas.ops_lead).token_key
    client.logout()
    login(client, personas.outsider)
    assert "nightly export" not in client.get(reverse("tokens")).content.decode()
    client.post(reverse("token_revoke", args=[key]))
    assert api(token).get("/api/v1/operations/").status_code == 200


def test_a_token_needs_a_name_and_a_known_lifetime(client, personas):
    login(client, personas.ops_lead)
    assert client.post(reverse("tokens"), {"name": " ", "days": 90}).status_code == 400
    assert client.post(reverse("tokens"), {"name": "x", "days": 9999}).status_code == 400
    assert client.post(reverse("tokens"), {"name": "x", "days": "abc"}).status_code == 400
    assert not ApiToken.objects.exists()


def test_the_tokens_page_needs_a_login(client, db):
    response = client.get(reverse("tokens"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_unknown_token_answers_401_with_a_challenge(db):
    response = api("stl_not-a-real-token").get("/api/v1/operations/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
