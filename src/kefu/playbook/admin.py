from django.contrib import admin

from kefu.playbook.models import QuickReply


@admin.register(QuickReply)
class QuickReplyAdmin(admin.ModelAdmin):
    list_display = ("keyword", "shop", "updated_at")
    list_filter = ("shop",)
