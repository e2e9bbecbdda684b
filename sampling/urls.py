from django.urls import path

from sampling import views

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
]
