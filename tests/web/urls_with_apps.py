"""A URLconf with stand-ins for the accounts and catalog routes the shell links to.

The shell guards every link to another app with ``{% url ... as x %}``; these
routes let the tests see the links appear, whatever state the real apps are in.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import messages
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import include, path

_PAGE = Template('{% extends "web/base.html" %}{% block content %}<h1>Stand-in</h1>{% endblock %}')


def _page(request) -> HttpResponse:
    """A page of another app: it extends the base layout, as theirs do."""
    return HttpResponse(_PAGE.render(RequestContext(request)))


def _flash(request) -> HttpResponse:
    messages.success(request, "Application submitted")
    return _page(request)


accounts = (
    [
        path("signin/", _page, name="signin"),
        path("staff/signin/", _page, name="staff_signin"),
        path("profile/", _page, name="profile"),
        path("signout/", _page, name="signout"),
        path("flash/", _flash, name="flash"),
    ],
    "accounts",
)
catalog = ([path("", _page, name="index")], "catalog")

urlpatterns = i18n_patterns(
    path("", include("ekseva.web.urls")),
    path("account/", include(accounts)),
    path("services/", include(catalog)),
    prefix_default_language=True,
)
