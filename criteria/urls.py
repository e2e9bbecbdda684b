from django.urls import path

from criteria import views, views_diagnostic, views_pdf

urlpatterns = [
    path("", views.operation_list, name="operation_list"),
    path("diagnostic/", views_diagnostic.diagnostic, name="diagnostic"),
    path("diagnostic/save/", views_diagnostic.diagnostic_save, name="diagnostic_save"),
    path("ops/<slug:slug>/", views.operation_detail, name="operation_detail"),
    path("ops/<slug:slug>/board/", views.board, name="board"),
    path("ops/<slug:slug>/positions/<str:key>/", views.position_submit, name="position_submit"),
    path("ops/<slug:slug>/comments/<str:key>/", views.comment_submit, name="comment_submit"),
    path(
        "ops/<slug:slug>/comments/<int:pk>/resolve/",
        views.comment_resolve,
        name="comment_resolve",
    ),
    path("ops/<slug:slug>/draft/<str:key>/", views.target_submit, name="target_submit"),
    path("ops/<slug:slug>/propose/", views.version_propose, name="version_propose"),
    path("ops/<slug:slug>/versions/", views.version_list, name="version_list"),
    path("ops/<slug:slug>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path("ops/<slug:slug>/versions/<int:number>/sign/", views.version_sign, name="version_sign"),
    path(
        "ops/<slug:slug>/versions/<int:number>/criteria.yaml",
        views.version_yaml,
        name="version_yaml",
    ),
    path(
        "ops/<slug:slug>/versions/<int:number>/wall.pdf",
        views_pdf.version_pdf,
        name="version_pdf",
    ),
    path("ops/<slug:slug>/compare/", views.version_compare, name="version_compare"),
    path("ops/<slug:slug>/audit/", views.audit, name="audit"),
    path("ops/<slug:slug>/audit.csv", views.audit_csv, name="audit_csv"),
    path("ops/<slug:slug>/import/", views.criteria_upload, name="criteria_upload"),
]
