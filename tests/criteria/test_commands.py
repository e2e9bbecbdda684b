"""Criteria as code on the command line: import_criteria and export_criteria."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Organization
from criteria.models import AuditEvent, CriteriaVersion, IndicatorTarget, Operation, Signature
from tests.criteria.signing import agree

DOCUMENT = """\
operation: eu-retail-chat
title: AI tier-1 chat, EU retail
timezone: Europe/Stockholm
go_live: 2025-01-15
indicators:
  - key: escalation_rate            # human-escalation rate, all conversations
    range: {min: 0.08, max: 0.25}
    trigger:
      rule: outside_range
      for_days: 3
      owner: operations
      review_within_days: 2
      action: Ops and CX review; if below min for 5 days, route complex tier to humans.
  - key: fcr_simple
    range: {min: 0.85}
    trigger: {rule: outside_range, window_days: 7, owner: cx, review_within_days: 5,
              action: CX reviews the top failing topics.}
  - key: fcr_complex
    range: {min: 0.55}
    trigger: {rule: change_detected, owner: cx, review_within_days: 3,
              action: Senior review of 30 complex transcripts.}
  - key: review_score
    range: {min: 0.80}
    sampling: {per_week: 50, complex_share: 0.6}
    trigger: {rule: outside_range, window_days: 14, owner: legal, review_within_days: 5,
              action: "Decision meeting - continue, adjust or pause."}
