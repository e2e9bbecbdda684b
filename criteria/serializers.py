"""API shapes for criteria. Serializers check the shape of input only; services own the rules.

Ranges and fractions are JSON numbers (0.25 means 25 %), as in the criteria document.
"""

from django.core.validators import RegexValidator
from rest_framework import serializers

from criteria.models import (
    AuditEvent,
    Comment,
    CriteriaVersion,
    IndicatorKey,
    IndicatorTarget,
    Operation,
    Position,
    Signature,
    TriggerRule,
)


def _fraction_field(**kwargs) -> serializers.DecimalField:
    # A fraction between 0 and 1; the services check the rest (min <= max).
    return serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        coerce_to_string=False,
        min_value=0,
        max_value=1,
        **kwargs,
    )


def _positive_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=3650, **kwargs)


class TextField(serializers.CharField):
    """A string, and only a string: 0 or true are not text (DRF would turn them into "0")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _username() -> serializers.SlugRelatedField:
    """A user's username; null when there is none (a system action)."""
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)


# Text that is more than white space (the schema says so with this pattern).
NOT_BLANK = RegexValidator(r"\S", message="This field may not be blank.")


class OperationSerializer(serializers.ModelSerializer):
    """An operation with its go-live readiness.

    Expects the queryset annotations of `criteria.api.operations_annotated`.
    """

    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ready_for_go_live = serializers.SerializerMethodField(
        help_text="True when a version agreed by every required department is in force "
        "(an amendment in draft or awaiting signatures does not change that)."
    )
    latest_version = serializers.IntegerField(
        source="latest_number", read_only=True, allow_null=True
    )
    # A plain string: an enum here would duplicate the version status enum in the schema.
    latest_version_status = serializers.CharField(
        source="latest_status",
        read_only=True,
        allow_null=True,
        help_text="draft, proposed or agreed",
    )
    version_in_force = serializers.IntegerField(
        source="in_force_number",
        read_only=True,
        allow_null=True,
        help_text="The newest agreed version, the one monitoring runs against.",
    )

    class Meta:
        model = Operation
        fields = [
            "slug",
            "title",
            "organization",
            "timezone",
            "go_live",
            "channels",
            "description",
            "ready_for_go_live",
            "latest_version",
            "latest_version_status",
            "version_in_force",
        ]
        read_only_fields = fields

    def get_ready_for_go_live(self, operation: Operation) -> bool:
        return operation.in_force_number is not None


class TargetSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    range_min = _fraction_field(read_only=True, allow_null=True)
    range_max = _fraction_field(read_only=True, allow_null=True)
    owner = serializers.SlugRelatedField(slug_field="key", read_only=True)
    sampling_complex_share = _fraction_field(read_only=True, allow_null=True)

    class Meta:
        model = IndicatorTarget
        fields = [
            "key",
            "label",
            "range_min",
            "range_max",
            "rule",
            "for_days",
            "window_days",
            "owner",
            "action",
            "review_within_days",
            "recipients",
            "sampling_per_week",
            "sampling_complex_share",
        ]
        read_only_fields = fields


class SignatureSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="key", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Signature
        fields = ["department", "user", "printed_name", "meaning", "signed_at", "content_hash"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    targets = TargetSerializer(source="targets_in_order", many=True, read_only=True)
    signatures = SignatureSerializer(many=True, read_only=True)

    class Meta:
        model = CriteriaVersion
        fields = [
            "number",
            "status",
            "content_hash",
            "note",
            "created_by",
            "created_at",
            "proposed_at",
            "agreed_at",
            "targets",
            "signatures",
        ]
        read_only_fields = fields


class TargetInputSerializer(serializers.Serializer):
    """The draft's range and trigger for one indicator. Omitted trigger fields keep their value."""

    range_min = _fraction_field(required=False, allow_null=True)
    range_max = _fraction_field(required=False, allow_null=True)
    rule = serializers.ChoiceField(choices=TriggerRule.choices, required=False)
    for_days = _positive_field(required=False, allow_null=True)
    window_days = _positive_field(required=False, allow_null=True)
    owner = serializers.SlugField(required=False, help_text="The owning department's key.")
    action = TextField(required=False, allow_blank=True, max_length=5000)
    review_within_days = _positive_field(required=False)
    recipients = serializers.ListField(child=serializers.EmailField(), required=False)
    sampling_per_week = _positive_field(required=False, allow_null=True)
    sampling_complex_share = _fraction_field(required=False, allow_null=True)


class PositionSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="key", read_only=True)
    author = _username()
    range_min = _fraction_field(read_only=True, allow_null=True)
    range_max = _fraction_field(read_only=True, allow_null=True)

    class Meta:
        model = Position
        fields = [
            "id",
            "key",
            "department",
            "range_min",
            "range_max",
            "rationale",
            "author",
            "updated_at",
        ]
        read_only_fields = fields


class PositionInputSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=IndicatorKey.choices)
    range_min = _fraction_field(required=False, allow_null=True)
    range_max = _fraction_field(required=False, allow_null=True)
    rationale = TextField(max_length=5000, validators=[NOT_BLANK])


class CommentSerializer(serializers.ModelSerializer):
    author = _username()
    department = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "key",
            "text",
            "author",
            "department",
            "created_at",
            "resolved_at",
            "resolved_by",
        ]
        read_only_fields = fields


class CommentInputSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=IndicatorKey.choices)
    text = TextField(max_length=5000, validators=[NOT_BLANK])


class SignInputSerializer(serializers.Serializer):
    content_hash = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        max_length=64,
        help_text="The SHA-256 of the version you read (its content_hash).",
    )
    meaning = TextField(
        required=False, allow_blank=True, max_length=200, help_text='e.g. "Approved for Legal"'
    )
    printed_name = TextField(required=False, allow_blank=True, max_length=200)
    department = serializers.SlugField(
        required=False,
        allow_null=True,
        help_text="The department you sign for; it must be your own.",
    )
    password = TextField(
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Required with token auth and when the session login is older than the "
        "re-authentication window.",
    )


class AuditEventSerializer(serializers.ModelSerializer):
    actor = _username()

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "action", "summary", "version_number", "detail"]
        read_only_fields = fields
