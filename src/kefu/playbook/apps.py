from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "kefu.playbook"
    label = "playbook"
