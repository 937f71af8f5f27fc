from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ekseva.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from ekseva.notifications import templates

        from . import permissions  # noqa: F401 - registers this app's permission rules

        templates.register(
            "accounts.otp",
            sms={
                "en": "{code} is your ekseva OTP to sign in. Valid {minutes} minutes. "
                "Do not share it with anyone.",
                "hi": "{code} आपका ई-सेवा साइन-इन OTP है। {minutes} मिनट तक मान्य। इसे किसी को न बताएँ।",
            },
        )
