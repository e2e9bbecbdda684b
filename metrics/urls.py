from django.urls import path

from metrics import views, views_dashboard

urlpatterns = [
    path("<slug:slug>/", views_dashboard.dashboard, name="dashboard"),
    path("<slug:slug>/status.pdf", views_dashboard.status_pdf, name="status_pdf"),
    path("<slug:slug>/ingest/", views.ingest_upload, name="ingest_upload"),
    path("<slug:slug>/runs/", views.run_list, name="run_list"),
    path("<slug:slug>/runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path(
        "<slug:slug>/runs/<int:run_id>/rejects.csv",
        views.run_rejects_csv,
        name="run_rejects_csv",
    ),
    path("<slug:slug>/alerts/", views.alert_list, name="alert_list"),
    path("<slug:slug>/alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("<slug:slug>/reviews/", views.review_list, name="review_list"),
    path("<slug:slug>/complaints/", views.complaint_list, name="complaint_list"),
    path(
        "<slug:slug>/reviews/<int:review_id>/decide/",
        views.review_decide_view,
        name="review_decide",
    ),
]
