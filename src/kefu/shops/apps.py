from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "kefu.shops"
    label = "shops"
