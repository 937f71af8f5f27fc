from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    path("units/<str:code>/children/", views.children, name="children"),
    path("pincode/<str:pin>/", views.pincode, name="pincode"),
]
