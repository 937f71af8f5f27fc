"""The checks of an application's identity fields, over many inputs: PAN
(python-stdnum), IFSC, bank account number and Aadhaar (Verhoeff check digit:
every single-digit change and every swap of neighbours is caught)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import verhoeff

from ekseva.kiosks import onboarding
from ekseva.kiosks.models import KioskError

LETTERS = string.ascii_uppercase
HOLDERS = "ABCFGHLJPTK"  # the fourth letter of a PAN: the kind of holder


@st.composite
def pans(draw) -> str:
    head = draw(st.text(LETTERS, min_size=3, max_size=3))
    holder = draw(st.sampled_from(HOLDERS))
    initial = draw(st.sampled_from(LETTERS))
    digits = draw(st.integers(1, 9999))
    last = draw(st.sampled_from(LETTERS))
    return f"{head}{holder}{initial}{digits:04d}{last}"


@st.composite
def aadhaars(draw) -> str:
    body = draw(st.sampled_from("23456789")) + draw(st.text("0123456789", min_size=10, max_size=10))
    number = body + verhoeff.calc_check_digit(body)
    if number == number[::-1]:  # Aadhaar numbers are never palindromes
        number = body[:-1] + str((int(body[-1]) + 1) % 10)
        number += verhoeff.calc_check_digit(number)
    return number


@st.composite
def ifscs(draw) -> str:
    bank = draw(st.text(LETTERS, min_size=4, max_size=4))
    branch = draw(st.text(LETTERS + string.digits, min_size=6, max_size=6))
    return f"{bank}0{branch}"


@given(pans())
def test_a_well_formed_pan_is_accepted_in_any_case_and_spacing(pan):
    assert onboarding.clean_pan(pan) == pan
    assert onboarding.clean_pan(f" {pan[:5].lower()} {pan[5:]} ") == pan


@given(pans(), st.sampled_from(sorted(set(LETTERS) - set(HOLDERS))))
def test_a_pan_of_no_known_holder_is_refused(pan, holder):
    with pytest.raises(KioskError) as caught:
        onboarding.clean_pan(pan[:3] + holder + pan[4:])
    assert caught.value.field == "pan"


@given(pans(), st.integers(0, 9), st.sampled_from("0123456789"))
def test_a_pan_with_a_digit_where_a_letter_goes_is_refused(pan, index, digit):
    position = [0, 1, 2, 3, 4, 9][index % 6]
    with pytest.raises(KioskError):
        onboarding.clean_pan(pan[:position] + digit + pan[position + 1 :])


@given(st.text(LETTERS + string.digits, max_size=12).filter(lambda t: len(t) != 10))
def test_a_pan_of_the_wrong_length_is_refused(text):
    with pytest.raises(KioskError):
        onboarding.clean_pan(text)


@given(aadhaars())
def test_a_valid_aadhaar_number_is_accepted_with_or_without_spaces(number):
    assert onboarding.clean_aadhaar(number) == number
    spaced = f"{number[:4]} {number[4:8]} {number[8:]}"
    assert onboarding.clean_aadhaar(spaced) == number


@given(aadhaars(), st.integers(0, 11), st.integers(1, 9))
def test_every_single_digit_change_of_an_aadhaar_number_is_refused(number, position, shift):
    changed = str((int(number[position]) + shift) % 10)
    typo = number[:position] + changed + number[position + 1 :]
    with pytest.raises(KioskError) as caught:
        onboarding.clean_aadhaar(typo)
    assert caught.value.field == "aadhaar"


@given(aadhaars(), st.integers(0, 10))
def test_a_swap_of_neighbouring_aadhaar_digits_is_refused(number, position):
    a, b = number[position], number[position + 1]
    if a == b:
        return  # nothing changes
    swapped = number[:position] + b + a + number[position + 2 :]
    with pytest.raises(KioskError):
        onboarding.clean_aadhaar(swapped)


@given(st.text("0123456789", min_size=0, max_size=20).filter(lambda t: len(t) != 12))
def test_an_aadhaar_number_of_the_wrong_length_is_refused(digits):
    with pytest.raises(KioskError):
        onboarding.clean_aadhaar(digits)


def test_aadhaar_in_devanagari_digits_or_starting_with_0_or_1_is_refused():
    body = "23456789012"
    number = body + verhoeff.calc_check_digit(body)
    devanagari = number.translate(str.maketrans("0123456789", "०१२३४५६७८९"))
    for bad in (devanagari, "0" + number[1:], "1" + number[1:]):
        with pytest.raises(KioskError):
            onboarding.clean_aadhaar(bad)


@given(ifscs())
def test_a_well_formed_ifsc_is_accepted(code):
    assert onboarding.clean_ifsc(code) == code
    assert onboarding.clean_ifsc(code.lower()) == code


@given(ifscs(), st.sampled_from("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
def test_an_ifsc_without_its_zero_is_refused(code, other):
    with pytest.raises(KioskError) as caught:
        onboarding.clean_ifsc(code[:4] + other + code[5:])
    assert caught.value.field == "bank_ifsc"


@given(ifscs(), st.integers(0, 3), st.sampled_from(string.digits))
def test_an_ifsc_whose_bank_has_a_digit_is_refused(code, position, digit):
    with pytest.raises(KioskError):
        onboarding.clean_ifsc(code[:position] + digit + code[position + 1 :])


@given(st.text(LETTERS + string.digits, max_size=14).filter(lambda t: len(t) != 11))
def test_an_ifsc_of_the_wrong_length_is_refused(code):
    with pytest.raises(KioskError):
        onboarding.clean_ifsc(code)


@given(st.text("0123456789", min_size=9, max_size=18))
def test_a_bank_account_of_9_to_18_digits_is_accepted(number):
    assert onboarding.clean_account_number(number) == number
    assert onboarding.clean_account_number(f"{number[:4]} {number[4:]}") == number


@given(
    st.one_of(
        st.text("0123456789", max_size=8),
        st.text("0123456789", min_size=19, max_size=30),
        st.text("0123456789", min_size=8, max_size=17).map(lambda t: t + "X"),
        st.text("०१२३४५६७८९", min_size=9, max_size=18),
    )
)
def test_other_bank_account_numbers_are_refused(number):
    with pytest.raises(KioskError) as caught:
        onboarding.clean_account_number(number)
    assert caught.value.field == "bank_account_number"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("98765 43210", "9876543210"),
        ("+91-9876543210", "9876543210"),
        ("09876543210", "9876543210"),
    ],
)
def test_mobile_numbers_are_normalised(typed, expected):
    assert onboarding.clean_mobile(typed) == expected


@pytest.mark.parametrize("typed", ["12345", "5876543210", "98765432101", "९८७६५४३२१०"])
def test_other_mobile_numbers_are_refused(typed):
    with pytest.raises(KioskError):
        onboarding.clean_mobile(typed)


def test_gst_is_18_percent_rounded_to_the_paisa():
    assert onboarding.gst_on(100_000) == 18_000
    assert onboarding.gst_on(1) == 0
    assert onboarding.gst_on(3) == 1  # 0.54 paise rounds up
    assert onboarding.gst_on(2) == 0  # 0.36 paise rounds down
