"""The shell in a real browser on a phone-sized screen, in both languages."""

import pytest


def test_home_page_in_english(live_server, page, snap):
    page.goto(f"{live_server.url}/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "ekseva"
    assert page.get_by_role("heading", name="What you can do here").is_visible()
    # Nothing spills sideways on a 390px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "home-en")


@pytest.mark.parametrize("browser_locale", ["hi-IN"])
def test_a_hindi_browser_lands_on_the_hindi_home_page(live_server, page, snap):
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/hi/"
    assert page.locator("html").get_attribute("lang") == "hi"
    assert page.locator("h1").inner_text() == "ई-सेवा"
    assert page.get_by_role("heading", name="आप यहाँ क्या कर सकते हैं").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "home-hi")


def test_language_switch_keeps_the_page(live_server, page, snap):
    page.goto(f"{live_server.url}/en/?tab=2")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="हिन्दी").click()
    page.wait_for_url(f"{live_server.url}/hi/?tab=2")
    assert page.locator("html").get_attribute("lang") == "hi"
    snap(page, "switched-to-hindi")
    page.get_by_role("navigation", name="भाषा").get_by_role("link", name="English").click()
    page.wait_for_url(f"{live_server.url}/en/?tab=2")


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(live_server, page, snap):
    page.goto(f"{live_server.url}/en/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()  # hidden until focused, then shown
    snap(page, "skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_404_in_hindi(live_server, page, snap):
    response = page.goto(f"{live_server.url}/hi/no-such-page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "पृष्ठ नहीं मिला"
    page.get_by_role("link", name="मुखपृष्ठ पर जाएँ").click()
    page.wait_for_url(f"{live_server.url}/hi/")
    snap(page, "back-home")


def test_htmx_loads(live_server, page):
    page.goto(f"{live_server.url}/en/")
    page.wait_for_function("() => window.htmx && window.htmx.version")
    assert page.evaluate("htmx.version").startswith("2.")
