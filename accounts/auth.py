"""Password logins, refused for members of an organization that signs in with SSO only."""

from django.contrib.auth.backends import ModelBackend

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
