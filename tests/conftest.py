"""Shared fixtures: personas of one organization, an outsider, and service guards."""

import os
import shutil
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from accounts.models import Membership, Organization
from accounts.services import organization_ensure
from criteria.models import Operation
from criteria.services import operation_create

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_member(
    org: Organization,
    username: str,
    *,
    department: str | None,
    role: str,
    signatory: bool = False,
) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=username.split("_")[0].title(),
        email=f"{username}@example.com",
    )
    dept = org.departments.get(key=department) if department else None
    Membership.objects.create(
        user=user,
        organization=org,
        department=dept,
        role=role,
        is_signatory=signatory,
        printed_name=f"{username.title()} Name",
    )
    return user


@dataclass
class Personas:
    org: Organization
    operation: Operation
    facilitator: User
    ops_lead: User  # operations signatory
    legal_lead: User  # legal signatory
    cx_lead: User  # cx signatory
    finance_lead: User  # finance signatory
    member: User  # operations member, not a signatory
    reviewer: User  # senior reviewer
    viewer: User
    outsider: User  # facilitator of another organization
    other_operation: Operation


@pytest.fixture
def personas(db) -> Personas:
    org = organization_ensure(slug="acme", name="Acme Retail")
    operation = operation_create(
        organization=org, slug="eu-chat", title="EU chat", timezone_name="Europe/Stockholm"
    )
    other = organization_ensure(slug="rival", name="Rival Corp")
    other_op = operation_create(organization=other, slug="rival-chat", title="Rival chat")
    return Personas(
        org=org,
        operation=operation,
        facilitator=make_member(org, "facilitator", department="operations", role="facilitator"),
        ops_lead=make_member(
            org, "ops_lead", department="operations", role="member", signatory=True
        ),
        legal_lead=make_member(
            org, "legal_lead", department="legal", role="member", signatory=True
        ),
        cx_lead=make_member(org, "cx_lead", department="cx", role="member", signatory=True),
        finance_lead=make_member(
            org, "finance_lead", department="finance", role="member", signatory=True
        ),
        member=make_member(org, "ops_member", department="operations", role="member"),
        reviewer=make_member(org, "senior_reviewer", department="cx", role="senior_reviewer"),
        viewer=make_member(org, "viewer", department=None, role="viewer"),
        outsider=make_member(
            other, "outsider", department="operations", role="facilitator", signatory=True
        ),
        other_operation=other_op,
    )


def require_or_skip(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; in CI (CI set) a missing service fails."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require_or_skip(os.path.exists(path), "Chromium is not installed (/usr/bin/chromium)")
    return path


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a fresh directory per test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT
