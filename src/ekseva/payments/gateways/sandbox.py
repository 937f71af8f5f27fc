"""The sandbox gateway (being written: see docs/payments.md)."""

from .base import Gateway, SettingSpec


class SandboxGateway(Gateway):
    name = "sandbox"
    label_en = "Sandbox gateway (test money)"
    label_hi = "सैंडबॉक्स गेटवे (परीक्षण राशि)"
    settings = (SettingSpec("SANDBOX_GATEWAY_SECRET", "HMAC key of returns and webhooks", True),)
