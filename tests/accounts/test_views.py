from django.urls import reverse

from accounts.models import Membership
from tests.criteria.test_views import login


def test_user_opts_out_of_the_weekly_digest(client, personas):
    login(client, personas.legal_lead)
    response = client.post(reverse("preferences"), {})
    assert response.status_code == 302
    assert not Membership.objects.get(user=personas.legal_lead).weekly_digest
    # Another user's preference is untouched.
    assert Membership.objects.get(user=personas.cx_lead).weekly_digest
    membership = Membership.objects.get(user=personas.legal_lead)
    client.post(reverse("preferences"), {"weekly_digest": [membership.pk]})
    membership.refresh_from_db()
    assert membership.weekly_digest


def test_preferences_need_login(client, db):
    response = client.get(reverse("preferences"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_login_then_sign_needs_no_password_for_fifteen_minutes(client, personas):
    from tests.conftest import PASSWORD

    response = client.post(reverse("login"), {"username": "legal_lead", "password": PASSWORD})
    assert response.status_code == 302
    assert "stopline_auth_at" in client.session
