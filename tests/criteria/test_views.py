"""HTML views: the permission matrix and the behaviour people see on the pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.access import membership_get
from accounts.views import SESSION_AUTH_AT
from criteria.models import Comment, CriteriaVersion, Position
from criteria.services import comment_add, version_propose
from tests.conftest import PASSWORD

PERSONAS = ["facilitator", "member", "legal_lead", "viewer", "outsider", "anonymous"]


def login(client, user, *, fresh=True):
    client.force_login(user)
    if fresh:
        session = client.session
        session[SESSION_AUTH_AT] = timezone.now().timestamp()
        session.save()


def as_persona(client, personas, name):
    if name != "anonymous":
        login(client, getattr(personas, name))


GET_PAGES = [
    ("criteria:operation_detail", lambda p: [p.operation.slug]),
    ("criteria:board", lambda p: [p.operation.slug]),
    ("criteria:version_list", lambda p: [p.operation.slug]),
    ("criteria:version_detail", lambda p: [p.operation.slug, 1]),
    ("criteria:version_compare", lambda p: [p.operation.slug]),
    ("criteria:audit", lambda p: [p.operation.slug]),
    ("criteria:version_yaml", lambda p: [p.operation.slug, 1]),
    ("criteria:version_pdf", lambda p: [p.operation.slug, 1]),
]


@pytest.mark.parametrize("page,args", GET_PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_read_pages_matrix(client, personas, page, args, persona):
    as_persona(client, personas, persona)
    response = client.get(reverse(page, args=args(personas)))
    expected = {"outsider": 404, "anonymous": 302}.get(persona, 200)
    assert response.status_code == expected
    if persona == "anonymous":
        assert reverse("login") in response["Location"]


def test_operation_list_shows_only_own_organization(client, personas):
    login(client, personas.viewer)
    body = client.get(reverse("criteria:operation_list")).content.decode()
    assert personas.operation.title in body
    assert personas.other_operation.title not in body


def test_other_organizations_operation_is_404_even_for_its_slug(client, personas):
    login(client, personas.facilitator)
    url = reverse("criteria:board", args=[personas.other_operation.slug])
    assert client.get(url).status_code == 404


# (url name, args, data, expected per persona)
def _writes(p):
    slug = p.operation.slug
    return {
        "position": (
            reverse("criteria:position_submit", args=[slug, "escalation_rate"]),
            {"min": "10", "max": "20", "rationale": "We can staff it."},
            {"facilitator": 302, "member": 302, "legal_lead": 302, "viewer": 403},
        ),
        "comment": (
            reverse("criteria:comment_submit", args=[slug, "fcr_complex"]),
            {"text": "Complex FCR must not be blended."},
            {"facilitator": 302, "member": 302, "legal_lead": 302, "viewer": 403},
        ),
        "target": (
            reverse("criteria:target_submit", args=[slug, "escalation_rate"]),
            {
                "min": "9",
                "max": "24",
                "rule": "outside_range",
                "for_days": "3",
                "owner": "operations",
                "review_within_days": "2",
                "action": "Review.",
            },
            {"facilitator": 302, "member": 403, "legal_lead": 403, "viewer": 403},
        ),
        "propose": (
            reverse("criteria:version_propose", args=[slug]),
            {},
            {"facilitator": 302, "member": 403, "legal_lead": 403, "viewer": 403},
        ),
    }


@pytest.mark.parametrize("action", ["position", "comment", "target", "propose"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_write_matrix(client, personas, action, persona):
    url, data, expected = _writes(personas)[action]
    as_persona(client, personas, persona)
    before = (
        Position.objects.count(),
        Comment.objects.count(),
        CriteriaVersion.objects.filter(status="draft").count(),
    )
    response = client.post(url, data)
    want = {"outsider": 404, "anonymous": 302}.get(persona) or expected[persona]
    assert response.status_code == want
    after = (
        Position.objects.count(),
        Comment.objects.count(),
        CriteriaVersion.objects.filter(status="draft").count(),
    )
    if want != 302 or persona == "anonymous":
        assert before == after, "a refused write must change nothing"


def _proposed(personas):
    return version_propose(
        operation=personas.operation, membership=membership_get(personas.facilitator, personas.org)
    )


@pytest.mark.parametrize(
    "persona,department,expected",
    [
        ("ops_lead", "", 302),
        ("ops_lead", "operations", 302),
        ("legal_lead", "operations", 403),  # signing for a department that is not yours
        ("member", "", 403),  # operations member, not its signatory
        ("facilitator", "", 403),
        ("viewer", "", 403),
        ("outsider", "", 404),
        ("anonymous", "", 302),
    ],
)
def test_sign_matrix(client, personas, persona, department, expected):
    version = _proposed(personas)
    as_persona(client, personas, persona)
    url = reverse("criteria:version_sign", args=[personas.operation.slug, version.number])
    response = client.post(url, {"content_hash": version.content_hash, "department": department})
    assert response.status_code == expected
    signed = version.signatures.count()
    assert signed == (1 if persona == "ops_lead" else 0)


def test_sign_outdated_version_answers_conflict(client, personas):
    version = _proposed(personas)
    login(client, personas.facilitator)
    client.post(
        reverse("criteria:target_submit", args=[personas.operation.slug, "fcr_simple"]),
        {
            "min": "90",
            "rule": "outside_range",
            "window_days": "7",
            "owner": "cx",
            "review_within_days": "5",
        },
    )
    login(client, personas.legal_lead)
    response = client.post(
        reverse("criteria:version_sign", args=[personas.operation.slug, version.number]),
        {"content_hash": version.content_hash},
    )
    assert response.status_code == 409
    assert "outdated" in response.content.decode()
    assert version.signatures.count() == 0


def test_sign_with_old_login_asks_for_password(client, personas, time_machine):
    version = _proposed(personas)
    login(client, personas.cx_lead)
    time_machine.move_to(timezone.now() + timezone.timedelta(minutes=16))
    board = client.get(reverse("criteria:board", args=[personas.operation.slug]))
    assert 'name="password"' in board.content.decode()
    url = reverse("criteria:version_sign", args=[personas.operation.slug, version.number])
    refused = client.post(url, {"content_hash": version.content_hash})
    assert refused.status_code == 403 and version.signatures.count() == 0
    accepted = client.post(url, {"content_hash": version.content_hash, "password": PASSWORD})
    assert accepted.status_code == 302 and version.signatures.count() == 1


def test_board_shows_positions_overlap_and_no_overlap(client, personas):
    login(client, personas.legal_lead)
    slug = personas.operation.slug
    client.post(
        reverse("criteria:position_submit", args=[slug, "escalation_rate"]),
        {"min": "10", "max": "30", "rationale": "Disputes need people."},
    )
    login(client, personas.finance_lead)
    client.post(
        reverse("criteria:position_submit", args=[slug, "escalation_rate"]),
        {"max": "18", "rationale": "Business case."},
    )
    client.post(
        reverse("criteria:position_submit", args=[slug, "fcr_complex"]),
        {"max": "40", "rationale": "Cheap."},
    )
    login(client, personas.cx_lead)
    client.post(
        reverse("criteria:position_submit", args=[slug, "fcr_complex"]),
        {"min": "60", "rationale": "Complex customers come back."},
    )
    body = client.get(reverse("criteria:board", args=[slug])).content.decode()
    assert "10\xa0%–18\xa0%" in body  # the overlap of 10-30 and <=18
    assert "No overlap" in body  # fcr_complex: <=40 against >=60
    assert "Disputes need people." in body
    # The draft (8-25 %) reaches beyond the 10-18 % overlap.
    assert 'data-warning="draft-outside-overlap"' in body
    # The bars are drawn without inline styles (the CSP allows none): SVG rectangles in percent.
    assert 'style="' not in body
    assert '<rect class="bar zone" x="10.0" y="1.3" width="8.0" height="7.4">' in body
    assert '<rect class="bar" x="10.0" y="1.3" width="20.0" height="7.4"><title>' in body


def test_board_fragment_for_htmx_polling_is_out_of_band(client, personas):
    login(client, personas.viewer)
    comment_add(
        operation=personas.operation,
        membership=membership_get(personas.cx_lead, personas.org),
        key="review_score",
        text="Read the missed handoffs weekly.",
    )
    response = client.get(
        reverse("criteria:board", args=[personas.operation.slug]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'hx-swap-oob="true"' in body
    assert "Read the missed handoffs weekly." in body
    assert 'id="signoff"' in body


def test_bad_range_on_form_gives_message_not_500(client, personas):
    login(client, personas.legal_lead)
    slug = personas.operation.slug
    response = client.post(
        reverse("criteria:position_submit", args=[slug, "escalation_rate"]),
        {"min": "40", "max": "10", "rationale": "x"},
        follow=True,
    )
    assert response.status_code == 200
    assert "below" in response.content.decode()
    response = client.post(
        reverse("criteria:position_submit", args=[slug, "escalation_rate"]),
        {"min": "abc", "rationale": "x"},
        follow=True,
    )
    assert "not a number" in response.content.decode() or "expected a fraction" in (
        response.content.decode()
    )
    assert Position.objects.count() == 0


def test_compare_shows_changed_fields(client, personas):
    _proposed(personas)
    login(client, personas.facilitator)
    slug = personas.operation.slug
    client.post(
        reverse("criteria:target_submit", args=[slug, "escalation_rate"]),
        {
            "min": "12",
            "max": "25",
            "rule": "outside_range",
            "for_days": "3",
            "owner": "operations",
            "review_within_days": "2",
            "action": "Operations and CX review the handoff path.",
        },
    )
    body = client.get(
        reverse("criteria:version_compare", args=[slug]), {"from": 1, "to": 2}
    ).content.decode()
    assert "range.min" in body and "0.0800" in body and "0.1200" in body


def test_upload_yaml_creates_draft_and_rejects_bad_file(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, personas.facilitator)
    url = reverse("criteria:criteria_upload", args=[personas.operation.slug])
    good = client.get(reverse("criteria:version_yaml", args=[personas.operation.slug, 1]))
    text = good.content.decode().replace("min: 0.08", "min: 0.11")
    before = CriteriaVersion.objects.count()
    ok = client.post(url, {"file": SimpleUploadedFile("c.yaml", text.encode())}, follow=True)
    assert "Imported as draft version 2" in ok.content.decode()
    assert CriteriaVersion.objects.count() == before + 1
    bad = text.replace("key: fcr_simple", "key: fcr_blended")
    response = client.post(url, {"file": SimpleUploadedFile("c.yaml", bad.encode())}, follow=True)
    assert "indicators[1].key" in response.content.decode()
    assert CriteriaVersion.objects.count() == before + 1  # the bad file wrote nothing


def test_review_queue_link_only_for_senior_reviewers(client, personas):
    url = reverse("criteria:operation_detail", args=[personas.operation.slug])
    queue = reverse("sampling:queue", args=[personas.operation.slug])
    login(client, personas.reviewer)
    assert queue in client.get(url).content.decode()
    login(client, personas.facilitator)
    assert queue not in client.get(url).content.decode()
