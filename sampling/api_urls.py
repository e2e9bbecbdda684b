from django.urls import path

from sampling import api

urlpatterns = [
    path(
        "operations/<slug:slug>/review-items/",
        api.ReviewItemListView.as_view(),
        name="api-review-items",
    ),
    path(
        "operations/<slug:slug>/review-items/next/",
        api.ReviewItemNextView.as_view(),
        name="api-review-item-next",
    ),
    path(
        "operations/<slug:slug>/review-items/<int:item_id>/",
        api.ReviewItemDetailView.as_view(),
        name="api-review-item",
    ),
    path(
        "operations/<slug:slug>/review-items/<int:item_id>/score/",
        api.ReviewItemScoreView.as_view(),
        name="api-review-item-score",
    ),
]
