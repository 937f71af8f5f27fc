from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signin/otp/", views.signin_otp, name="signin_otp"),
    path("signout/", views.signout, name="signout"),
    path("profile/", views.profile, name="profile"),
    path("profile/edit/", views.profile_edit, name="profile_edit"),
    path("staff/signin/", views.staff_signin, name="staff_signin"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/citizens/<int:user_id>/", views.citizen_profile, name="citizen_profile"),
]
