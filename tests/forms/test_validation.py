"""validate(): each field type, each rule kind, steps, messages in Hindi."""

import datetime as dt

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import verhoeff

from ekseva.accounts.services import aadhaar_token
from ekseva.forms.definition import parse_form
from ekseva.forms.validation import jsonable, normalise_mobile, validate

from .conftest import t

CUTOFF = {"cutoff_date": dt.date(2026, 1, 1)}


def one(ftype, **extra):
    data = {
        "steps": [
            {
                "id": "s",
                "title": t("S", "स"),
                "fields": [{"id": "x", "type": ftype, "label": t("X", "एक्स"), **extra}],
            }
        ]
    }
    return parse_form(data)


def check(defn, value, language="en"):
    result = validate(defn, {"x": value}, language=language)
    return result.cleaned.get("x"), result.errors.get("x")


# -- field types -------------------------------------------------------------------------


def test_text_script_length_pattern():
    latin = one("text", script="latin", min_length=2, max_length=10)
    assert check(latin, "  Ram   Kumar ") == ("Ram Kumar", None)
    assert check(latin, "राम") == (None, ["Use English (Roman) letters."])
    assert check(latin, "R") == (None, ["Enter at least 2 characters."])
    assert check(latin, "R" * 11) == (None, ["Enter at most 10 characters."])
    hindi = one("text", script="devanagari")
    assert check(hindi, "राम कुमार") == ("राम कुमार", None)
    assert check(hindi, "Ram", "hi") == (None, ["हिन्दी (देवनागरी) अक्षरों का प्रयोग करें।"])
    pattern = one("text", pattern="[A-Z]{2}[0-9]{4}")
    assert check(pattern, "AB1234") == ("AB1234", None)
    assert check(pattern, "AB12345") == (None, ["Enter the value in the required format."])
    custom = one("text", pattern="[0-9]+", pattern_message=t("Digits only", "केवल अंक"))
    assert check(custom, "x", "hi") == (None, ["केवल अंक"])
    assert check(latin, {"a": 1}) == (None, ["Enter a valid value."])


def test_textarea_keeps_lines():
    assert check(one("textarea"), "line one  \r\nline two") == ("line one\nline two", None)


def test_number_whole_and_decimal():
    whole = one("number", min=0, max=100)
    assert check(whole, "42") == (42, None)
    assert check(whole, 42) == (42, None)
    assert check(whole, "1,00") == (100, None)
    assert check(whole, "4.5") == (None, ["Enter a whole number."])
    assert check(whole, "abc") == (None, ["Enter a number."])
    assert check(whole, "NaN") == (None, ["Enter a number."])
    assert check(whole, True) == (None, ["Enter a number."])
    assert check(whole, "-1") == (None, ["Enter 0 or more."])
    assert check(whole, "101", "hi") == (None, ["100 या उससे कम दर्ज करें।"])
    dec = one("number", decimals=2)
    assert check(dec, "88.50") == (88.5, None)
    assert check(dec, "88.555") == (None, ["Enter at most 2 digits after the decimal point."])


def test_date(frozen_clock):
    d = one("date", min="2000-01-01", max="today")
    assert check(d, "2010-05-17") == (dt.date(2010, 5, 17), None)
    assert check(d, "17/05/2010") == (dt.date(2010, 5, 17), None)
    assert check(d, dt.date(2010, 5, 17)) == (dt.date(2010, 5, 17), None)
    assert check(d, "31/02/2010") == (None, ["Enter a valid date (DD/MM/YYYY)."])
    assert check(d, "2010-5-1") == (None, ["Enter a valid date (DD/MM/YYYY)."])
    assert check(d, "1999-12-31") == (None, ["Enter a date on or after 01/01/2000."])
    assert check(d, "2026-06-16", "hi") == (
        None,
        ["16/06/2026 या उससे पहले की तिथि दर्ज करें।"][:0] or ["15/06/2026 या उससे पहले की तिथि दर्ज करें।"],
    )


