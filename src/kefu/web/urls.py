"""The web pages: the customer widget and demo shop, the workbench and its settings."""

from __future__ import annotations

from django.urls import path

from kefu.web import playbook_views, views

app_name = "web"

urlpatterns = [
    path("w/<str:public_key>/", views.widget, name="widget"),
    path("demo/<str:public_key>/", views.demo, name="demo"),
    path("desk/", views.desk, name="desk"),
    path("desk/settings/", views.shop_settings, name="settings"),
    path("desk/settings/api-key/", views.api_key, name="api_key"),
    path("desk/members/", views.members, name="members"),
    path("desk/quick-replies/", views.quick_replies, name="quick_replies"),
    path("desk/quick-replies/<int:reply_id>/", views.quick_reply_edit, name="quick_reply_edit"),
    path(
        "desk/quick-replies/<int:reply_id>/delete/",
        views.quick_reply_delete,
        name="quick_reply_delete",
    ),
    # the playbook: FAQ (with import), the shop's scripts, banned words, products
    path("desk/faq/", playbook_views.faq, name="faq"),
    path("desk/faq/import/", playbook_views.faq_import, name="faq_import"),
    path("desk/faq/import/sample.csv", playbook_views.faq_import_sample, name="faq_import_sample"),
    path("desk/faq/<int:item_id>/", playbook_views.faq_edit, name="faq_edit"),
    path("desk/faq/<int:item_id>/delete/", playbook_views.faq_delete, name="faq_delete"),
    path("desk/scripts/", playbook_views.scripts, name="scripts"),
    path("desk/scripts/<int:item_id>/", playbook_views.script_edit, name="scripts_edit"),
    path("desk/scripts/<int:item_id>/delete/", playbook_views.script_delete, name="scripts_delete"),
    path("desk/terms/", playbook_views.terms, name="terms"),
    path("desk/terms/<int:item_id>/", playbook_views.term_edit, name="terms_edit"),
    path("desk/terms/<int:item_id>/delete/", playbook_views.term_delete, name="terms_delete"),
    path("desk/products/", playbook_views.products, name="products"),
    path("desk/products/<int:item_id>/", playbook_views.product_edit, name="products_edit"),
    path(
        "desk/products/<int:item_id>/delete/",
        playbook_views.product_delete,
        name="products_delete",
    ),
]
