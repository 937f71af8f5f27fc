"""404, 500 and the health probe."""

import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import RequestFactory, override_settings
from django.urls import path

from ekseva import urls as project_urls
from ekseva.web import views

from . import a11y


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "title"), [("en", "Page not found"), ("hi", "पृष्ठ नहीं मिला")])
def test_404_in_each_language(client, lang, title, assert_accessible):
    response = client.get(f"/{lang}/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{title}</h1>" in html
    assert f'href="/{lang}/"' in html
    assert_accessible(response)


@pytest.mark.parametrize(
    ("path", "lang", "title"),
    [
        ("/en/services/x/", "en", "Something went wrong"),
        ("/hi/services/x/?a=1", "hi", "कुछ गड़बड़ हो गई"),
        ("/api/v1/whatever", "en", "Something went wrong"),
    ],
)
def test_500_renders_without_the_database(path, lang, title):
    # No django_db mark: pytest-django fails the test if anything touches the database.
    request = RequestFactory().get(path)
    request.request_id = "abc123"
    response = views.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{title}</h1>" in html
    assert "<code>abc123</code>" in html
    assert f'href="/{lang}/"' in html
    assert a11y.problems(html) == []


def test_500_offers_the_same_page_in_the_other_language():
    request = RequestFactory().get("/en/no-such-page/?a=1")
    html = views.server_error(request).content.decode()
    assert 'href="/hi/no-such-page/?a=1"' in html


def _boom(request):
    raise RuntimeError("kaput")


urlpatterns = [path("hi/boom/", _boom), *project_urls.urlpatterns]
handler500 = "ekseva.web.views.server_error"


@override_settings(ROOT_URLCONF=__name__)
def test_an_unhandled_error_gives_the_500_page(client):
    client.raise_request_exception = False
    response = client.get("/hi/boom/")
    assert response.status_code == 500
    assert "कुछ गड़बड़ हो गई" in response.content.decode()


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = json.loads(response.content)
    assert body == {"status": "ok", "database": body["database"]}
    assert body["database"] in {"sqlite", "postgresql"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client):
    with mock.patch.object(views.connection, "cursor", side_effect=OperationalError("db down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error", "database": "unavailable"}


@pytest.mark.django_db
def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


def test_livez_answers_without_the_database(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert client.post("/livez").status_code == 405