"""


def write(tmp_path: Path, text: str, name: str = "criteria.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Organization,
            Operation,
            CriteriaVersion,
            IndicatorTarget,
            Signature,
            AuditEvent,
        )
    }


def indicators(doc: dict) -> list[dict]:
    return [
        {k: v for k, v in item.items() if k in ("key", "range", "trigger", "sampling")}
        for item in doc["indicators"]
    ]


@pytest.mark.django_db
def test_import_creates_organization_operation_and_an_unsigned_draft(tmp_path):
    out = run("import_criteria", str(write(tmp_path, DOCUMENT)), "--org", "acme-retail")

    assert out.strip() == "Imported eu-retail-chat as draft version 1"
    operation = Operation.objects.get(slug="eu-retail-chat")
    assert operation.organization.slug == "acme-retail"
    assert operation.title == "AI tier-1 chat, EU retail"
    assert str(operation.go_live) == "2025-01-15"
    version = operation.versions.get()
    assert version.status == CriteriaVersion.Status.DRAFT
    assert not version.signatures.exists()
    escalation = version.targets.get(key="escalation_rate")
    assert (float(escalation.range_min), float(escalation.range_max)) == (0.08, 0.25)
    assert escalation.owner.key == "operations"
    review = version.targets.get(key="review_score")
    assert review.action == "Decision meeting - continue, adjust or pause."
    assert review.sampling_per_week == 50


@pytest.mark.django_db
def test_export_then_import_into_a_fresh_organization_round_trips(tmp_path):
    run("import_criteria", str(write(tmp_path, DOCUMENT)), "--org", "acme-retail")
    original = Operation.objects.get(slug="eu-retail-chat").versions.get()
    exported = run("export_criteria", "eu-retail-chat")
    doc = yaml.safe_load(exported)
    assert doc["content_sha256"] == original.content_hash
    assert indicators(doc) == indicators(yaml.safe_load(DOCUMENT))

    # Operations are never deleted (their audit trail stays); free the slug for the re-import.
    Operation.objects.filter(slug="eu-retail-chat").update(slug="eu-retail-chat-old")
    run("import_criteria", str(write(tmp_path, exported, "exported.yaml")), "--org", "fresh")

    reimported = Operation.objects.get(slug="eu-retail-chat")
    assert reimported.organization.slug == "fresh"
    version = reimported.versions.get()
    assert version.content_hash == original.content_hash
    assert (
        yaml.safe_load(run("export_criteria", "eu-retail-chat"))["indicators"] == doc["indicators"]
    )


@pytest.mark.django_db
def test_json_documents_import_too(tmp_path):
    import json

    text = json.dumps(yaml.safe_load(DOCUMENT), default=str, indent="\t")
    out = run("import_criteria", str(write(tmp_path, text, "criteria.json")), "--org", "acme")

    assert "as draft version 1" in out
    assert Operation.objects.get(slug="eu-retail-chat").versions.get().targets.count() == 4


def test_exported_agreed_version_carries_signatures_and_reimports_unsigned(personas, tmp_path):
    agreed = agree(personas)
    exported = run("export_criteria", "eu-chat", "--version", str(agreed.number))
    doc = yaml.safe_load(exported)
    assert doc["status"] == "agreed"
    assert {s["department"] for s in doc["signatures"]} == {"operations", "legal", "cx", "finance"}

    out = run("import_criteria", str(write(tmp_path, exported)), "--org", "acme")

    new = personas.operation.versions.order_by("-number").first()
    assert out.strip() == f"Imported eu-chat as draft version {new.number}"
    assert new.number == agreed.number + 1
    assert new.status == CriteriaVersion.Status.DRAFT
    assert not new.signatures.exists()
    assert new.content_hash == agreed.content_hash
    agreed.refresh_from_db()
    assert agreed.is_agreed and agreed.signatures.count() == 4


def test_export_picks_the_requested_version(personas, tmp_path):
    agreed = agree(personas)
    text = DOCUMENT.replace("eu-retail-chat", "eu-chat")
    run("import_criteria", str(write(tmp_path, text)), "--org", "acme")

    old = yaml.safe_load(run("export_criteria", "eu-chat", "--version", str(agreed.number)))
    latest = yaml.safe_load(run("export_criteria", "eu-chat"))

    assert (old["version"], old["status"]) == (agreed.number, "agreed")
    assert old["indicators"][1]["range"] == {"min": 0.8}
    assert (latest["version"], latest["status"]) == (agreed.number + 1, "draft")
    assert latest["indicators"][1]["range"] == {"min": 0.85}
    assert "signatures" not in latest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-operation"], "There is no operation 'no-such-operation'"),
        (["eu-chat", "--version", "99"], "has no version 99"),
    ],
)
def test_export_of_an_unknown_operation_or_version_fails_clearly(personas, args, message):
    with pytest.raises(CommandError, match=message):
        run("export_criteria", *args)


def test_import_into_another_organizations_operation_is_refused(personas, tmp_path):
    text = DOCUMENT.replace("eu-retail-chat", "rival-chat")
    before = counts()

    with pytest.raises(CommandError, match="belongs to another organization"):
        run("import_criteria", str(write(tmp_path, text)), "--org", "acme")
    assert counts() == before


MALFORMED = [
    pytest.param(
        ("range: {min: 0.08, max: 0.25}", "range: {min: 1.5, max: 0.25}"),
        "indicators[0].range.min",
        id="min-above-one",
    ),
    pytest.param(
        ("range: {min: 0.08, max: 0.25}", "range: {min: 0.08, max: 25}"),
        "indicators[0].range.max",
        id="percent-instead-of-fraction",
    ),
    pytest.param(
        ("range: {min: 0.08, max: 0.25}", "range: {min: 0.30, max: 0.25}"),
        "indicators[0].range.max",
        id="max-below-min",
    ),
    pytest.param(
        ("range: {min: 0.08, max: 0.25}", "range: {}"), "indicators[0].range", id="no-bound"
    ),
    pytest.param(("key: fcr_simple", "key: fcr_medium"), "indicators[1].key", id="unknown-key"),
    pytest.param(
        ("rule: change_detected", "rule: gut_feeling"),
        "indicators[2].trigger.rule",
        id="unknown-rule",
    ),
    pytest.param(
        ("owner: legal", "owner: marketing"), "indicators[3].trigger.owner", id="unknown-owner"
    ),
    pytest.param(
        ("for_days: 3", "for_day: 3"), "indicators[0].trigger: unknown field", id="typo-in-field"
    ),
    pytest.param(
        ("review_within_days: 2", "review_within_days: soon"),
        "indicators[0].trigger.review_within_days",
        id="days-not-a-number",
    ),
    pytest.param(("go_live: 2025-01-15", "go_live: 2025-13-45"), "month", id="impossible-date"),
    pytest.param(
        ("operation: eu-retail-chat", "operation: EU Retail"), "operation:", id="bad-slug"
    ),
    pytest.param(
        ("indicators:\n", "indicators:\n  - key: [oops\n"), "not valid YAML at line", id="not-yaml"
    ),
    pytest.param(
        ("go_live: 2025-01-15", "base: &b {x: 1}\nother: *b\ngo_live: 2025-01-15"),
        "aliases",
        id="yaml-alias",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("edit", "field"), MALFORMED)
def test_malformed_documents_are_rejected_naming_the_field_and_write_nothing(tmp_path, edit, field):
    old, new = edit
    assert old in DOCUMENT
    path = write(tmp_path, DOCUMENT.replace(old, new, 1))
    before = counts()

    with pytest.raises(CommandError) as excinfo:
        run("import_criteria", str(path), "--org", "new-org")

    assert field in str(excinfo.value)
    assert counts() == before
    assert not Organization.objects.filter(slug="new-org").exists()


def test_a_rejected_import_leaves_an_existing_draft_untouched(personas, tmp_path):
    version = personas.operation.versions.get()
    hash_before = version.content_hash
    text = DOCUMENT.replace("eu-retail-chat", "eu-chat").replace("max: 0.25", "max: 0.05")
    before = counts()

    with pytest.raises(CommandError, match=r"indicators\[0\]\.range\.max"):
        run("import_criteria", str(write(tmp_path, text)), "--org", "acme")

    version.refresh_from_db()
    assert version.content_hash == hash_before
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "must be a mapping"), (b"\xff\xfe\x00", "not UTF-8"), (b"- a\n- b\n", "mapping")],
)
def test_files_that_are_not_criteria_documents_are_rejected(tmp_path, content, message):
    path = tmp_path / "criteria.yaml"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        run("import_criteria", str(path), "--org", "acme")
    assert Organization.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_criteria", str(tmp_path / "nope.yaml"), "--org", "acme")


def test_reimport_without_timezone_or_title_keeps_the_operations(personas, tmp_path):
    from django.core.management import call_command

    from criteria.models import Operation

    path = tmp_path / "c.yaml"
    path.write_text(
        "operation: eu-chat\n"
        "indicators:\n"
        "  - {key: escalation_rate, range: {min: 0.1, max: 0.2},\n"
        "     trigger: {rule: outside_range, for_days: 3, owner: operations,\n"
        "               review_within_days: 2}}\n"
    )
    call_command("import_criteria", str(path), "--org", "acme")
    operation = Operation.objects.get(slug="eu-chat")
    assert operation.timezone == "Europe/Stockholm"
    assert operation.title == "EU chat"


def test_the_formats_md_example_imports_with_its_whole_action(db, tmp_path):
    """FORMATS.md §3 writes an unquoted action with commas inside {...}; it must survive."""
    example = (
        "operation: eu-retail-chat\ntitle: AI tier-1 chat, EU retail\n"
        "timezone: Europe/Stockholm\ngo_live: 2025-01-15\nindicators:\n"
        "  - key: review_score\n    range: {min: 0.80}\n"
        "    sampling: {per_week: 50, complex_share: 0.6}\n"
        "    trigger: {rule: outside_range, window_days: 14, owner: legal, "
        "review_within_days: 5,\n"
        "              action: Decision meeting - continue, adjust or pause.}\n"
    )
    path = tmp_path / "example.yaml"
    path.write_text(example)
    call_command("import_criteria", str(path), "--org", "acme")
    target = IndicatorTarget.objects.get(key="review_score")
    assert target.action == "Decision meeting - continue, adjust or pause."


def test_seed_demo_is_idempotent_and_tells_the_whole_story(db):
    from metrics.models import Alert, Conversation, DailyAggregate

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "password: stopline-demo" in out.getvalue()
    # The week of STAR dialogues (the reviewer queue's transcripts) keeps the daily totals:
    # its ~43 conversations a day do not replace the day's figures on the volume chart.
    star_days = set(Conversation.objects.values_list("local_date", flat=True))
    assert len(star_days) >= 5
    totals = DailyAggregate.objects.filter(operation__slug="eu-retail-chat", date__in=star_days)
    assert {a.source for a in totals} == {DailyAggregate.Source.DAILY}
    daily = {}
    for a in totals:
        daily[a.date] = daily.get(a.date, 0) + a.conversations
    assert min(daily.values()) > 300
    counts = (
        Operation.objects.count(),
        CriteriaVersion.objects.count(),
        DailyAggregate.objects.count(),
        Alert.objects.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    assert (
        Operation.objects.count(),
        CriteriaVersion.objects.count(),
        DailyAggregate.objects.count(),
        Alert.objects.count(),
    ) == counts
    operation = Operation.objects.get(slug="eu-retail-chat")
    statuses = list(operation.versions.order_by("number").values_list("status", flat=True))
    assert statuses == ["agreed", "draft"]
    # The collapse in the demo data is alerted by the agreed escalation trigger.
    assert Alert.objects.filter(
        operation=operation, indicator="escalation_rate", direction="below"
    ).exists()
