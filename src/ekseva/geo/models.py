"""Administrative units (state → district → tehsil → block → village / town → ward)
and post offices with their PIN codes and coordinates."""

from __future__ import annotations

from django.db import models

from ekseva.core.models import BilingualName


class AdminUnit(BilingualName, models.Model):
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
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Old names people still use (e.g. Hoshangabad for Narmadapuram).
    aliases = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    # Revenue division (districts only), e.g. "Narmadapuram".
    division = models.CharField(max_length=60, blank=True)
    # Case-folded names and aliases in both scripts, for search_units(); kept by
    # build_search_text() because bulk writes bypass save().
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name_en"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "lgd_code"],
                condition=~models.Q(lgd_code=""),
                name="geo_unique_lgd_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    def save(self, *args, **kwargs) -> None:
        self.search_text = self.build_search_text()
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        """One lower-case line of every name the unit is known by (JSON text
        would escape Devanagari on SQLite, so aliases are not searched there)."""
        names = [self.name_en, self.name_hi, *(self.aliases or [])]
        return " | ".join(n.casefold() for n in names if n)

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


class GeoDataset(models.Model):
    """What was last loaded from a bundled data source, so that seeding on every
    start can tell in a few milliseconds that nothing changed."""

    key = models.CharField(max_length=60, unique=True)
    checksum = models.CharField(max_length=64)
    counts = models.JSONField(default=dict)
    loaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} {self.checksum[:12]}"