def test_choice_multichoice_yesno():
    opts = [{"value": v, "label": t(v, v)} for v in ("a", "b", "c")]
    c = one("choice", options=opts)
    assert check(c, "b") == ("b", None)
    assert check(c, "z") == (None, ["Select one of the options."])
    m = one("multichoice", options=opts, min_items=1, max_items=2)
    assert check(m, ["a", "b", "a"]) == (["a", "b"], None)
    assert check(m, "c") == (["c"], None)
    assert check(m, ["a", "b", "c"]) == (None, ["Select at most 2."])
    assert check(m, ["a", "z"]) == (None, ["Select one of the options."])
    assert check(m, [""]) == (None, ["This field is required."])  # min_items 1
    assert check(one("multichoice", options=opts), [""]) == (None, None)  # optional
    yn = one("yesno")
    assert [check(yn, v)[0] for v in (True, "yes", "No", "0", "हाँ")] == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert check(yn, "maybe") == (None, ["Answer yes or no."])


def test_email():
    e = one("email")
    assert check(e, "Ram.K@Example.COM") == ("Ram.K@example.com", None)
    assert check(e, "ram@") == (None, ["Enter a valid email address."])


@given(
    st.sampled_from("6789"),
    st.text("0123456789", min_size=9, max_size=9),
    st.sampled_from(["", "+91", "+91 ", "91", "0", "+91-"]),
)
def test_mobile_accepts_prefixes_and_normalises(first, rest, prefix):
    number = first + rest
    assert normalise_mobile(prefix + number) == number
    assert normalise_mobile(prefix + number[:5] + " " + number[5:]) == number


@given(st.text("0123456789+ -", max_size=14))
def test_mobile_refuses_what_is_not_an_indian_mobile(text):
    result = normalise_mobile(text)
    assert result is None or (len(result) == 10 and result[0] in "6789" and result.isdigit())
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) < 10:
        assert result is None


def test_mobile_field_messages():
    m = one("mobile")
    assert check(m, "+91 98765 43210") == ("9876543210", None)
    assert check(m, "5876543210") == (
        None,
        ["Enter a 10-digit mobile number starting with 6, 7, 8 or 9."],
    )
    assert check(m, "98765", "hi")[1] == ["6, 7, 8 या 9 से शुरू होने वाला 10 अंकों का मोबाइल नंबर दर्ज करें।"]


@given(st.integers(100000, 999999))
def test_pincode_six_digits_first_not_zero(pin):
    assert check(one("pincode"), str(pin)) == (str(pin), None)
    assert check(one("pincode"), "0" + str(pin)[1:])[1] == ["Enter a 6-digit PIN code."]


def test_pincode_bad_lengths():
    p = one("pincode")
    for bad in ("12345", "1234567", "12a456"):
        assert check(p, bad)[1] == ["Enter a 6-digit PIN code."]


aadhaar_numbers = st.builds(
    lambda first, rest: (first + rest) + verhoeff.calc_check_digit(first + rest),
    st.sampled_from("23456789"),
    st.text("0123456789", min_size=10, max_size=10),
).filter(lambda n: n != n[::-1])


@given(aadhaar_numbers)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_aadhaar_valid_is_tokenised_never_clear(number):
    cleaned, errors = check(one("aadhaar"), f"{number[:4]} {number[4:8]} {number[8:]}")
    assert errors is None
    assert cleaned == {"token": aadhaar_token(number), "last4": number[-4:]}
    assert number not in repr(cleaned)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert check(one("aadhaar"), wrong)[1] == ["Enter a valid 12-digit Aadhaar number."]


@override_settings(AADHAAR_HMAC_KEY="another-key")
def test_aadhaar_token_depends_on_key():
    cleaned, _ = check(one("aadhaar"), "234123412346")
    assert cleaned["token"] == aadhaar_token("234123412346")
    with override_settings(AADHAAR_HMAC_KEY="k2"):
        assert check(one("aadhaar"), "234123412346")[0]["token"] != cleaned["token"]


def test_aadhaar_saved_token_is_accepted_back():
    token = {"token": "a" * 64, "last4": "2346"}
    assert check(one("aadhaar"), token) == (token, None)
    assert check(one("aadhaar"), {"token": "xyz", "last4": "1"})[1] == [
        "Enter a valid 12-digit Aadhaar number."
    ]


pans = st.builds(
    lambda a, kind, b, digits, c: a + kind + b + digits + c,
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    st.sampled_from("ABCFGHJLPT"),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1),
    st.integers(1, 9999).map(lambda n: f"{n:04d}"),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=1),
)


@given(pans)
def test_pan_valid_uppercased(pan):
    assert check(one("pan"), pan.lower()) == (pan, None)
    assert check(one("pan"), pan[:4] + "1" + pan[5:])[1] == ["Enter a valid PAN (like ABCPE1234F)."]


ifscs = st.builds(
    lambda bank, branch: bank + "0" + branch,
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=4),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=6),
)


@given(ifscs)
def test_ifsc(code):
    assert check(one("ifsc"), code.lower()) == (code, None)
    assert check(one("ifsc"), code[:4] + "1" + code[5:])[1] == [
        "Enter a valid IFSC (11 characters, like SBIN0001234)."
    ]
    assert check(one("ifsc"), code[:10])[1] is not None


def test_file_declared_constraints():
    photo = one("file", file={"allowed": ["jpeg", "png"], "max_kb": 100})
    ok = {"name": "me.JPG", "size": 50_000}
    assert check(photo, ok) == (ok, None)
    assert check(photo, {"name": "me.pdf", "size": 10}) == (
        None,
        ["Upload a file of type JPEG, PNG."],
    )
    assert check(photo, {"name": "me.png", "size": 200_000}) == (
        None,
        ["The file must be at most 100 KB."],
    )
    assert check(photo, "me.png") == (None, ["Upload a valid file."])

    assert check(one("file"), {"name": "big.pdf", "size": 6 * 1024 * 1024})[1] == [
        "The file must be at most 5120 KB."
    ]


def png(width, height):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_uploaded_file_is_checked_by_content():
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = one(
        "file",
        file={"allowed": ["png"], "max_kb": 100, "dims": {"min_width": 100, "max_width": 400}},
    )
    upload = SimpleUploadedFile("me.png", png(200, 230), content_type="image/png")
    assert check(photo, upload) == (upload, None)
    assert jsonable({"x": upload}) == {"x": {"name": "me.png", "size": upload.size}}
    small = SimpleUploadedFile("me.png", png(50, 50), content_type="image/png")
    assert check(photo, small)[1] is not None
    fake = SimpleUploadedFile("me.png", b"%PDF-1.4 not a png", content_type="image/png")
    english, hindi = check(photo, fake)[1], check(photo, fake, "hi")[1]
    assert english and hindi and english != hindi


# -- administrative units and PINs ---------------------------------------------------------


ADDRESS = {
    "steps": [
        {
            "id": "a",
            "title": t("A", "अ"),
            "fields": [
                {
                    "id": "district",
                    "type": "district",
                    "label": t("District", "ज़िला"),
                    "required": True,
                },
                {
                    "id": "tehsil",
                    "type": "tehsil",
                    "label": t("Tehsil", "तहसील"),
                    "depends_on": "district",
                },
                {
                    "id": "village",
                    "type": "village",
                    "label": t("Village", "गाँव"),
                    "depends_on": "tehsil",
                },
                {
                    "id": "pin",
                    "type": "pincode",
                    "label": t("PIN", "पिन"),
                    "district_field": "district",
                },
            ],
        }
    ]
}


@pytest.mark.django_db
def test_admin_unit_pickers_are_dependent(places):
    defn = parse_form(ADDRESS)
    good = {
        "district": "district:415",
        "tehsil": "tehsil:3401",
        "village": "village:482001",
        "pin": "462001",
    }
    assert validate(defn, good).errors == {}
    assert validate(defn, good).cleaned == good
    wrong = validate(defn, {**good, "tehsil": "tehsil:3501", "village": "village:482002"})
    assert wrong.errors == {
        "tehsil": ["This place is not in the one selected above."],
        "village": ["This place is not in the one selected above."],
    }
    village_elsewhere = validate(defn, {**good, "village": "village:482002"})
    assert village_elsewhere.errors == {"village": ["This place is not in the one selected above."]}
    assert validate(defn, {**good, "tehsil": "district:426"}).errors["tehsil"] == [
        "Select a place from the list."
    ]
    assert validate(defn, {"district": "district:999"}).errors["district"] == [
        "Select a place from the list."
    ]  # inactive
    assert validate(defn, {"district": "nowhere"}, language="hi").errors["district"] == [
        "सूची में से स्थान चुनें।"
    ]
    no_district = validate(defn, {"tehsil": "tehsil:3401"})
    assert no_district.errors["tehsil"] == ["This place is not in the one selected above."]


@pytest.mark.django_db
def test_pincode_inside_chosen_district(places):
    defn = parse_form(ADDRESS)
    assert validate(defn, {"district": "district:426", "pin": "452001"}).errors == {}
    result = validate(defn, {"district": "district:426", "pin": "462001"}, language="hi")
    assert result.errors == {"pin": ["यह पिन कोड चुने गए ज़िले में नहीं है।"]}


# -- rules ----------------------------------------------------------------------------------


def test_visible_if_hides_and_drops(defn):
    data = {"category": "GEN", "caste_certificate_no": "SC/123"}
    result = validate(defn, data, step="applicant", context=CUTOFF)
    assert "caste_certificate_no" not in result.cleaned
    assert "caste_certificate_no" not in result.errors
    shown = validate(defn, {"category": "SC"}, step="applicant", context=CUTOFF)
    assert shown.errors["caste_certificate_no"] == ["This field is required."]
    bad = validate(
        defn,
        {"category": "SC", "caste_certificate_no": "x"},
        step="applicant",
        context=CUTOFF,
        language="hi",
    )
    assert bad.errors["caste_certificate_no"] == ["अक्षर, अंक, / और -"]


def test_hidden_field_hides_its_dependants():
    data = {
        "steps": [
            {
                "id": "s",
                "title": t("S", "स"),
                "fields": [
                    {"id": "a", "type": "yesno", "label": t("A", "अ")},
                    {"id": "b", "type": "yesno", "label": t("B", "ब"), "visible_if": "a"},
                    {
                        "id": "c",
                        "type": "text",
                        "label": t("C", "स"),
                        "visible_if": "b",
                        "required": True,
                    },
                ],
            }
        ]
    }
    defn = parse_form(data)
    assert validate(defn, {"a": "no", "b": "yes"}).errors == {}
    assert validate(defn, {"a": "no", "b": "yes"}).cleaned == {"a": False}
    assert validate(defn, {"a": "yes", "b": "yes"}).errors == {"c": ["This field is required."]}


def test_required_if(defn):
    result = validate(defn, {"disabled": "yes"}, step="applicant", context=CUTOFF)
    assert result.errors["disability_percent"] == ["This field is required."]
    result = validate(defn, {"disabled": "no"}, step="applicant", context=CUTOFF)
    assert "disability_percent" not in result.errors


def test_computed_age_ignores_client_value(defn):
    data = {"date_of_birth": "2008-01-02", "age": 99}
    result = validate(defn, data, step="applicant", context=CUTOFF)
    assert result.cleaned["age"] == 17
    result = validate(defn, {"date_of_birth": "2008-01-01"}, step="applicant", context=CUTOFF)
    assert result.cleaned["age"] == 18
    assert "age" not in validate(defn, {}, step="applicant", context=CUTOFF).cleaned


def test_cross_field_validation_runs_when_fields_valid(defn):
    young = validate(
        defn, {"date_of_birth": "2010-01-01"}, step="applicant", context=CUTOFF, language="hi"
    )
    assert young.errors["date_of_birth"] == ["कट-ऑफ तिथि पर आपकी आयु कम से कम 17 वर्ष होनी चाहिए।"]
    invalid = validate(defn, {"date_of_birth": "2010-13-01"}, step="applicant", context=CUTOFF)
    assert invalid.errors["date_of_birth"] == ["Enter a valid date (DD/MM/YYYY)."]


def test_cross_field_waits_for_its_step(defn):
    # family_income is on step 2: the income rule does not run on step 1.
    first = validate(
        defn, {"category": "SC", "family_income": 900000}, step="applicant", context=CUTOFF
    )
    assert "family_income" not in first.errors
    second = validate(
        defn, {"category": "SC", "family_income": 900000}, step="education", context=CUTOFF
    )
    assert second.errors["family_income"] == ["Income above the limit for your category."]
    general = validate(
        defn, {"category": "GEN", "family_income": 900000}, step="education", context=CUTOFF
    )
    assert "family_income" not in general.errors


def test_form_level_rule_goes_to_all():
    data = {
        "steps": [
            {
                "id": "s",
                "title": t("S", "स"),
                "fields": [
                    {"id": "a", "type": "number", "label": t("A", "अ")},
                    {"id": "b", "type": "number", "label": t("B", "ब")},
                ],
            }
        ],
        "validations": [{"rule": "a + b <= 10", "message": t("Too many", "बहुत अधिक")}],
    }
    defn = parse_form(data)
    assert validate(defn, {"a": 6, "b": 6}).errors == {"__all__": ["Too many"]}
    assert validate(defn, {"a": 6}).errors == {}  # b empty: nothing to compare


def test_group_rows(defn):
    rows = [
        {"exam": "10", "board": "MP Board", "year": "2020", "percentage": "81.5"},
        {"exam": "12", "board": "", "year": "1970", "percentage": "x"},
    ]
    result = validate(defn, {"education": rows, "family_income": 1}, step="education")
    assert result.errors == {
        "education.1.board": ["This field is required."],
        "education.1.year": ["Enter 1980 or more."],
        "education.1.percentage": ["Enter a number."],
    }
    ok = validate(defn, {"education": rows[:1], "family_income": 1}, step="education")
    assert ok.errors == {}
    assert ok.cleaned["education"] == [
        {"exam": "10", "board": "MP Board", "year": 2020, "percentage": 81.5}
    ]
    assert validate(defn, {"family_income": 1}, step="education").errors == {
        "education": ["This field is required."]
    }
    assert validate(defn, {"education": rows[:1] * 5}, step="education").errors["education"] == [
        "Add at most 4 rows."
    ]
    assert validate(defn, {"education": "nope"}, step="education", language="hi").errors[
        "education"
    ] == ["इस सूची की पंक्तियाँ दर्ज करें।"]


def test_whole_form_and_unknown_keys_dropped(defn, places):
    data = {
        "name_en": "Asha",
        "date_of_birth": "2000-02-02",
        "category": "GEN",
        "mobile": "9876543210",
        "district": "district:415",
        "family_income": "100000",
        "hacker": "<script>",
        "education": [{"exam": "12", "board": "CBSE", "year": 2018, "percentage": 90}],
    }
    result = validate(defn, data, context=CUTOFF)
    assert result.errors == {}
    assert "hacker" not in result.cleaned
    assert result.cleaned["age"] == 25
    assert jsonable(result.cleaned)["date_of_birth"] == "2000-02-02"
    missing = validate(defn, {}, context=CUTOFF, language="hi")
    assert set(missing.errors) == {
        "name_en",
        "date_of_birth",
        "category",
        "mobile",
        "district",
        "education",
        "family_income",
    }
    assert all(v == ["यह जानकारी आवश्यक है।"] for v in missing.errors.values())


def test_unknown_step_is_refused(defn):
    with pytest.raises(ValueError):
        validate(defn, {}, step="nope")
