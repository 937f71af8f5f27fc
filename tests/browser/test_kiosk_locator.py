"""The kiosk locator's "use my location" on a phone: the button appears only with
JavaScript and geolocation, fills the point and submits."""

from __future__ import annotations

import pytest

from tests.kiosks.conftest import make_kiosk, places  # noqa: F401  (fixtures)
from tests.kiosks.test_locator import near, offices  # noqa: F401  (fixtures)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_use_my_location_on_a_phone(browser, live_server, make_kiosk, offices):  # noqa: F811
    """The button appears only with JavaScript and geolocation; it fills the point
    and submits, and the nearest kiosk to the phone comes first."""
    close = make_kiosk(business_name="Close Kendra", **near(1))
    far = make_kiosk(business_name="Far Kendra", **near(9))
    phone = near(8.5)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        geolocation={"latitude": float(phone["latitude"]), "longitude": float(phone["longitude"])},
        permissions=["geolocation"],
        locale="hi-IN",
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/hi/kiosks/")
        page.get_by_role("button", name="मेरी लोकेशन इस्तेमाल करें").click()
        page.wait_for_url("**lat=**")
        assert page.locator("li[data-code]").evaluate_all(
            "items => items.map(item => item.dataset.code)"
        ) == [far.code, close.code]
        assert "आपकी लोकेशन के सबसे पास के कियोस्क" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
