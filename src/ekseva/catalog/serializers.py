"""Read-only representations of the catalogue for API clients."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ekseva.forms.schema import json_schema

from . import fees
from .models import Service
from .rules import form_of


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_en = serializers.CharField()
    name_hi = serializers.CharField()
    kind = serializers.CharField()


class ServiceListSerializer(serializers.ModelSerializer):
    department = DepartmentRefSerializer()
    category = serializers.CharField(source="current_version.category")
    channels = serializers.ListField(
        child=serializers.CharField(), source="current_version.channels"
    )
    deliverable = serializers.CharField(source="current_version.deliverable")
    opens = serializers.DateField(source="current_version.opens", allow_null=True)
    closes = serializers.DateField(source="current_version.closes", allow_null=True)
    version = serializers.IntegerField(source="current_version.number")

    class Meta:
        model = Service
        fields = [
            "code",
            "name_en",
            "name_hi",
            "keywords_en",
            "keywords_hi",
            "department",
            "category",
            "channels",
            "deliverable",
            "opens",
            "closes",
            "version",
        ]


class FeeRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label_en = serializers.CharField()
    label_hi = serializers.CharField()
    amount_paise = serializers.IntegerField(allow_null=True)
    condition = serializers.CharField(allow_blank=True)
    rule = serializers.CharField()


class ServiceDetailSerializer(ServiceListSerializer):
    time_limit = serializers.SerializerMethodField()
    fees = serializers.SerializerMethodField()
    form_schema = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    eligibility = serializers.SerializerMethodField()

    class Meta(ServiceListSerializer.Meta):
        fields = [
            *ServiceListSerializer.Meta.fields,
            "time_limit",
            "fees",
            "documents",
            "eligibility",
            "form_schema",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_time_limit(self, service: Service) -> dict[str, Any]:
        version = service.current_version
        return {"days": version.time_limit_days, "kind": version.time_limit_kind}

    @extend_schema_field(FeeRowSerializer(many=True))
    def get_fees(self, service: Service) -> list[dict[str, Any]]:
        return [row.__dict__ for row in fees.schedule(service.current_version)]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_form_schema(self, service: Service) -> dict[str, Any]:
        language = self.context.get("language", "en")
        return json_schema(form_of(service.current_version), language)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_documents(self, service: Service) -> list[dict[str, Any]]:
        return service.current_version.definition.get("documents", [])

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_eligibility(self, service: Service) -> dict[str, Any]:
        return service.current_version.definition.get("eligibility") or {}
