"""Public, read-only catalogue API: list/search services and one service in full."""

from __future__ import annotations

from django.http import Http404
from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from . import selectors
from .models import Category
from .serializers import ServiceDetailSerializer, ServiceListSerializer


@extend_schema(
    parameters=[
        OpenApiParameter("category", str, enum=Category.values, description="service category"),
        OpenApiParameter("department", str, description="department code, e.g. ESB"),
        OpenApiParameter("district", str, description="district code, e.g. district:435"),
        OpenApiParameter("q", str, description="words of the name or keywords, English or Hindi"),
    ]
)
class ServiceListAPI(generics.ListAPIView):
    """Services people can apply for now, filtered and searched."""

    permission_classes = [AllowAny]
    serializer_class = ServiceListSerializer

    def get_queryset(self):
        params = self.request.query_params
        category = params.get("category", "")
        return selectors.search_services(
            selectors.Filters(
                category=category if category in Category.values else "",
                department=params.get("department", "")[:20],
                district=params.get("district", "")[:40],
                q=params.get("q", "")[:100],
            )
        )


class ServiceDetailAPI(generics.RetrieveAPIView):
    """One service with its current version: fees, documents, eligibility and form schema."""

    permission_classes = [AllowAny]
    serializer_class = ServiceDetailSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.live_services()

    def get_object(self):
        service = selectors.get_live_service(self.kwargs["code"])
        if service is None:
            raise Http404
        return service

    def get_serializer_context(self):
        lang = self.request.query_params.get("lang") or translation.get_language() or "en"
        return {**super().get_serializer_context(), "language": "hi" if lang == "hi" else "en"}
