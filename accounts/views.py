from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import memberships_for_user
from accounts.services import membership_preferences_set

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


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Per-organization e-mail preferences of the logged-in user."""
    memberships = list(memberships_for_user(request.user))
    if request.method == "POST":
        wanted = set(request.POST.getlist("weekly_digest"))
        for membership in memberships:
            membership_preferences_set(
                membership=membership, weekly_digest=str(membership.pk) in wanted
            )
        messages.success(request, "Your e-mail preferences are saved.")
        return redirect("preferences")
    return render(request, "accounts/preferences.html", {"memberships": memberships})
