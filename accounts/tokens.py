"""API tokens: django-rest-knox digests, named and expiring, managed by their owner."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

from accounts.errors import StoplineError
from accounts.models import ApiToken
from accounts.throttling import FailedTokenThrottle

# The lifetimes offered on the tokens page, in days.
TOKEN_LIFETIMES = [30, 90, 365]


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; an expired or revoked token answers 401."""

    def authenticate(self, request):
        # Guessing tokens: past the anonymous rate of failed tokens from one address, even
        # a right token answers 429 until the window has passed.
        guard = FailedTokenThrottle()
        if not guard.allow_request(request, None):
            raise exceptions.Throttled(wait=guard.wait())
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            guard.record_failure()
            raise

    def _cleanup_token(self, auth_token: ApiToken) -> bool:
        # knox also sweeps the user's other tokens on every request (one more query each
        # time); an expired token is refused here and hidden from the tokens page instead.
        return auth_token.expiry is not None and auth_token.expiry <= timezone.now()


def tokens_for_user(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user).exclude(expiry__lte=timezone.now())


def api_token_create(*, user: AbstractBaseUser, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token; the second value is the token itself, which is never stored."""
    name = name.strip()
    if not name:
        raise StoplineError("Give the token a name, e.g. the system that will use it.")
    if days not in TOKEN_LIFETIMES:
        raise StoplineError(f"A token lives {', '.join(map(str, TOKEN_LIFETIMES))} days.")
    return ApiToken.objects.create(user=user, expiry=timedelta(days=days), name=name[:100])


def api_token_revoke(*, user: AbstractBaseUser, token_key: str) -> int:
    """Delete the owner's token(s) with this visible key; returns how many were revoked."""
    deleted, _ = ApiToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """How /api/schema/ describes the token header (drf-spectacular)."""

    target_class = "accounts.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )
