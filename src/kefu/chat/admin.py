from django.contrib import admin

from kefu.chat.models import Conversation, Message


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "shop", "visitor", "status", "assignee", "last_message_at")
    list_filter = ("shop", "status")
    raw_id_fields = ("visitor", "assignee")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("conversation", "seq", "sender", "text", "created_at")
    list_filter = ("shop", "sender")
    raw_id_fields = ("conversation", "author")
