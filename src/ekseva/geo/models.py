"""Administrative units (state → district → tehsil → block → village / town → ward)
and post offices with their PIN codes and coordinates."""

from __future__ import annotations

from django.db import models


class AdminUnit(models.Model):
    class Kind(models.TextChoices):
        STATE = "state", "State"
        DISTRICT = "district", "District"
        TEHSIL = "tehsil", "Tehsil"
        BLOCK = "block", "Block"
        VILLAGE = "village", "Village"
        TOWN = "town", "Town"
        WARD = "ward", "Ward"

    # Our stable key: "<kind>:<lgd code>" where an LGD code is known, else a slug.
    code = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    lgd_code = models.CharField(max_length=12, blank=True, db_index=True)
    name_en = models.CharField(max_length=120)
    name_hi = models.CharField(max_length=120, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    # Old names people still use (e.g. Hoshangabad for Narmadapuram).
    aliases = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name_en"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "lgd_code"], condition=~models.Q(lgd_code=""),
                                    name="geo_unique_lgd_per_kind"),
        ]

    def __str__(self) -> str:
        return self.name_en

    def name(self, language: str = "en") -> str:
        return self.name_hi if language == "hi" and self.name_hi else self.name_en

    @property
    def district(self) -> AdminUnit | None:
        unit: AdminUnit | None = self
        while unit is not None and unit.kind != self.Kind.DISTRICT:
            unit = unit.parent
        return unit


class PostOffice(models.Model):
    """An India Post office: its PIN code, district and (where known) coordinates."""

    pincode = models.CharField(max_length=6, db_index=True)
    name = models.CharField(max_length=120)
    office_type = models.CharField(max_length=10, blank=True)  # BO / PO / HO
    delivery = models.BooleanField(default=True)
    district = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="post_offices")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["pincode", "name"]
        constraints = [
            models.UniqueConstraint(fields=["pincode", "name"], name="geo_unique_office"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.pincode}"
