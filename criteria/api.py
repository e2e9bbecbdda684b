"""REST API for criteria: /api/v1/operations/... (see criteria/api_urls.py).

Every endpoint reaches its objects through criteria.access (other organizations answer 404),
parses input with a serializer and calls one service. Domain errors (StoplineError) are
raised and mapped to the one error format by config.api_errors.
"""

from typing import Any

import yaml
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.auth import password_reconfirm
from accounts.errors import PermissionDenied, StoplineError
from accounts.tokens import TokenAuthentication
from accounts.views import SESSION_AUTH_AT
from config.api_parsers import JSONParser
from criteria.access import operation_get_for_user, operations_for_user, version_get_for_user
from criteria.models import CriteriaVersion, IndicatorKey, Operation
from criteria.serializers import (
    AuditEventSerializer,
    CommentInputSerializer,
    CommentSerializer,
    OperationSerializer,
    PositionInputSerializer,
    PositionSerializer,
    SignatureSerializer,
    SignInputSerializer,
    TargetInputSerializer,
    VersionSerializer,
)
from criteria.services import (
    comment_add,
    comment_resolve,
    criteria_import,
    position_propose,
    reauth_needed,
    target_set,
    version_latest,
    version_propose,
    version_sign,
)
from criteria.yaml_io import MAX_DOCUMENT_BYTES, parse_document, version_to_yaml


def operations_annotated(queryset: QuerySet[Operation]) -> QuerySet[Operation]:
    """Operations with their latest version, its status and the version in force, in one query."""
    versions = CriteriaVersion.objects.filter(operation=OuterRef("pk")).order_by("-number")
    agreed = versions.filter(status=CriteriaVersion.Status.AGREED)
    return queryset.annotate(
        latest_number=Subquery(versions.values("number")[:1]),
        latest_status=Subquery(versions.values("status")[:1]),
        in_force_number=Subquery(agreed.values("number")[:1]),
    )


def versions_with_details(queryset: QuerySet[CriteriaVersion]) -> QuerySet[CriteriaVersion]:
    return queryset.select_related("created_by").prefetch_related(
        "targets__owner", "signatures__department", "signatures__user"
    )


def fresh_login(request: Request) -> bool:
    """A signature without the password needs a session login younger than the window.

    Token requests carry no login time, so they always re-enter the password.
    """
    if not isinstance(request.successful_authenticator, SessionAuthentication):
        return False
    return not reauth_needed(request.session.get(SESSION_AUTH_AT))


