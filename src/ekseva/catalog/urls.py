from django.urls import include, path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.index, name="index"),
    # before "<code>/": operator staff screens (a service may not be coded "manage")
    path("manage/", include("ekseva.catalog.manage_urls")),
    path("<slug:code>/", views.detail, name="detail"),
]
