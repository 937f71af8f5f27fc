"""Public tracking at /<lang>/track/ (``applications:track``): no sign-in needed.

Included from ``ekseva.urls`` next to ``/<lang>/applications/`` inside the one
"applications" namespace (a namespace included twice cannot be reversed)."""

from django.urls import path

from ekseva.core import captcha

from . import views_public as views

urlpatterns = [
    path("", views.track, name="track"),
    # The form's captcha picture, drawn from its signed key (core.captcha).
    path("captcha/<str:key>/", captcha.image, name="track_captcha"),
]
