"""REST endpoints for ingestion: POST data (JSON array, JSON Lines or CSV body), list runs."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import ListAPIView
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tokens import TokenAuthentication
from criteria.access import operation_get_for_user
from metrics.access import operation_get_for_ingest
from metrics.ingest.formats import FileRejected
from metrics.ingest.services import (
    UploadTooLarge,
    ingestion_run_create,
    ingestion_run_execute,
    ingestion_run_report,
    size_limit_message,
)
from metrics.models import IngestionRun
from metrics.selectors import ingestion_runs_for_operation

# Content-Type -> the file name the run records (the format itself is sniffed from the body).
BODY_NAMES = {
    "text/csv": "body.csv",
    "application/csv": "body.csv",
    "application/x-ndjson": "body.jsonl",
    "application/jsonl": "body.jsonl",
    "application/x-jsonlines": "body.jsonl",
    "application/json": "body.json",
}
REJECTS_IN_REPORT = 100


class RawBodyParser(BaseParser):
    """Declares the accepted media types; the view streams the body itself."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover
        return None


class _Reader:
    """The request body as a file for the storage, read in blocks (never whole)."""

    def __init__(self, request: Request) -> None:
        self._stream = request.stream

    def read(self, size: int = -1) -> bytes:
        if self._stream is None:
            return b""
        return self._stream.read(size)


class IngestReportSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    status = serializers.CharField()
    kind = serializers.CharField()
    ingested = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    total = serializers.IntegerField()
    error = serializers.CharField()
    report = serializers.CharField()
    rejects = serializers.ListField(child=serializers.DictField())


class _IngestView(APIView):
    kind = ""
    parser_classes = [RawBodyParser]
    # Token first, so that an anonymous client gets 401 with a WWW-Authenticate header.
    authentication_classes = [TokenAuthentication, SessionAuthentication]

    @extend_schema(
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/x-ndjson": OpenApiTypes.STR,
            "text/csv": OpenApiTypes.STR,
        },
        responses={
            201: IngestReportSerializer,
            400: OpenApiResponse(description="The whole body was rejected (error format)."),
            413: OpenApiResponse(description="The body is larger than the upload limit."),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        """Ingest the body synchronously and answer the run's report (FORMATS.md §1/§2)."""
        operation, _ = operation_get_for_ingest(request.user, slug)
        limit = settings.STOPLINE_MAX_UPLOAD_BYTES
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > limit:
            raise UploadTooLarge(size_limit_message(limit))
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        run = ingestion_run_create(
            operation=operation,
            file=_Reader(request),
            file_name=BODY_NAMES.get(media_type, "body"),
            kind=self.kind,
            uploaded_by=request.user,
            via="api",
            max_bytes=limit,
        )
        run = ingestion_run_execute(run_id=run.pk)
        report = ingestion_run_report(run, rejects_limit=REJECTS_IN_REPORT)
        if run.status == IngestionRun.Status.FAILED:
            raise FileRejected(run.error, fields={"run": run.pk})
        return Response(report, status=status.HTTP_201_CREATED)


class ConversationsIngestView(_IngestView):
    kind = "conversations"


class DailyMetricsIngestView(_IngestView):
    kind = "daily"


class IngestionRunSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.get_username", default=None)
    report = serializers.CharField(source="report_line")

    class Meta:
        model = IngestionRun
        fields = [
            "id",
            "kind",
            "file_name",
            "sha256",
            "size",
            "via",
            "uploaded_by",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "total",
            "ingested",
            "updated",
            "unchanged",
            "rejected",
            "progress",
            "error",
            "report",
        ]


class IngestionRunListView(ListAPIView):
    serializer_class = IngestionRunSerializer
    authentication_classes = [TokenAuthentication, SessionAuthentication]

    def get_queryset(self):
        operation, _ = operation_get_for_user(self.request.user, self.kwargs["slug"])
        return ingestion_runs_for_operation(operation)
