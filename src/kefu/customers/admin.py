from django.contrib import admin

from kefu.customers.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("nickname", "platform", "shop", "created_at")
    list_filter = ("shop", "platform")
    search_fields = ("nickname",)
