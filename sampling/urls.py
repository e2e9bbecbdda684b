from django.urls import path

from sampling import views, views_settings

urlpatterns = [
    path("<slug:slug>/queue/", views.queue, name="queue"),
    path("<slug:slug>/queue/next/", views.next_item, name="next_item"),
    path("<slug:slug>/items/<int:item_id>/", views.item, name="item"),
    path("<slug:slug>/items/<int:item_id>/skip/", views.skip, name="skip"),
    path("<slug:slug>/export.csv", views.export, name="export"),
    path("<slug:slug>/agreement/", views.agreement, name="agreement"),
    path(
        "<slug:slug>/calibration/<int:case_id>/resolve/",
        views.calibration_resolve,
        name="calibration_resolve",
    ),
    path("<slug:slug>/recommendation/", views.recommendation, name="recommendation"),
    path("<slug:slug>/settings/", views_settings.settings_page, name="settings"),
    path("<slug:slug>/settings/plan/", views_settings.plan_set, name="settings_plan"),
    path(
        "<slug:slug>/settings/rubric/<str:action>/",
        views_settings.rubric_item,
        name="settings_rubric",
    ),
    path(
        "<slug:slug>/settings/phrases/<str:scope>/",
        views_settings.phrases_set,
        name="settings_phrases",
    ),
]
