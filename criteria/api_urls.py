"""/api/v1/ routes for criteria (included from config/api_urls.py)."""

from django.urls import path

from criteria import api

OPERATION = "operations/<slug:slug>/"
VERSION = OPERATION + "versions/<int:number>/"

urlpatterns = [
    path("operations/", api.OperationListView.as_view(), name="api-operation-list"),
    path(OPERATION, api.OperationDetailView.as_view(), name="api-operation-detail"),
    path(OPERATION + "versions/", api.VersionListView.as_view(), name="api-version-list"),
    path(VERSION, api.VersionDetailView.as_view(), name="api-version-detail"),
    path(VERSION + "export/", api.VersionExportView.as_view(), name="api-version-export"),
    path(VERSION + "signatures/", api.SignatureListView.as_view(), name="api-signatures"),
    path(OPERATION + "import/", api.OperationImportView.as_view(), name="api-import"),
    path(OPERATION + "draft/<slug:key>/", api.DraftTargetView.as_view(), name="api-draft-target"),
    path(OPERATION + "propose/", api.ProposeView.as_view(), name="api-propose"),
    path(OPERATION + "positions/", api.PositionListView.as_view(), name="api-positions"),
    path(OPERATION + "comments/", api.CommentListView.as_view(), name="api-comments"),
    path(
        OPERATION + "comments/<int:comment_id>/resolve/",
        api.CommentResolveView.as_view(),
        name="api-comment-resolve",
    ),
    path(OPERATION + "audit/", api.AuditListView.as_view(), name="api-audit"),
]