class YAMLParser(BaseParser):
    """A criteria document as a YAML (or JSON) request body."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None) -> dict[str, Any]:
        # One byte over the limit is enough for parse_document to refuse the file.
        return parse_document(stream.read(MAX_DOCUMENT_BYTES + 1) if stream else b"")


class TextYAMLParser(YAMLParser):
    media_type = "text/yaml"


class XYAMLParser(YAMLParser):
    media_type = "application/x-yaml"


class YAMLRenderer(BaseRenderer):
    """Lets `Accept: text/yaml` through content negotiation; errors render as YAML then."""

    media_type = "text/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, str):
            return data.encode("utf-8")
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")


class CriteriaAPIView(GenericAPIView):
    # Token first: an anonymous request then answers 401 with `WWW-Authenticate: Token`
    # instead of the 403 that session authentication alone would give.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    # JSON only: the browsable API would need a queryset per view to render its forms;
    # /api/docs/ is the interactive documentation.
    renderer_classes = [JSONRenderer]
    # JSON bodies only (the import also takes YAML and a file): form encodings cannot say
    # null, so the schema would promise inputs that the API then rejects.
    parser_classes = [JSONParser]


class OperationListView(CriteriaAPIView):
    serializer_class = OperationSerializer

    @extend_schema(
        operation_id="operations_list",
        summary="Operations of your organizations",
        responses=OperationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        operations = operations_annotated(operations_for_user(request.user).order_by("title"))
        page = self.paginate_queryset(operations)
        return self.get_paginated_response(OperationSerializer(page, many=True).data)


class OperationDetailView(CriteriaAPIView):
    serializer_class = OperationSerializer

    @extend_schema(
        operation_id="operations_detail",
        summary="One operation and whether it is ready for go-live",
    )
    def get(self, request: Request, slug: str) -> Response:
        operation, _ = operation_get_for_user(request.user, slug)
        operation = operations_annotated(Operation.objects.filter(pk=operation.pk)).get()
        return Response(OperationSerializer(operation).data)


class VersionListView(CriteriaAPIView):
    serializer_class = VersionSerializer

    @extend_schema(
        operation_id="versions_list",
        summary="Criteria versions, newest first",
        responses=VersionSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        operation, _ = operation_get_for_user(request.user, slug)
        versions = versions_with_details(operation.versions.order_by("-number"))
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(VersionSerializer(page, many=True).data)


class VersionDetailView(CriteriaAPIView):
    serializer_class = VersionSerializer

    @extend_schema(
        operation_id="versions_detail",
        summary="One criteria version with its targets and signatures",
    )
    def get(self, request: Request, slug: str, number: int) -> Response:
        version, _ = version_get_for_user(request.user, slug, number)
        version = versions_with_details(CriteriaVersion.objects.filter(pk=version.pk)).get()
        return Response(VersionSerializer(version).data)


class VersionExportView(CriteriaAPIView):
    renderer_classes = [JSONRenderer, YAMLRenderer]

    @extend_schema(
        summary="The version as a criteria document (FORMATS.md §3)",
        # A YAML mapping: operation, title, indicators, content_sha256, ...
        responses={(200, "text/yaml"): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, slug: str, number: int) -> HttpResponse:
        version, _ = version_get_for_user(request.user, slug, number)
        response = HttpResponse(version_to_yaml(version), content_type="text/yaml; charset=utf-8")
        filename = f"{version.operation.slug}-v{version.number}.yaml"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _import_document(request: Request) -> dict[str, Any]:
    upload = request.FILES.get("file")
    if upload is not None:
        return parse_document(upload.read(MAX_DOCUMENT_BYTES + 1))
    data = request.data
    if isinstance(data, dict) and data and not hasattr(data, "getlist"):
        return dict(data)
    raise StoplineError(
        "Send the criteria document as a YAML or JSON body, or as a file field named file.",
        fields={"file": "required"},
    )


class OperationImportView(CriteriaAPIView):
    parser_classes = [JSONParser, YAMLParser, TextYAMLParser, XYAMLParser, MultiPartParser]

    @extend_schema(
        summary="Import a criteria document as the new draft (never signs)",
        request={
            "application/yaml": OpenApiTypes.STR,
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": inline_serializer(
                "CriteriaUpload", fields={"file": serializers.FileField()}
            ),
        },
        responses={201: VersionSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        operation, membership = operation_get_for_user(request.user, slug)
        if not membership.is_facilitator:
            raise PermissionDenied("Only the workshop facilitator can import criteria.")
        data = _import_document(request)
        if data.get("operation") != operation.slug:
            raise StoplineError(
                f"operation: the document is for {data.get('operation')!r}, "
                f"not {operation.slug!r}.",
                fields={"operation": "does not match the operation in the URL"},
            )
        version = criteria_import(
            data=data, organization=operation.organization, actor=request.user
        )
        version = versions_with_details(CriteriaVersion.objects.filter(pk=version.pk)).get()
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


DRAFT_RESULT = inline_serializer(
    "DraftTargetResult",
    fields={
        "changed": serializers.BooleanField(help_text="False when the save changed nothing."),
        "version": VersionSerializer(help_text="The draft (or the unchanged latest version)."),
    },
)


class DraftTargetView(CriteriaAPIView):
    serializer_class = TargetInputSerializer

    def _set(self, request: Request, slug: str, key: str, *, partial: bool) -> Response:
        operation, membership = operation_get_for_user(request.user, slug)
        if key not in IndicatorKey.values:
            raise Http404
        serializer = TargetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        if partial:
            # The service treats a missing bound as "no bound"; PATCH keeps the current one.
            latest = version_latest(operation)
            target = latest.targets.filter(key=key).first() if latest else None
            for bound in ("range_min", "range_max"):
                if bound not in values and target is not None:
                    values[bound] = getattr(target, bound)
        version, changed = target_set(
            operation=operation, membership=membership, key=key, values=values
        )
        version = versions_with_details(CriteriaVersion.objects.filter(pk=version.pk)).get()
        return Response({"changed": changed, "version": VersionSerializer(version).data})

    @extend_schema(
        summary="Set the draft's range and trigger for one indicator (facilitator)",
        description="A missing range bound means no bound; omitted trigger fields keep their "
        "value. A real change to a proposed or agreed version opens a new draft and dismisses "
        "its signatures; a save without change does nothing.",
        request=TargetInputSerializer,
        responses={200: DRAFT_RESULT},
    )
    def put(self, request: Request, slug: str, key: str) -> Response:
        return self._set(request, slug, key, partial=False)

    @extend_schema(
        summary="Change some of the draft's fields for one indicator (facilitator)",
        request=TargetInputSerializer,
        responses={200: DRAFT_RESULT},
    )
    def patch(self, request: Request, slug: str, key: str) -> Response:
        return self._set(request, slug, key, partial=True)


class ProposeView(CriteriaAPIView):
    @extend_schema(
        summary="Freeze the draft and propose it for signature (facilitator)",
        request=None,
        responses={200: VersionSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        operation, membership = operation_get_for_user(request.user, slug)
        version = version_propose(operation=operation, membership=membership)
        version = versions_with_details(CriteriaVersion.objects.filter(pk=version.pk)).get()
        return Response(VersionSerializer(version).data)


class PositionListView(CriteriaAPIView):
    serializer_class = PositionSerializer
    # At most one position per department and indicator: no pagination needed.
    pagination_class = None

    @extend_schema(
        summary="Every department's position per indicator", responses=PositionSerializer(many=True)
    )
    def get(self, request: Request, slug: str) -> Response:
        operation, _ = operation_get_for_user(request.user, slug)
        positions = operation.positions.select_related("department", "author")
        return Response(PositionSerializer(positions, many=True).data)

    @extend_schema(
        summary="State (or replace) your department's position on an indicator",
        request=PositionInputSerializer,
        responses={201: PositionSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        operation, membership = operation_get_for_user(request.user, slug)
        serializer = PositionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        position = position_propose(
            operation=operation,
            membership=membership,
            key=data["key"],
            range_min=data.get("range_min"),
            range_max=data.get("range_max"),
            rationale=data["rationale"],
        )
        return Response(PositionSerializer(position).data, status=status.HTTP_201_CREATED)


class CommentListView(CriteriaAPIView):
    serializer_class = CommentSerializer

    @extend_schema(
        summary="Comments per indicator, oldest first", responses=CommentSerializer(many=True)
    )
    def get(self, request: Request, slug: str) -> Response:
        operation, _ = operation_get_for_user(request.user, slug)
        comments = operation.comments.select_related("author", "department", "resolved_by")
        page = self.paginate_queryset(comments.order_by("created_at", "id"))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        summary="Comment on an indicator",
        request=CommentInputSerializer,
        responses={201: CommentSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        operation, membership = operation_get_for_user(request.user, slug)
        serializer = CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_add(
            operation=operation,
            membership=membership,
            key=serializer.validated_data["key"],
            text=serializer.validated_data["text"],
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentResolveView(CriteriaAPIView):
    @extend_schema(
        summary="Resolve a comment (facilitator or author)",
        request=None,
        responses={200: CommentSerializer},
    )
    def post(self, request: Request, slug: str, comment_id: int) -> Response:
        operation, membership = operation_get_for_user(request.user, slug)
        comment = operation.comments.filter(pk=comment_id).first()
        if comment is None:
            raise Http404
        comment.operation = operation
        comment = comment_resolve(comment=comment, membership=membership)
        return Response(CommentSerializer(comment).data)


class SignatureListView(CriteriaAPIView):
    serializer_class = SignatureSerializer
    # One signature per department at most.
    pagination_class = None

    @extend_schema(summary="Signatures of a version", responses=SignatureSerializer(many=True))
    def get(self, request: Request, slug: str, number: int) -> Response:
        version, _ = version_get_for_user(request.user, slug, number)
        signatures = version.signatures.select_related("department", "user")
        return Response(SignatureSerializer(signatures, many=True).data)

    @extend_schema(
        summary="Sign a version for your department",
        description="State the content_hash you read. Signing an outdated or changed version "
        "answers 409 and saves nothing; signing for a department not yours answers 403. The "
        "password is required with token auth and when the session login is older than the "
        "re-authentication window (403 reauth_required otherwise).",
        request=SignInputSerializer,
        responses={201: SignatureSerializer},
    )
    def post(self, request: Request, slug: str, number: int) -> Response:
        version, membership = version_get_for_user(request.user, slug, number)
        serializer = SignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fresh = fresh_login(request)
        if not fresh and data.get("password"):
            # Before the signing transaction, so that a wrong password stays counted.
            password_reconfirm(request, request.user, data["password"])
            fresh = True
        signature = version_sign(
            operation=version.operation,
            membership=membership,
            number=version.number,
            content_hash=data["content_hash"],
            meaning=data.get("meaning", ""),
            printed_name=data.get("printed_name", ""),
            department_key=data.get("department"),
            fresh_login=fresh,
            password=data.get("password"),
        )
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)


class AuditListView(CriteriaAPIView):
    serializer_class = AuditEventSerializer

    @extend_schema(
        summary="Who changed what and when, newest first", responses=AuditEventSerializer(many=True)
    )
    def get(self, request: Request, slug: str) -> Response:
        operation, _ = operation_get_for_user(request.user, slug)
        events = operation.audit_events.select_related("actor").order_by("-at", "-id")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)
