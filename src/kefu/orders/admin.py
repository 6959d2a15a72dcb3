from django.contrib import admin

from kefu.orders.models import ImportMapping, Order, OrderImport


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("order_no", "platform", "status", "amount", "shop", "created_at")
    list_filter = ("shop", "platform", "status")
    search_fields = ("order_no",)
    raw_id_fields = ("customer",)


@admin.register(OrderImport)
class OrderImportAdmin(admin.ModelAdmin):
    list_display = ("filename", "platform", "rows", "created", "updated", "bad_rows", "shop")
    list_filter = ("shop", "platform")
    exclude = ("error_file",)


admin.site.register(ImportMapping)
