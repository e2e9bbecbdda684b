"""The criteria REST API (/api/v1/): permissions per persona, sign-off rules, import/export."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.access import membership_get
from accounts.views import SESSION_AUTH_AT
from criteria.models import AuditEvent, Comment, CriteriaVersion, IndicatorTarget, Position
from criteria.services import (
    comment_add,
    operation_create,
    position_propose,
    target_set,
    version_latest,
    version_propose,
    version_sign,
)
from tests.conftest import PASSWORD, api_token

API = "/api/v1/operations"
SIGNATORIES = ["ops_lead", "legal_lead", "cx_lead", "finance_lead"]


def _m(personas, name: str):
    return membership_get(getattr(personas, name), personas.org)


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def fresh_session_client(user) -> APIClient:
    """A session whose login just happened, as accounts' login view records it."""
    client = client_for(user)
    session = client.session
    session[SESSION_AUTH_AT] = timezone.now().timestamp()
    session.save()
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def propose(personas) -> CriteriaVersion:
    return version_propose(operation=personas.operation, membership=_m(personas, "facilitator"))


def sign_body(version: CriteriaVersion, **extra: Any) -> dict[str, Any]:
    return {"content_hash": version.content_hash, "password": PASSWORD, **extra}


def valid_document(slug: str = "eu-chat", fcr_min: float = 0.9) -> dict[str, Any]:
    return {
        "operation": slug,
        "title": "EU chat",
        "timezone": "Europe/Stockholm",
        "indicators": [
            {
                "key": "escalation_rate",
                "range": {"min": 0.1, "max": 0.3},
                "trigger": {
                    "rule": "outside_range",
                    "for_days": 3,
                    "owner": "operations",
                    "review_within_days": 2,
                    "action": "Ops review.",
                },
            },
            {
                "key": "fcr_simple",
                "range": {"min": fcr_min},
                "trigger": {
                    "rule": "outside_range",
                    "window_days": 7,
                    "owner": "cx",
                    "review_within_days": 5,
                    "action": "CX review.",
                },
            },
            {
                "key": "fcr_complex",
                "range": {"min": 0.5},
                "trigger": {
                    "rule": "change_detected",
                    "owner": "cx",
                    "review_within_days": 3,
                    "action": "Senior review.",
                },
            },
            {
                "key": "review_score",
                "range": {"min": 0.8},
                "sampling": {"per_week": 50, "complex_share": 0.6},
                "trigger": {
                    "rule": "outside_range",
                    "window_days": 14,
                    "owner": "legal",
                    "review_within_days": 5,
                    "action": "Decision meeting.",
                },
            },
        ],
    }


# --- The permission matrix -------------------------------------------------------------------


@dataclass
class Endpoint:
    method: str
    path: str  # formatted with {slug}, {n} (the proposed version) and {comment}
    body: Callable[[Any, CriteriaVersion], dict[str, Any]] | None = None
    # Expected status per persona; anonymous always 401 and the outsider always 404 unless set.
    expected: dict[str, int] = field(default_factory=dict)
    before: Callable[[Any], None] | None = None
    fmt: str = "json"


READ = dict.fromkeys(["facilitator", "ops_lead", "member", "legal_lead", "viewer"], 200)
# Everyone but the facilitator is refused; each endpoint adds the facilitator's success.
FACILITATOR_ONLY = dict.fromkeys(["ops_lead", "member", "legal_lead", "viewer"], 403)


def _draft_body(personas, version):
    return {"range_min": "0.12", "range_max": "0.3"}


def _reopen_draft(personas) -> None:
    target_set(
        operation=personas.operation,
        membership=_m(personas, "facilitator"),
        key="fcr_simple",
        values={"range_min": "0.9"},
    )


