from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import memberships_for_user
from accounts.errors import StoplineError
from accounts.services import membership_preferences_set
from accounts.tokens import TOKEN_LIFETIMES, api_token_create, api_token_revoke, tokens_for_user

SESSION_AUTH_AT = "stopline_auth_at"


def session_mark_authenticated(request) -> None:
    """Remember when the password was last entered (signing asks again after 15 minutes)."""
    request.session[SESSION_AUTH_AT] = timezone.now().timestamp()


class StoplineLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        context["oidc_provider_name"] = settings.OIDC_PROVIDER_NAME
        context["sso_failed"] = self.request.GET.get("sso") == "failed"
        return context

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        session_mark_authenticated(self.request)
        return response


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs):
    """django-axes calls this for a login attempt while the username or address is locked."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    if request.path.startswith("/api/"):  # a wrong password when signing through the API
        message = (
            f"Too many wrong passwords: this account is locked for "
            f"{context['cooloff_minutes']} minutes (an administrator can unlock it)."
        )
        response = JsonResponse({"error": {"code": "locked_out", "message": message}}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
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


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens: create one (shown once), see and revoke the others."""
    context: dict = {"lifetimes": TOKEN_LIFETIMES}
    status = 200
    if request.method == "POST":
        try:
            days = int(request.POST.get("days") or 0)
        except ValueError:
            days = 0
        try:
            token, value = api_token_create(
                user=request.user, name=request.POST.get("name", ""), days=days
            )
        except StoplineError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            context.update(new_token=token, new_token_value=value)
    context["tokens"] = tokens_for_user(request.user)
    response = render(request, "accounts/tokens.html", context, status=status)
    # The token is in this page only: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    if api_token_revoke(user=request.user, token_key=token_key):
        messages.success(request, "The token is revoked: it no longer works.")
    else:
        messages.error(request, "No such token.")
    return redirect("tokens")
