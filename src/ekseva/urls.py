from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from ekseva.applications import urls as applications_urls
from ekseva.certificates import urls as certificates_urls
from ekseva.web import views as web_views

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("ekseva.catalog.api_urls")),
    path("payments/", include("ekseva.payments.api_urls")),
]

applications_routes = [
    path("applications/", include(applications_urls.urlpatterns)),
    path("track/", include("ekseva.applications.urls_public")),
]

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("livez", web_views.livez, name="livez"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("captcha/", include("captcha.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Gateways call these server to server: no language prefix, no session.
    path("payments/webhooks/", include("ekseva.payments.webhook_urls")),
    # What a certificate's QR code carries (/verify/?p=…): to the reader's language.
    path("", include((certificates_urls.qr_urlpatterns, "certificates_qr"))),
]

urlpatterns += i18n_patterns(
    path("", include("ekseva.web.urls")),
    path("account/", include("ekseva.accounts.urls")),
    path("services/", include("ekseva.catalog.urls")),
    path("geo/", include("ekseva.geo.urls")),
    path("payments/", include("ekseva.payments.urls")),
    path("kiosks/", include("ekseva.kiosks.urls")),
    # /<lang>/office/: the back office (inbox, cases, appeals, figures, time limits)
    # and the applicant's corrections of a returned application (workflow.urls).
    path("office/", include("ekseva.workflow.urls")),
    # One "applications" namespace over two prefixes: the applicant's pages under
    # /<lang>/applications/ and public tracking at /<lang>/track/ (applications:track).
    # Django cannot reverse names in a namespace that is included twice, so both
    # prefixes live in this one include; do not include ekseva.applications.urls again.
    path("", include((applications_routes, "applications"))),
    # /<lang>/verify/ (public) and /<lang>/certificates/ (holder, department).
    path("", include("ekseva.certificates.urls")),
    # /<lang>/performance/: the public figures under the Act (performance:index).
    path("performance/", include("ekseva.workflow.urls_public")),
    path("dev/", include("ekseva.notifications.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=True,
)

handler404 = "ekseva.web.views.page_not_found"
handler500 = "ekseva.web.views.server_error"
