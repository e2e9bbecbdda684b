from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.utils import timezone

SESSION_AUTH_AT = "stopline_auth_at"


def session_mark_authenticated(request) -> None:
    """Remember when the password was last entered (signing asks again after 15 minutes)."""
    request.session[SESSION_AUTH_AT] = timezone.now().timestamp()


class StoplineLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        session_mark_authenticated(self.request)
        return response
