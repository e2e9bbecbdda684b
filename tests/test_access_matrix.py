"""Role × URL × method over two organizations, generated from the URLconf.

Every URL pattern of the project is requested with every method, its parameters filled with
real objects of organization "acme", by: nobody (anonymous), a facilitator of another
organization (outsider) and acme's read-only viewer. Expected: 0 server errors, and 0
unexpected successes: no 2xx for anonymous or outsider except the public pages and the
user's own account pages, and no write at all (a fingerprint of every table of our apps)
by any of them. A new URL pattern is covered without touching this file; a new parameter
name fails the test until it gets a filler below.
"""

import hashlib
import re
from itertools import product

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from criteria.services import comment_add
from guardrails.services import flag_key_create
from metrics.models import IngestionRun
from outbox.endpoints import webhook_endpoint_create, webhook_endpoint_test
from sampling.models import ReviewItem
from sampling.services import sample_draw
from tests.conftest import PASSWORD
from tests.criteria.signing import agree, membership
from tests.criteria.test_views import login
from tests.metrics.alert_data import make_alert
from tests.sampling.factories import WEEK, plan_set, week_make

# Thousands of requests: run once, on the production database (make test-postgres).
pytestmark = pytest.mark.postgres

METHODS = ["get", "post", "put", "patch", "delete", "options"]
# Pages anyone may open (they show nothing of an organization).
PUBLIC = {
    "healthz",
    "login",
    "logout",
    "schema",
    "api-docs",
    "criteria:diagnostic",
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "oidc_logout",
}
# The signed-in user's own account (tokens, e-mail preferences): any member may use them.
OWN_ACCOUNT = {"preferences", "tokens", "token_revoke", "criteria:operation_list"}
# Lists of the user's own organizations, and a diagnostic saved as a new operation of their
# own organization: they succeed for anyone signed in, and must show nothing of acme.
OWN_ORGANIZATION = {"criteria:diagnostic_save", "api-operation-list"}
ACME_MARKERS = [b"eu-chat", b"Acme Retail", b"EU chat"]
# Signing out would end the signed-in roles' runs early (they would go on as anonymous).
SIGN_OUT = {"logout", "oidc_logout"}
WATCHED_APPS = ["accounts", "criteria", "metrics", "sampling", "knox", "auth"]


def url_patterns(patterns=None, prefix="", namespace=None):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("admin/"):
                continue  # Django's admin checks staff status itself
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern), p.namespace)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield prefix + str(p.pattern), name


def fill(route: str, fillers: dict[str, str]) -> str:
    if route.startswith("^") or "(?" in route:  # a regex catch-all: try one unknown path
        return "/api/v1/no-such-endpoint/"
    for prefix, overrides in ROUTE_FILLERS.items():
        if route.startswith(prefix):
            fillers = {**fillers, **overrides}
    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    missing = [n for n in names if n not in fillers]
    assert not missing, f"{route}: give the parameter(s) {missing} a filler in this test"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: fillers[m.group(1)], route)


def _watched_tables() -> list[str]:
    return [
        model._meta.db_table
        for app in WATCHED_APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.swapped
    ]


