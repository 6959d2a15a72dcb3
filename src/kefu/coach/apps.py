from django.apps import AppConfig


class CoachConfig(AppConfig):
    name = "kefu.coach"
    label = "coach"
