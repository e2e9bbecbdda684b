"""Password logins, refused for members of an organization that signs in with SSO only."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import Membership


def password_login_allowed(user) -> bool:
    """False when any of the user's organizations turned local passwords off."""
    return not Membership.objects.filter(user=user, organization__local_passwords=False).exists()


class PasswordBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and password_login_allowed(user)
