"""Razorpay (being written: see docs/payments.md)."""

from .base import Gateway, SettingSpec


class RazorpayGateway(Gateway):
    name = "razorpay"
    label_en = "Razorpay (cards, UPI, net banking)"
    label_hi = "रेज़रपे (कार्ड, यूपीआई, नेट बैंकिंग)"
    settings = (
        SettingSpec("RAZORPAY_KEY_ID", "API key id"),
        SettingSpec("RAZORPAY_KEY_SECRET", "API key secret", True),
        SettingSpec("RAZORPAY_WEBHOOK_SECRET", "webhook secret", True),
    )
