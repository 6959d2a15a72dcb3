"""The web pages: the customer widget and demo shop, the workbench and its settings."""

from __future__ import annotations

from django.urls import path

from kefu.web import views

app_name = "web"

urlpatterns = [
    path("w/<str:public_key>/", views.widget, name="widget"),
    path("demo/<str:public_key>/", views.demo, name="demo"),
    path("desk/", views.desk, name="desk"),
    path("desk/settings/", views.shop_settings, name="settings"),
    path("desk/members/", views.members, name="members"),
    path("desk/quick-replies/", views.quick_replies, name="quick_replies"),
    path("desk/quick-replies/<int:reply_id>/", views.quick_reply_edit, name="quick_reply_edit"),
    path(
        "desk/quick-replies/<int:reply_id>/delete/",
        views.quick_reply_delete,
        name="quick_reply_delete",
    ),
]
