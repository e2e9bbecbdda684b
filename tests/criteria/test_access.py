"""operation_get_for_user: the door of every operation page, one query, 404 for non-members."""

from datetime import date, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from criteria.access import operation_get_for_user
from criteria.models import Operation

pytestmark = pytest.mark.django_db


def test_a_member_gets_the_operation_and_their_membership_in_one_query(
    personas, django_assert_num_queries
):
    Operation.objects.filter(pk=personas.operation.pk).update(
        go_live=date(2025, 4, 1), channels=["chat", "voice"]
    )
    with django_assert_num_queries(1):
        operation, membership = operation_get_for_user(personas.cx_lead, "eu-chat")
        # Everything the pages read of them is there, typed as the ORM would give it.
        assert operation == personas.operation and operation.title == "EU chat"
        assert operation.go_live == date(2025, 4, 1) and operation.channels == ["chat", "voice"]
        assert isinstance(operation.created_at, datetime) and operation.created_at.tzinfo
        assert operation.organization == personas.org == membership.organization
        assert (membership.user_id, membership.role) == (personas.cx_lead.pk, "member")
        assert membership.is_signatory is True and membership.department.key == "cx"


def test_a_member_without_a_department(personas, django_assert_num_queries):
    with django_assert_num_queries(1):
        _, membership = operation_get_for_user(personas.viewer, "eu-chat")
        assert membership.role == "viewer" and membership.department is None


@pytest.mark.parametrize("slug", ["eu-chat", "rival-chat", "no-such-operation"])
def test_anyone_else_gets_404(personas, slug):
    user = personas.outsider if slug == "eu-chat" else personas.cx_lead
    with pytest.raises(Http404):
        operation_get_for_user(user, slug)
    with pytest.raises(Http404):
        operation_get_for_user(AnonymousUser(), slug)
