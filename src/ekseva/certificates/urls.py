"""Certificate pages (namespace ``certificates``), mounted once inside
i18n_patterns at the root of the language (``path("", include(...))``):

    /<lang>/verify/                       the public check (form, ?p=<QR payload>, PDF)
    /<lang>/verify/<number>/              one number checked
    /<lang>/certificates/<number>/pdf     the signed PDF (holder, department)
    /<lang>/certificates/manage/          the department's certificates
    /<lang>/certificates/manage/keys/     signing keys (operator staff)

``qr_urlpatterns`` are mounted without a language (what a QR code and the
printed text carry): /verify/?p=… and /verify/<number> redirect to the page in
the reader's language.
"""

from django.urls import path, re_path

from . import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verify_page, name="verify"),
    path("verify/<str:number>/", views.verify_number, name="verify_number"),
    path("certificates/<str:number>/pdf", views.certificate_pdf, name="pdf"),
    path("certificates/manage/", views.manage_list, name="manage_list"),
    path("certificates/manage/keys/", views.keys_page, name="keys"),
    path("certificates/manage/keys/<str:department>/rotate/", views.rotate, name="rotate"),
    path("certificates/manage/<str:number>/", views.manage_detail, name="manage_detail"),
    path("certificates/manage/<str:number>/revoke/", views.manage_revoke, name="manage_revoke"),
]

qr_urlpatterns = [
    path("verify/", views.from_qr, name="qr"),
    re_path(r"^verify/(?P<number>[^/]{1,60})/?$", views.from_qr, name="qr_number"),
]
