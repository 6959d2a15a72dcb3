from django.contrib import admin

from kefu.shops.models import Membership, Shop


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "hours_start", "hours_end", "default_capacity")
    readonly_fields = ("public_key",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("display_name", "shop", "role", "capacity", "is_active", "last_seen_at")
    list_filter = ("shop", "role", "is_active")