def fingerprint() -> str:
    """A digest of every row of the watched apps: any write changes it."""
    if connection.vendor == "postgresql":
        # One query for all tables (the matrix takes thousands of fingerprints).
        one = "SELECT '{t}' AS t, md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))"
        one += " AS h FROM {q} r"
        parts = " UNION ALL ".join(
            one.format(t=table, q=connection.ops.quote_name(table)) for table in _watched_tables()
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT string_agg(t || h, ',' ORDER BY t) FROM ({parts}) x")  # noqa: S608
            return cursor.fetchone()[0]
    digest = hashlib.sha256()
    for app in WATCHED_APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.swapped:
                continue
            for row in model.objects.order_by("pk").values_list():
                digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture
def world(personas):
    """acme with an agreed version, a comment, an alert and its review, a run, review items."""
    agree(personas)
    comment = comment_add(
        operation=personas.operation,
        membership=membership(personas.legal_lead, personas.operation),
        key="escalation_rate",
        text="Hi",
    )
    alert = make_alert(personas.operation)
    run = IngestionRun.objects.create(
        operation=personas.operation, file_name="a.csv", sha256="0" * 64, size=1
    )
    plan_set(personas.operation, 4)
    week_make(personas.operation, 8)
    sample_draw(operation=personas.operation, week=WEEK)
    item = ReviewItem.objects.filter(draw__operation=personas.operation).first()
    flag_key, _ = flag_key_create(operation=personas.operation, name="platform", actor=None)
    endpoint, _ = webhook_endpoint_create(
        operation=personas.operation,
        actor=None,
        url="https://hooks.example.com/acme",
        event_types=[],
    )
    delivery = webhook_endpoint_test(endpoint=endpoint, actor=None)
    return {
        "slug": "eu-chat",
        "number": "1",
        "key": "escalation_rate",
        "pk": str(comment.pk),
        "comment_id": str(comment.pk),
        "alert_id": str(alert.pk),
        "review_id": str(alert.review.pk),
        "run_id": str(run.pk),
        "item_id": str(item.pk),
        "case_id": "999999",  # no calibration case in this world: the 404 path
        "token_key": "stl_notmine",
        "key_id": str(flag_key.pk),
        "endpoint_id": str(endpoint.pk),
        "delivery_id": str(delivery.pk),
        "action": "pause",
        "scope": "operation",
    }


class _Crashed:
    def __init__(self, exc: Exception) -> None:
        self.status_code = 500
        self.exc = exc


# One body for every write: valid for most forms and endpoints, so that what stops a
# request is the access check, not a missing field.
BODY = {
    "key": "escalation_rate",
    "range_min": "0.1",
    "range_max": "0.3",
    "rationale": "We can defend this.",
    "text": "A comment.",
    "rule": "outside_range",
    "for_days": "3",
    "owner": "operations",
    "review_within_days": "2",
    "action": "Review it.",
    "note": "A note.",
    "reason": "A reason.",
    "decision": "continue",
    "until": "2030-01-01",
    "snooze_until": "2030-01-01",
    "meaning": "Approved",
    "printed_name": "Someone",
    "password": PASSWORD,
    "handoff_verdict": "correct_handoff",
    "acceptable": "yes",
    "resolution": "Agreed.",
    "name": "A token",
    "days": "90",
    "title": "New operation",
    "slug": "new-operation",
    "segment": "complex",
    "url": "https://hooks.example.com/stopline",
    "event_types": ["alert.opened"],
    "payload_format": "stopline",
    "description": "A receiver.",
}
# A parameter whose meaning depends on where it stands.
ROUTE_FILLERS = {"integrations/": {"action": "disable"}, "guardrails/": {"action": "pause"}}


def request(client: Client, method: str, url: str):
    try:
        if method in ("get", "options"):
            return getattr(client, method)(url)
        if url.startswith("/api/"):
            return getattr(client, method)(url, data=BODY, content_type="application/json")
        if method == "post":
            return client.post(url, data=BODY)
        return getattr(client, method)(url)
    except Exception as exc:  # noqa: BLE001 - an uncaught exception is a server error
        return _Crashed(exc)


def check(client: Client, who: str, world: dict, allowed: set[str]) -> list[str]:
    problems = []
    signed_in = "_auth_user_id" in client.session
    for (route, name), method in product(sorted(set(url_patterns())), METHODS):
        if signed_in and name in SIGN_OUT:
            continue
        url = fill(route, world)
        before = fingerprint()
        response = request(client, method, url)
        status = response.status_code
        if status >= 500:
            detail = getattr(response, "exc", "")
            problems.append(f"{who} {method.upper()} {url}: server error {status} {detail!r}")
        elif 200 <= status < 300 and name not in allowed and method != "options":
            problems.append(f"{who} {method.upper()} {url}: unexpected success {status}")
        elif 200 <= status < 300 and method == "get" and not getattr(response, "streaming", 1):
            shown = [m.decode() for m in ACME_MARKERS if m in response.content]
            if shown and name not in PUBLIC:
                problems.append(f"{who} GET {url}: shows acme's {shown}")
        if name not in OWN_ACCOUNT | OWN_ORGANIZATION | PUBLIC and fingerprint() != before:
            problems.append(f"{who} {method.upper()} {url}: wrote to the database ({status})")
    if signed_in:
        assert "_auth_user_id" in client.session, f"{who} was signed out during the run"
    return problems


def test_every_url_and_method_refuses_anonymous(world):
    assert check(Client(), "anonymous", world, PUBLIC) == []


def test_every_url_and_method_refuses_another_organization(client, personas, world):
    login(client, personas.outsider)
    assert check(client, "outsider", world, PUBLIC | OWN_ACCOUNT | OWN_ORGANIZATION) == []


def test_the_viewer_reads_but_never_writes(client, personas, world):
    login(client, personas.viewer)
    problems = []
    for (route, name), method in product(sorted(set(url_patterns())), METHODS):
        if method in ("get", "options") or name in OWN_ACCOUNT | PUBLIC | SIGN_OUT:
            continue
        url = fill(route, world)
        before = fingerprint()
        status = request(client, method, url).status_code
        if status >= 500:
            problems.append(f"viewer {method.upper()} {url}: server error {status}")
        if fingerprint() != before:
            problems.append(f"viewer {method.upper()} {url}: wrote to the database ({status})")
    assert problems == []


def test_the_matrix_covers_every_pattern(world):
    routes = list(url_patterns())
    assert len(routes) > 60
    for route, _ in routes:
        fill(route, world)  # every parameter has a filler


# What each role of acme may change (URL names); anything else it changes is a finding.
OWN = {"preferences", "tokens", "token_revoke"}
MEMBER_WRITES = OWN | {
    "api-comments",
    "criteria:comment_submit",
    "api-positions",
    "criteria:position_submit",
    "api-conversations-ingest",  # members send data files (a refused file is a run too)
    "api-daily-metrics-ingest",
    "metrics:ingest_upload",
    # The alert is owned by operations, this member's department: its members act on it.
    "api-alert-acknowledge",
    "api-alert-snooze",
    "api-alert-resolve",
    "api-review-decide",
    "metrics:alert_detail",
    "metrics:review_decide",
}
REVIEWER_WRITES = OWN | {
    "api-comments",
    "criteria:comment_submit",
    "api-review-item-next",
    "api-review-item-score",
    "sampling:next_item",
    "sampling:item",
    "sampling:skip",
    "sampling:calibration_resolve",
}
FACILITATOR_WRITES = MEMBER_WRITES | {
    "api-comment-resolve",
    "criteria:comment_resolve",
    "api-draft-target",
    "criteria:target_submit",
    "api-propose",
    "criteria:version_propose",
    "api-import",
    "criteria:criteria_upload",
    "criteria:diagnostic_save",
    # The emergency stop, OFREP keys, webhooks and sampling settings of the operation.
    "api-guardrails-pause",
    "api-guardrails-resume",
    "guardrails:stop",
    "guardrails:key_create",
    "guardrails:key_revoke",
    "outbox:webhooks",
    "outbox:webhook_action",
    "api-webhooks",
    "api-webhook",
    "api-webhook-test",
    "outbox:delivery_retry",
    "sampling:settings_plan",
    "sampling:settings_phrases",
}


@pytest.mark.parametrize(
    ("persona", "may_write"),
    [
        ("member", MEMBER_WRITES),
        ("reviewer", REVIEWER_WRITES),
        ("facilitator", FACILITATOR_WRITES),
    ],
)
def test_each_role_changes_only_what_it_may(client, personas, world, persona, may_write):
    login(client, getattr(personas, persona))
    wrote = set()
    for (route, name), method in product(sorted(set(url_patterns())), METHODS[1:5]):
        if name in SIGN_OUT:
            continue
        before = fingerprint()
        status = request(client, method, fill(route, world)).status_code
        assert status < 500, f"{persona} {method.upper()} {route}: server error {status}"
        if fingerprint() != before:
            wrote.add(name)
    assert wrote - may_write == set()
    assert wrote, "the body reached no write at all: the matrix would prove nothing"
