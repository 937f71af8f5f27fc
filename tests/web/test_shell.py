"""The base layout and home page, in both languages."""

import re
from pathlib import Path

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

STANDIN_URLS = "tests.web.urls_with_apps"


@pytest.mark.parametrize(
    ("lang", "portal", "state", "heading"),
    [
        ("en", "ekseva", "Madhya Pradesh", "What you can do here"),
        ("hi", "ई-सेवा", "मध्य प्रदेश", "आप यहाँ क्या कर सकते हैं"),
    ],
)
def test_home_page_in_each_language(client, lang, portal, state, heading, assert_accessible):
    response = client.get(f"/{lang}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert re.search(rf"<h1[^>]*>{portal}</h1>", html)
    assert f'<span class="brand-state">{state}</span>' in html
    assert heading in html
    assert_accessible(response)


def test_portal_and_state_names_come_from_settings(client):
    with override_settings(EKSEVA_PORTAL_NAME="Seva Setu", EKSEVA_STATE_NAME_HI="राजस्थान"):
        assert "Seva Setu" in client.get("/en/").content.decode()
        assert "राजस्थान" in client.get("/hi/").content.decode()


def test_root_redirects_to_a_language(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_hindi_browser_is_sent_to_hindi(client):
    response = client.get("/", headers={"accept-language": "hi-IN,hi;q=0.9"})
    assert response["Location"] == "/hi/"


@override_settings(ROOT_URLCONF=STANDIN_URLS)
def test_language_switch_keeps_page_and_query(client):
    html = client.get("/en/account/profile/?x=1").content.decode()
    assert 'href="/hi/account/profile/?x=1" lang="hi" hreflang="hi">हिन्दी</a>' in html
    back = client.get("/hi/account/profile/?x=1").content.decode()
    assert 'href="/en/account/profile/?x=1" lang="en" hreflang="en">English</a>' in back


def test_language_switch_on_the_page_points_to_the_other_language(client):
    html = client.get("/hi/?tab=2").content.decode()
    assert 'href="/en/?tab=2" lang="en" hreflang="en">English</a>' in html
    assert '<span aria-current="true" lang="hi">हिन्दी</span>' in html


def test_language_switch_on_a_404_swaps_the_prefix(client):
    html = client.get("/en/no/such/page/?q=1").content.decode()
    assert 'href="/hi/no/such/page/?q=1"' in html


@override_settings(ROOT_URLCONF=STANDIN_URLS)
def test_anonymous_nav_offers_sign_in(client):
    html = client.get("/en/").content.decode()
    assert 'href="/en/account/signin/">Sign in</a>' in html
    assert 'href="/en/account/staff/signin/">Staff sign in</a>' in html
    assert 'href="/en/services/">Services</a>' in html
    assert "Sign out" not in html and ">Profile<" not in html


@override_settings(ROOT_URLCONF="tests.web.urls_shell_only")
@pytest.mark.parametrize("path", ["/en/", "/hi/", "/hi/missing/"])
def test_pages_render_before_other_apps_have_routes(client, path, assert_accessible):
    response = client.get(path)
    assert response.status_code in {200, 404}
    html = response.content.decode()
    assert "/account/" not in html and "/services/" not in html
    assert_accessible(response)


@override_settings(ROOT_URLCONF=STANDIN_URLS)
def test_signed_in_nav_offers_profile_and_a_post_sign_out(
    client, django_user_model, assert_accessible
):
    user = django_user_model.objects.create_user("9876543210", mobile="9876543210")
    client.force_login(user)
    response = client.get("/hi/")
    assert_accessible(response)
    html = response.content.decode()
    assert 'href="/hi/account/profile/">प्रोफ़ाइल</a>' in html
    form = re.search(r'<form[^>]*action="/hi/account/signout/"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'method="post"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert "साइन आउट" in form.group(1)
    assert 'href="/hi/account/signin/"' not in html
    assert 'href="/hi/account/profile/">अपनी प्रोफ़ाइल पर जाएँ</a>' in html


@override_settings(ROOT_URLCONF=STANDIN_URLS)
def test_messages_are_shown_once_in_a_status_region(client):
    html = client.get("/en/account/flash/").content.decode()
    region = re.search(r'<div class="messages" role="status"[^>]*>(.*?)</div>', html, re.S)
    assert region and "Application submitted" in region.group(1)
    assert 'class="message message-success"' in region.group(1)
    again = client.get("/en/account/profile/").content.decode()
    assert "Application submitted" not in again


def test_htmx_is_vendored_and_deferred(client):
    from django.contrib.staticfiles import finders

    html = client.get("/en/").content.decode()
    assert re.search(r'<script src="/static/web/vendor/htmx-2\.0\.11\.min\.js" defer>', html)
    path = finders.find("web/vendor/htmx-2.0.11.min.js")
    assert path and "htmx" in Path(path).read_text(encoding="utf-8")[:200]
    # No asset from another origin: the portal works on a closed network.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_stylesheet_has_no_external_imports():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("web/site.css")).read_text(encoding="utf-8")
    assert "@import" not in css and "url(" not in css
    assert ":focus-visible" in css and "@media (min-width" in css


def test_menu_offers_tracking_to_all_and_my_applications_when_signed_in(client, db):
    from ekseva.accounts.models import User

    page = client.get("/hi/").content.decode()
    assert 'href="/hi/track/"' in page and 'href="/hi/applications/"' not in page
    client.force_login(User.objects.create_citizen("9876511111"))
    page = client.get("/en/").content.decode()
    assert 'href="/en/track/"' in page and 'href="/en/applications/"' in page
