"""Pages of the order area: the orders list, the import page and each import's progress."""

from __future__ import annotations

from django.urls import path

from kefu.web import order_views

app_name = "orders"

urlpatterns = [
    path("desk/orders/", order_views.order_list, name="list"),
    path("desk/orders/import/", order_views.import_page, name="import"),
    path("desk/orders/imports/<int:import_id>/", order_views.import_detail, name="import_detail"),
    path(
        "desk/orders/imports/<int:import_id>/status.json",
        order_views.import_status,
        name="import_status",
    ),
    path(
        "desk/orders/imports/<int:import_id>/errors.csv",
        order_views.import_errors,
        name="import_errors",
    ),
]
