"""Single sign-on with OpenID Connect against a real provider started in the test.

The provider (oidc-provider-mock: Authlib's authorization server, RS256-signed ID tokens,
JWKS, userinfo) runs on a random local port; Stopline talks to it over HTTP exactly as to a
company's identity provider. Only its login form is filled in by the test.
"""

from urllib.parse import quote, urlsplit

import oidc_provider_mock
import pytest
import requests
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.fixture
def provider(settings):
    with oidc_provider_mock.run_server_in_thread() as server:
        issuer = f"http://localhost:{server.server_port}"
        config = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
        settings.OIDC_ENABLED = True
        settings.OIDC_RP_CLIENT_ID = "stopline"
        settings.OIDC_RP_CLIENT_SECRET = "stopline-secret"  # noqa: S105 - the test provider's
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = config["authorization_endpoint"]
        settings.OIDC_OP_TOKEN_ENDPOINT = config["token_endpoint"]
        settings.OIDC_OP_USER_ENDPOINT = config["userinfo_endpoint"]
        settings.OIDC_OP_JWKS_ENDPOINT = config["jwks_uri"]
        settings.OIDC_RP_SIGN_ALGO = "RS256"
        settings.OIDC_VERIFY_KID = False  # this provider publishes one key, without a kid
        yield issuer


def company_user(issuer: str, sub: str, **claims) -> None:
    response = requests.put(f"{issuer}/users/{quote(sub, safe='')}", json=claims, timeout=10)
    assert response.status_code == 204


def sign_in(client: Client, sub: str):
    """Start at Stopline, sign in at the provider as `sub`, come back with the code."""
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302
    authorize = start["Location"]
    form = requests.get(authorize, timeout=10)
    assert form.status_code == 200
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("oidc_authentication_callback")
    return client.get(f"{back.path}?{back.query}")


def logged_in_as(client: Client) -> str | None:
    from django.contrib.auth import get_user_model

    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id).username if user_id else None


def test_a_member_signs_in_with_the_company_identity(client, personas, provider):
    company_user(provider, "u-123", email="LEGAL_LEAD@example.com", email_verified=True)
    response = sign_in(client, "u-123")
    assert response.status_code == 302
    assert response["Location"] == reverse("criteria:operation_list")
    assert logged_in_as(client) == "legal_lead"
    assert "stopline_auth_at" in client.session  # signing within 15 minutes needs no password
    assert client.get(reverse("criteria:operation_detail", args=["eu-chat"])).status_code == 200


def test_an_unverified_email_is_refused(client, personas, provider):
    company_user(provider, "u-124", email="legal_lead@example.com", email_verified=False)
    response = sign_in(client, "u-124")
    assert response.status_code == 302 and "sso=failed" in response["Location"]
    assert logged_in_as(client) is None
    page = client.get(response["Location"]).content.decode()
    assert "Single sign-on did not let you in" in page


def test_an_email_without_a_membership_gets_no_account(client, personas, provider):
    from django.contrib.auth.models import User

    users = User.objects.count()
    company_user(provider, "u-125", email="stranger@example.com", email_verified=True)
    response = sign_in(client, "u-125")
    assert "sso=failed" in response["Location"]
    assert logged_in_as(client) is None
    assert User.objects.count() == users


def test_an_organization_can_turn_local_passwords_off(client, personas, provider):
    personas.org.local_passwords = False
    personas.org.save()
    response = client.post(reverse("login"), {"username": "legal_lead", "password": PASSWORD})
    assert response.status_code == 200  # refused, the form again
    assert logged_in_as(client) is None
    # Members of organizations that keep passwords are not affected.
    other = Client()
    other.post(reverse("login"), {"username": "outsider", "password": PASSWORD})
    assert logged_in_as(other) == "outsider"
    # ... and single sign-on still works for the SSO-only organization.
    company_user(provider, "u-126", email="legal_lead@example.com", email_verified=True)
    sign_in(client, "u-126")
    assert logged_in_as(client) == "legal_lead"


def test_the_login_page_offers_sso_when_configured(client, db, provider, settings):
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    body = client.get(reverse("login")).content.decode()
    assert "Sign in with Acme ID" in body


def test_a_forged_callback_is_refused_without_an_error(client, personas, provider):
    client.get(reverse("oidc_authentication_init"))  # a state in the session
    state = client.session["oidc_states"]
    response = client.get(
        reverse("oidc_authentication_callback"), {"code": "forged", "state": next(iter(state))}
    )
    assert response.status_code == 302 and "sso=failed" in response["Location"]
    assert logged_in_as(client) is None


def test_sso_is_off_without_configuration(client, db):
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
