from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "kefu.chat"
    label = "chat"
