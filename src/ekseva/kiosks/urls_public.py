"""Pages of this area (see urls.py): the public side (locator, a kiosk's page,
official charges, complaints, ratings) and the staff pages of kiosks and complaints."""

from django.urls import path

from . import views_manage, views_public

urlpatterns: list = [
    path("", views_public.locator_page, name="locator"),
    path("k/<str:code>/", views_public.kiosk_page, name="kiosk"),
    path("charges/<str:token>/", views_public.charges, name="charges"),
    path("complain/received/", views_public.complaint_received, name="complaint_received"),
    path("complain/<str:code>/", views_public.complain, name="complain"),
    path("rate/<str:number>/", views_public.rate, name="rate"),
    path("manage/kiosks/", views_manage.kiosks, name="manage_kiosks"),
    path("manage/kiosks/<str:code>/", views_manage.kiosk, name="manage_kiosk"),
    path("manage/kiosks/<str:code>/status/", views_manage.kiosk_status, name="manage_kiosk_status"),
    path("manage/complaints/", views_manage.complaints, name="manage_complaints"),
    path("manage/complaints/<str:reference>/", views_manage.complaint, name="manage_complaint"),
]
