import pytest

from ekseva.core.phone import indian_mobile


@pytest.mark.parametrize(
    "raw", ["9876543210", "+91 98765 43210", "919876543210", "09876543210", "(98765)-43210"]
)
def test_accepts_the_ways_people_type_a_mobile(raw):
    assert indian_mobile(raw) == "9876543210"


@pytest.mark.parametrize("raw", ["", None, "5876543210", "987654321", "९८७६५४३२१०", "98765a3210"])
def test_refuses_what_is_not_an_indian_mobile(raw):
    assert indian_mobile(raw) is None
