"""DRF throttles: anonymous clients per address, each API token, each logged-in user.

Rates come from settings.STOPLINE_THROTTLE_RATES at request time, so they follow the
environment (and test overrides). Past the rate DRF answers 429 with Retry-After.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return settings.STOPLINE_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        # The rate is read per request rather than once at import.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnonThrottle(_SettingsRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenThrottle(_SettingsRateThrottle):
    """Each API token has its own budget (a script with a token, e.g. a nightly upload)."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.token_key}


class SessionUserThrottle(_SettingsRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated) or isinstance(
            request.auth, ApiToken
        ):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class FailedTokenThrottle(_SettingsRateThrottle):
    """Counts failed API tokens per address; checked before a token is even looked at."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": "failed-token", "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) < self.num_requests

    def record_failure(self) -> None:
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class ApiKeyThrottle(_SettingsRateThrottle):
    """Traffic of one API key that is not a DRF view (OFREP flag evaluation): its own budget.

    Used through `api_key_throttled` so plain Django views answer the same 429 + Retry-After.
    """

    scope = "api_key"

    def __init__(self, ident: str) -> None:
        super().__init__()
        self.ident = ident

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}


def _wait(throttle: SimpleRateThrottle) -> int:
    return max(1, round(throttle.wait() or 1))


def failed_keys_wait(request) -> int | None:
    """Seconds this address must wait after too many wrong keys or tokens, else None."""
    guard = FailedTokenThrottle()
    return None if guard.allow_request(request, None) else _wait(guard)


def failed_key_record(request) -> None:
    guard = FailedTokenThrottle()
    guard.allow_request(request, None)
    guard.record_failure()


def api_key_wait(request, key_id: str) -> int | None:
    """Seconds a valid key must wait when it is over its budget (and counts this request)."""
    throttle = ApiKeyThrottle(key_id)
    return None if throttle.allow_request(request, None) else _wait(throttle)