ENDPOINTS = {
    "operation_list": Endpoint("get", "/api/v1/operations/", expected={**READ, "outsider": 200}),
    "operation_detail": Endpoint("get", "{base}/", expected=READ),
    "version_list": Endpoint("get", "{base}/versions/", expected=READ),
    "version_detail": Endpoint("get", "{base}/versions/{n}/", expected=READ),
    "version_export": Endpoint("get", "{base}/versions/{n}/export/", expected=READ),
    "signature_list": Endpoint("get", "{base}/versions/{n}/signatures/", expected=READ),
    "position_list": Endpoint("get", "{base}/positions/", expected=READ),
    "comment_list": Endpoint("get", "{base}/comments/", expected=READ),
    "audit_list": Endpoint("get", "{base}/audit/", expected=READ),
    "import": Endpoint(
        "post",
        "{base}/import/",
        body=lambda p, v: valid_document(),
        expected={**FACILITATOR_ONLY, "facilitator": 201},
    ),
    "draft_put": Endpoint(
        "put",
        "{base}/draft/escalation_rate/",
        body=_draft_body,
        expected={**FACILITATOR_ONLY, "facilitator": 200},
    ),
    "draft_patch": Endpoint(
        "patch",
        "{base}/draft/escalation_rate/",
        body=lambda p, v: {"range_min": "0.12"},
        expected={**FACILITATOR_ONLY, "facilitator": 200},
    ),
    "propose": Endpoint(
        "post",
        "{base}/propose/",
        before=_reopen_draft,
        expected={**FACILITATOR_ONLY, "facilitator": 200},
    ),
    "position_create": Endpoint(
        "post",
        "{base}/positions/",
        body=lambda p, v: {"key": "fcr_simple", "range_min": 0.8, "rationale": "Costs."},
        expected={"facilitator": 201, "ops_lead": 201, "member": 201, "legal_lead": 201}
        | {"viewer": 403},
    ),
    "comment_create": Endpoint(
        "post",
        "{base}/comments/",
        body=lambda p, v: {"key": "fcr_simple", "text": "Too strict?"},
        expected={"facilitator": 201, "ops_lead": 201, "member": 201, "legal_lead": 201}
        | {"viewer": 403},
    ),
    # The comment is the member's: its author and the facilitator may resolve it.
    "comment_resolve": Endpoint(
        "post",
        "{base}/comments/{comment}/resolve/",
        expected={"facilitator": 200, "ops_lead": 403, "member": 200, "legal_lead": 403}
        | {"viewer": 403},
    ),
    # Signing for operations: only its signatory may; legal's signatory is refused.
    "sign_for_operations": Endpoint(
        "post",
        "{base}/versions/{n}/signatures/",
        body=lambda p, v: sign_body(v, department="operations", meaning="Approved for Ops"),
        expected={"facilitator": 403, "ops_lead": 201, "member": 403, "legal_lead": 403}
        | {"viewer": 403},
    ),
}
PERSONAS = ["facilitator", "ops_lead", "member", "legal_lead", "viewer", "outsider", "anonymous"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_permission_matrix(personas, name, persona):
    endpoint = ENDPOINTS[name]
    version = propose(personas)
    comment = comment_add(
        operation=personas.operation,
        membership=_m(personas, "member"),
        key="fcr_simple",
        text="Is 80 % enough?",
    )
    if endpoint.before:
        endpoint.before(personas)
    path = endpoint.path.format(base=f"{API}/eu-chat", n=version.number, comment=comment.pk)
    body = endpoint.body(personas, version) if endpoint.body else None
    user = None if persona == "anonymous" else getattr(personas, persona)
    audit_before = AuditEvent.objects.count()

    response = getattr(client_for(user), endpoint.method)(path, body, format=endpoint.fmt)

    if persona == "anonymous":
        expected = 401
    elif persona == "outsider":
        expected = endpoint.expected.get("outsider", 404)
    else:
        expected = endpoint.expected[persona]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert "error" in response.json()
        assert AuditEvent.objects.count() == audit_before, "a refused request wrote something"
    if persona == "outsider":
        assert b"eu-chat" not in response.content


def test_outsider_does_not_see_other_organizations_in_the_list(personas):
    response = client_for(personas.outsider).get(f"{API}/")
    assert [o["slug"] for o in response.json()["results"]] == ["rival-chat"]
    response = client_for(personas.viewer).get(f"{API}/")
    assert [o["slug"] for o in response.json()["results"]] == ["eu-chat"]


def test_reading_another_organizations_operation_answers_404(personas):
    client = client_for(personas.facilitator)
    for path in ["/", "/versions/", "/versions/1/", "/versions/1/export/", "/audit/"]:
        response = client.get(f"{API}/rival-chat{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["message"]
        assert b"rival" not in response.content


def test_resolving_a_comment_of_another_operation_answers_404(personas):
    second = operation_create(organization=personas.org, slug="eu-mail", title="EU mail")
    comment = comment_add(
        operation=second, membership=_m(personas, "member"), key="fcr_simple", text="Hm."
    )
    response = client_for(personas.facilitator).post(
        f"{API}/eu-chat/comments/{comment.pk}/resolve/"
    )
    assert response.status_code == 404
    comment.refresh_from_db()
    assert comment.resolved_at is None


def test_session_writes_need_the_csrf_token(personas):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.member)
    response = client.post(
        f"{API}/eu-chat/comments/", {"key": "fcr_simple", "text": "Hi"}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("path", ["/", "/versions/", "/comments/", "/propose/", "/import/"])
def test_a_browser_gets_json_not_an_error_page(personas, path):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client_for(personas.viewer).get(f"{API}/eu-chat{path}", HTTP_ACCEPT=browser_accept)
    assert response.status_code in (200, 405)
    assert response["Content-Type"] == "application/json"
    assert response.json()


def test_anonymous_gets_401_with_a_token_challenge(personas):
    response = APIClient().get(f"{API}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert response.json()["error"]["code"] == "not_authenticated"


# --- Reading -----------------------------------------------------------------------------------


def test_operation_turns_ready_when_all_four_sign_and_stays_ready_while_amended(personas):
    client = client_for(personas.viewer)
    detail = client.get(f"{API}/eu-chat/").json()
    assert detail["ready_for_go_live"] is False
    assert detail["latest_version"] == 1 and detail["version_in_force"] is None

    version = propose(personas)
    for name in SIGNATORIES:
        response = fresh_session_client(getattr(personas, name)).post(
            f"{API}/eu-chat/versions/1/signatures/",
            {"content_hash": version.content_hash},
            format="json",
        )
        assert response.status_code == 201, response.content
    detail = client.get(f"{API}/eu-chat/").json()
    assert detail["ready_for_go_live"] is True
    assert detail["latest_version_status"] == "agreed" and detail["version_in_force"] == 1

    response = client_for(personas.facilitator).patch(
        f"{API}/eu-chat/draft/escalation_rate/", {"range_max": 0.2}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["changed"] is True
    detail = client.get(f"{API}/eu-chat/").json()
    # Version 1 stays agreed and in force while version 2 is drafted.
    assert detail["ready_for_go_live"] is True
    assert detail["latest_version"] == 2 and detail["latest_version_status"] == "draft"
    assert detail["version_in_force"] == 1
    listed = client.get(f"{API}/").json()["results"][0]
    assert listed["ready_for_go_live"] is True and listed["version_in_force"] == 1


def test_version_detail_shows_targets_in_order_status_hash_and_signatures(personas):
    version = propose(personas)
    version_sign(
        operation=personas.operation,
        membership=_m(personas, "legal_lead"),
        number=1,
        content_hash=version.content_hash,
        fresh_login=True,
    )
    data = client_for(personas.viewer).get(f"{API}/eu-chat/versions/1/").json()
    assert data["status"] == "proposed"
    assert data["content_hash"] == version.content_hash
    assert [t["key"] for t in data["targets"]] == [
        "escalation_rate",
        "fcr_simple",
        "fcr_complex",
        "review_score",
    ]
    escalation = data["targets"][0]
    assert escalation["range_min"] == 0.08 and escalation["range_max"] == 0.25
    assert escalation["owner"] == "operations" and escalation["for_days"] == 3
    assert data["signatures"] == [
        {
            "department": "legal",
            "user": "legal_lead",
            "printed_name": "Legal_Lead Name",
            "meaning": "Approved for Legal",
            "signed_at": data["signatures"][0]["signed_at"],
            "content_hash": version.content_hash,
        }
    ]
    listed = client_for(personas.viewer).get(f"{API}/eu-chat/versions/1/signatures/").json()
    assert [s["department"] for s in listed] == ["legal"]


def test_unknown_version_and_unknown_indicator_answer_404(personas):
    client = client_for(personas.facilitator)
    assert client.get(f"{API}/eu-chat/versions/9/").status_code == 404
    response = client.put(f"{API}/eu-chat/draft/nps/", {"range_min": 0.5}, format="json")
    assert response.status_code == 404


# --- Draft editing, positions, comments ----------------------------------------------------


def test_put_without_a_change_keeps_the_version_and_its_signatures(personas):
    version = propose(personas)
    version_sign(
        operation=personas.operation,
        membership=_m(personas, "cx_lead"),
        number=1,
        content_hash=version.content_hash,
        fresh_login=True,
    )
    response = client_for(personas.facilitator).put(
        f"{API}/eu-chat/draft/escalation_rate/",
        {"range_min": 0.08, "range_max": 0.25},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["changed"] is False
    assert response.json()["version"]["number"] == 1
    assert len(response.json()["version"]["signatures"]) == 1


def test_patch_keeps_the_other_bound_and_put_replaces_the_range(personas):
    client = client_for(personas.facilitator)
    response = client.patch(
        f"{API}/eu-chat/draft/escalation_rate/", {"range_max": 0.3}, format="json"
    )
    target = response.json()["version"]["targets"][0]
    assert (target["range_min"], target["range_max"]) == (0.08, 0.3)
    response = client.put(
        f"{API}/eu-chat/draft/escalation_rate/", {"range_min": 0.1}, format="json"
    )
    target = response.json()["version"]["targets"][0]
    assert (target["range_min"], target["range_max"]) == (0.1, None)
    assert target["rule"] == "outside_range" and target["for_days"] == 3


def test_draft_validation_errors_name_the_field_and_change_nothing(personas):
    before = version_latest(personas.operation).content_hash
    client = client_for(personas.facilitator)
    response = client.put(
        f"{API}/eu-chat/draft/escalation_rate/",
        {"range_min": 0.3, "range_max": 0.1},
        format="json",
    )
    assert response.status_code == 400
    assert "escalation_rate.range.max" in response.json()["error"]["fields"]
    response = client.patch(
        f"{API}/eu-chat/draft/escalation_rate/", {"range_min": "lots"}, format="json"
    )
    assert response.status_code == 400
    assert "range_min" in response.json()["error"]["fields"]
    assert version_latest(personas.operation).content_hash == before


def test_propose_without_a_draft_conflicts(personas):
    propose(personas)
    response = client_for(personas.facilitator).post(f"{API}/eu-chat/propose/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_position_is_stored_for_the_posters_department(personas):
    response = client_for(personas.legal_lead).post(
        f"{API}/eu-chat/positions/",
        {"key": "fcr_complex", "range_min": 0.6, "range_max": 0.9, "rationale": "Risk."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["department"] == "legal"
    position = Position.objects.get()
    assert (str(position.range_min), position.department.key) == ("0.6000", "legal")
    listed = client_for(personas.viewer).get(f"{API}/eu-chat/positions/").json()
    assert [(p["department"], p["key"], p["range_min"]) for p in listed] == [
        ("legal", "fcr_complex", 0.6)
    ]


def test_position_out_of_range_is_rejected_naming_the_field(personas):
    response = client_for(personas.member).post(
        f"{API}/eu-chat/positions/",
        {"key": "fcr_simple", "range_min": 85, "rationale": "Percent, oops."},
        format="json",
    )
    assert response.status_code == 400
    assert "range_min" in response.json()["error"]["fields"]
    assert not Position.objects.exists()


def test_comment_then_resolve(personas):
    client = client_for(personas.member)
    created = client.post(
        f"{API}/eu-chat/comments/", {"key": "review_score", "text": "Who samples?"}, format="json"
    ).json()
    assert created["author"] == "ops_member" and created["resolved_at"] is None
    resolved = client_for(personas.facilitator).post(
        f"{API}/eu-chat/comments/{created['id']}/resolve/"
    )
    assert resolved.status_code == 200
    assert resolved.json()["resolved_by"] == "facilitator"
    listed = client_for(personas.viewer).get(f"{API}/eu-chat/comments/").json()
    assert listed["count"] == 1 and listed["results"][0]["resolved_at"] is not None


def test_audit_lists_who_did_what_newest_first(personas):
    propose(personas)
    data = client_for(personas.viewer).get(f"{API}/eu-chat/audit/").json()
    assert [e["action"] for e in data["results"]] == ["version_proposed", "operation_created"]
    assert data["results"][0]["actor"] == "facilitator"


# --- Signing -----------------------------------------------------------------------------------


def test_signing_for_a_department_that_is_not_yours_is_forbidden(personas):
    version = propose(personas)
    response = fresh_session_client(personas.legal_lead).post(
        f"{API}/eu-chat/versions/1/signatures/",
        {"content_hash": version.content_hash, "department": "finance"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not version.signatures.exists()


def test_signing_an_outdated_version_conflicts_and_saves_nothing(personas):
    version = propose(personas)
    _reopen_draft(personas)
    response = fresh_session_client(personas.legal_lead).post(
        f"{API}/eu-chat/versions/1/signatures/", sign_body(version), format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert not version.signatures.exists()


def test_signing_with_a_stale_hash_conflicts(personas):
    propose(personas)
    response = fresh_session_client(personas.legal_lead).post(
        f"{API}/eu-chat/versions/1/signatures/", {"content_hash": "0" * 64}, format="json"
    )
    assert response.status_code == 409
    assert not CriteriaVersion.objects.get(operation=personas.operation).signatures.exists()


def test_token_auth_reads_and_signs_with_the_password(personas):
    version = propose(personas)
    client = token_client(personas.legal_lead)
    assert client.get(f"{API}/eu-chat/").status_code == 200
    response = client.post(
        f"{API}/eu-chat/versions/1/signatures/", sign_body(version), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["department"] == "legal"


def test_token_auth_without_password_needs_reauth_and_saves_nothing(personas):
    version = propose(personas)
    client = token_client(personas.legal_lead)
    response = client.post(
        f"{API}/eu-chat/versions/1/signatures/",
        {"content_hash": version.content_hash},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauth_required"
    assert response.json()["error"]["fields"] == {"password": "required"}
    response = client.post(
        f"{API}/eu-chat/versions/1/signatures/",
        {"content_hash": version.content_hash, "password": "wrong"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["fields"] == {"password": "incorrect"}
    assert not version.signatures.exists()


def test_a_fresh_session_signs_without_password_an_old_one_does_not(personas, settings):
    version = propose(personas)
    fresh = fresh_session_client(personas.cx_lead)
    response = fresh.post(
        f"{API}/eu-chat/versions/1/signatures/",
        {"content_hash": version.content_hash},
        format="json",
    )
    assert response.status_code == 201

    old = client_for(personas.legal_lead)
    session = old.session
    stale = timezone.now().timestamp() - settings.STOPLINE_SIGN_REAUTH_SECONDS - 60
    session[SESSION_AUTH_AT] = stale
    session.save()
    response = old.post(
        f"{API}/eu-chat/versions/1/signatures/",
        {"content_hash": version.content_hash},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauth_required"
    assert list(version.signatures.values_list("department__key", flat=True)) == ["cx"]


def test_signing_twice_for_the_same_department_conflicts(personas):
    version = propose(personas)
    client = fresh_session_client(personas.legal_lead)
    path = f"{API}/eu-chat/versions/1/signatures/"
    assert client.post(path, sign_body(version), format="json").status_code == 201
    response = client.post(path, sign_body(version), format="json")
    assert response.status_code == 409
    assert version.signatures.count() == 1


def test_sign_body_shape_is_checked(personas):
    propose(personas)
    response = fresh_session_client(personas.legal_lead).post(
        f"{API}/eu-chat/versions/1/signatures/", {"meaning": "ok"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "content_hash" in response.json()["error"]["fields"]


# --- Import and export -------------------------------------------------------------------------


def _counts() -> tuple[int, int, int]:
    return (
        CriteriaVersion.objects.count(),
        IndicatorTarget.objects.count(),
        AuditEvent.objects.count(),
    )


def test_export_is_yaml_of_the_version(personas):
    response = client_for(personas.viewer).get(f"{API}/eu-chat/versions/1/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/yaml")
    assert 'filename="eu-chat-v1.yaml"' in response["Content-Disposition"]
    doc = yaml.safe_load(response.content)
    assert doc["operation"] == "eu-chat"
    assert doc["indicators"][0]["range"] == {"min": 0.08, "max": 0.25}
    response = client_for(personas.viewer).get(
        f"{API}/eu-chat/versions/1/export/", HTTP_ACCEPT="text/yaml"
    )
    assert response.status_code == 200


def test_export_then_import_round_trips(personas):
    version = propose(personas)
    for name in SIGNATORIES:
        version_sign(
            operation=personas.operation,
            membership=_m(personas, name),
            number=1,
            content_hash=version.content_hash,
            fresh_login=True,
        )
    client = client_for(personas.facilitator)
    exported = client.get(f"{API}/eu-chat/versions/1/export/").content
    assert len(yaml.safe_load(exported)["signatures"]) == 4
    response = client.post(f"{API}/eu-chat/import/", exported, content_type="application/yaml")
    assert response.status_code == 201, response.content
    imported = response.json()
    assert imported["number"] == 2 and imported["status"] == "draft"
    assert imported["signatures"] == []
    first = CriteriaVersion.objects.get(operation=personas.operation, number=1)
    assert imported["content_hash"] == first.content_hash
    again = client.get(f"{API}/eu-chat/versions/2/export/").content
    # The signatures stay with version 1: an import never signs.
    strip = {"version", "status", "content_sha256", "signatures"}
    assert {k: v for k, v in yaml.safe_load(again).items() if k not in strip} == {
        k: v for k, v in yaml.safe_load(exported).items() if k not in strip
    }


def test_import_accepts_json_body_and_a_file_upload(personas):
    client = client_for(personas.facilitator)
    response = client.post(
        f"{API}/eu-chat/import/", json.dumps(valid_document()), content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["targets"][1]["range_min"] == 0.9
    upload = SimpleUploadedFile(
        "criteria.yaml", yaml.safe_dump(valid_document(fcr_min=0.95)).encode(), "text/yaml"
    )
    response = client.post(f"{API}/eu-chat/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["targets"][1]["range_min"] == 0.95
    # Each import is a new draft version (FORMATS.md §3); nothing is signed.
    assert response.json()["number"] == 3 and response.json()["status"] == "draft"
    assert response.json()["signatures"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["indicators"][0]["range"].update(max=0.05), "indicators[0].range.max"),
        (lambda d: d["indicators"][1]["range"].update(min=1.5), "indicators[1].range.min"),
        (lambda d: d["indicators"][2].update(key="nps"), "indicators[2].key"),
        (
            lambda d: d["indicators"][3]["trigger"].update(rule="often"),
            "indicators[3].trigger.rule",
        ),
        (lambda d: d.update(operation="rival-chat"), "operation"),
    ],
    ids=["max-below-min", "not-a-fraction", "unknown-indicator", "unknown-rule", "other-slug"],
)
def test_import_validation_error_names_the_field_and_writes_nothing(personas, change, field):
    propose(personas)
    doc = valid_document()
    change(doc)
    before = _counts()
    response = client_for(personas.facilitator).post(
        f"{API}/eu-chat/import/", yaml.safe_dump(doc), content_type="text/yaml"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"]
    assert field in error["message"]
    assert _counts() == before


def test_import_of_malformed_yaml_or_empty_body_says_what_is_wrong(personas):
    client = client_for(personas.facilitator)
    before = _counts()
    response = client.post(
        f"{API}/eu-chat/import/", "operation: [unclosed", content_type="application/yaml"
    )
    assert response.status_code == 400
    assert "not valid YAML" in response.json()["error"]["message"]
    response = client.post(f"{API}/eu-chat/import/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": "required"}
    assert _counts() == before


# --- Query counts ------------------------------------------------------------------------------


def _add_rows(personas, n: int) -> None:
    """n more operations, versions, signatures, positions, comments and audit events."""
    for i in range(n):
        operation_create(organization=personas.org, slug=f"op-{n}-{i}", title=f"Op {i}")
    fac = _m(personas, "facilitator")
    for i in range(n):
        version = version_propose(operation=personas.operation, membership=fac)
        version_sign(
            operation=personas.operation,
            membership=_m(personas, SIGNATORIES[i % 4]),
            number=version.number,
            content_hash=version.content_hash,
            fresh_login=True,
        )
        target_set(
            operation=personas.operation,
            membership=fac,
            key="fcr_simple",
            # Every round a new value, so every round opens a new draft.
            values={"range_min": f"0.{50 + Comment.objects.count()}"},
        )
        comment_add(operation=personas.operation, membership=fac, key="fcr_simple", text=f"c{i}")
    for name in SIGNATORIES:
        position_propose(
            operation=personas.operation,
            membership=_m(personas, name),
            key="fcr_simple",
            range_min="0.7",
            range_max=None,
            rationale="Because.",
        )


LIST_PATHS = [
    "/api/v1/operations/",
    f"{API}/eu-chat/versions/",
    f"{API}/eu-chat/positions/",
    f"{API}/eu-chat/comments/",
    f"{API}/eu-chat/audit/",
]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_queries_do_not_grow_with_rows(personas, path, django_assert_max_num_queries):
    client = client_for(personas.viewer)
    _add_rows(personas, 2)
    with django_assert_max_num_queries(12) as few:
        assert client.get(path).status_code == 200
    _add_rows(personas, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(path)
    assert response.status_code == 200
