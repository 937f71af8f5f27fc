"""Becoming a franchisee: applying, the review, kiosk logins (views_onboarding)."""

from django.urls import path

from . import views_onboarding as views

urlpatterns = [
    path("apply/", views.apply_info, name="apply"),
    path("apply/new/", views.apply_form, name="apply_form"),
    path("apply/<str:reference>/", views.application_page, name="application"),
    path("apply/<str:reference>/pay/", views.pay, name="application_pay"),
    path("apply/<str:reference>/correct/", views.correct, name="application_correct"),
    path(
        "apply/<str:reference>/documents/<str:document_id>/",
        views.applicant_document,
        name="application_document",
    ),
    path("activate/<str:token>/", views.activate, name="activate"),
    path("operators/", views.operators, name="operators"),
    path("operators/add/", views.operator_add, name="operator_add"),
    path("operators/<int:pk>/deactivate/", views.operator_deactivate, name="operator_deactivate"),
    path("operators/<int:pk>/resend/", views.operator_resend, name="operator_resend"),
    path("manage/applications/", views.manage_list, name="manage_applications"),
    path(
        "manage/applications/<str:reference>/",
        views.manage_detail,
        name="manage_application",
    ),
    path(
        "manage/applications/<str:reference>/documents/<str:document_id>/",
        views.manage_document,
        name="manage_application_document",
    ),
    path(
        "manage/applications/<str:reference>/resend/",
        views.manage_resend,
        name="manage_application_resend",
    ),
]
