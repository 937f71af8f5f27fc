from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ekseva.accounts"
    label = "accounts"
