"""The coach's owner pages."""

from __future__ import annotations

from django.urls import path

from kefu.coach import views

app_name = "coach"

urlpatterns = [
    path("desk/coach/", views.retrain_page, name="retrain"),
]
