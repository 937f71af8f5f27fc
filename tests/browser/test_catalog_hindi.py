"""A person finds a service by its Hindi name and reads its page in Hindi, on a phone."""

import pytest

from ekseva.catalog import demo


@pytest.mark.browser
@pytest.mark.parametrize("browser_locale", ["hi-IN"])
def test_find_the_domicile_certificate_by_its_hindi_name(live_server, page, snap):
    demo.load()
    page.goto(f"{live_server.url}/hi/services/")
    search = page.get_by_label("नाम से खोजें, अंग्रेज़ी या हिन्दी में")
    search.fill("मूल निवासी")
    snap(page, "typed-hindi-name")
    search.press("Enter")
    page.wait_for_url("**/hi/services/?q=*")
    result = page.get_by_role("link", name="मूल निवासी प्रमाण पत्र")
    assert result.is_visible()
    snap(page, "results")
    result.click()
    page.wait_for_url(f"{live_server.url}/hi/services/lsg-domicile-certificate/")
    assert page.locator("html").get_attribute("lang") == "hi"
    assert page.locator("h1").inner_text() == "मूल निवासी प्रमाण पत्र"
    assert page.get_by_role("heading", name="शुल्क").is_visible()
    assert page.get_by_role("link", name="आवेदन करें").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "service-page-hi")
