"""Password logins, refused for members of an organization that signs in with SSO only."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from accounts.errors import ReauthRequired
from accounts.models import Membership


def password_login_allowed(user) -> bool:
    """False when any of the user's organizations turned local passwords off."""
    return not Membership.objects.filter(user=user, organization__local_passwords=False).exists()


class PasswordBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        # Checked at login only (not in user_can_authenticate, which every request's
        # session lookup calls: that would cost a query per page).
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not password_login_allowed(user):
            return None
        return user


def password_reconfirm(request: HttpRequest, user: AbstractBaseUser, password: str) -> None:
    """Re-enter the password (to sign): through ``authenticate``, so that django-axes counts a
    wrong password and locks the username and the address out as at login. Raises
    ReauthRequired. Call it outside a transaction that an error rolls back, or the failure
    would be rolled back with it."""
    request = getattr(request, "_request", request)  # DRF wraps Django's request
    confirmed = authenticate(request, username=user.get_username(), password=password)
    if confirmed is not None and confirmed.pk == user.pk:
        return
    if getattr(request, "axes_locked_out", False):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        raise ReauthRequired(
            f"Too many wrong passwords: signing with a password is locked for {minutes} "
            "minutes (an administrator can unlock it).",
            fields={"password": "locked"},
        )
    raise ReauthRequired("The password is not correct.", fields={"password": "incorrect"})
