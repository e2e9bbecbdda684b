"""OpenID Connect sign-in (mozilla-django-oidc), on when OIDC_RP_CLIENT_ID is configured.

A person signs in with their company identity and lands on the Stopline account whose
e-mail matches the provider's *verified* e-mail and that has a membership. Nobody else gets
in: no account is created, an unverified or ambiguous e-mail is refused.
"""

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from jwt.exceptions import PyJWTError
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
from requests.exceptions import RequestException

logger = logging.getLogger(__name__)


class StoplineOIDCBackend(OIDCAuthenticationBackend):
    def authenticate(self, request: HttpRequest | None, **kwargs):
        if not settings.OIDC_ENABLED or request is None or "code" not in request.GET:
            return None
        user = super().authenticate(request, **kwargs)
        if user is not None:
            from accounts.views import session_mark_authenticated

            session_mark_authenticated(request)
        return user

    def verify_claims(self, claims: dict) -> bool:
        return bool(claims.get("email")) and claims.get("email_verified") is True

    def filter_users_by_claims(self, claims: dict) -> QuerySet[User]:
        email = (claims.get("email") or "").strip()
        if not email:
            return User.objects.none()
        users = User.objects.filter(
            email__iexact=email, is_active=True, memberships__isnull=False
        ).distinct()
        # Two accounts with one e-mail: refuse rather than guess which one is meant.
        return users if users.count() == 1 else User.objects.none()


class AuthenticationRequestView(OIDCAuthenticationRequestView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except (SuspiciousOperation, RequestException, PyJWTError, KeyError, ValueError):
            # A forged or stale callback, or a provider that refuses the code: no login,
            # and the login page says so (never a server error).
            logger.warning("single sign-on callback refused", exc_info=True)
            return self.login_failure()
