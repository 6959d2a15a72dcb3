"""Pages of the customer archive: the list with its export, and one customer's page."""

from __future__ import annotations

from django.urls import path

from kefu.web import customer_views

app_name = "customers"

urlpatterns = [
    path("desk/customers/", customer_views.customer_list, name="list"),
    path("desk/customers/export.xlsx", customer_views.customer_export, name="export"),
    path("desk/customers/<int:customer_id>/", customer_views.customer_detail, name="detail"),
    path(
        "desk/customers/<int:customer_id>/confirm-buying/",
        customer_views.confirm_buying,
        name="confirm_buying",
    ),
    path("desk/customers/<int:customer_id>/tags/", customer_views.tag_add, name="tag_add"),
    path(
        "desk/customers/<int:customer_id>/tags/remove/",
        customer_views.tag_remove,
        name="tag_remove",
    ),
    path("desk/customers/<int:customer_id>/notes/", customer_views.note_add, name="note_add"),
    path(
        "desk/customers/<int:customer_id>/notes/<int:note_id>/delete/",
        customer_views.note_delete,
        name="note_delete",
    ),
]
