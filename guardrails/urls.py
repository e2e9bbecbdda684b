from django.urls import path

from guardrails import views

urlpatterns = [
    path("<slug:slug>/", views.state, name="state"),
    path("<slug:slug>/keys/", views.key_create, name="key_create"),
    path("<slug:slug>/keys/<int:key_id>/revoke/", views.key_revoke, name="key_revoke"),
    path("<slug:slug>/<str:action>/", views.stop, name="stop"),
]
