"""Pages of the segment area: the shop's segments, their settings, a new segmentation."""

from __future__ import annotations

from django.urls import path

from kefu.web import segment_views

app_name = "segments"

urlpatterns = [
    path("desk/segments/", segment_views.overview, name="overview"),
    path("desk/segments/run/", segment_views.resegment, name="run"),
]
