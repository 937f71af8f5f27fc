"""JSON Schema, HTML rendering, the HTML/API equivalence, and prefill."""

import datetime as dt
import re

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from ekseva.forms.definition import parse_form
from ekseva.forms.prefill import prefill
from ekseva.forms.render import render_step
from ekseva.forms.schema import json_schema
from ekseva.forms.validation import from_post, validate

from .conftest import t

CUTOFF = {"cutoff_date": dt.date(2026, 1, 1)}


# -- JSON Schema ---------------------------------------------------------------------------


def checker(defn, language="en"):
    schema = json_schema(defn, language)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


GOOD = {
    "name_en": "Asha Verma",
    "name_hi": "आशा वर्मा",
    "date_of_birth": "2004-07-01",
    "category": "SC",
    "caste_certificate_no": "SC/2020/55",
    "disabled": True,
    "disability_percent": 45,
    "languages": ["hi", "en"],
    "aadhaar": "2341 2341 2346",
    "pan": "ABCPE1234F",
    "mobile": "+919876543210",
    "email": "asha@example.in",
    "district": "district:415",
    "pincode": "462001",
    "education": [{"exam": "12", "board": "MP", "year": 2022, "percentage": 78.4}],
    "family_income": 120000,
    "ifsc": "SBIN0001234",
}


def test_schema_accepts_good_data(defn):
    assert list(checker(defn).iter_errors(GOOD)) == []


@pytest.mark.parametrize(
    "change",
    [
        {"category": "XYZ"},
        {"mobile": "12345"},
        {"pincode": "062001"},
        {"aadhaar": "1234 5678 9012"},
        {"pan": "ABCDE123F"},
        {"ifsc": "SBIN1001234"},
        {"date_of_birth": "01/07/2004"},
        {"languages": ["hi", "hi"]},
        {"languages": ["fr"]},
        {"disability_percent": 20},
        {"disabled": "yes"},
        {"name_en": "आशा"},
        {"name_hi": "Asha"},
        {"caste_certificate_no": "sc 1"},
        {"education": []},
        {"education": [{"exam": "12", "board": "MP", "year": 2022}]},
        {"email": "not-an-email"},
        {"family_income": 1.5},
    ],
)
def test_schema_rejects_bad_data(defn, change):
    assert list(checker(defn).iter_errors({**GOOD, **change})), change


@pytest.mark.parametrize("missing", ["name_en", "mobile", "education", "district"])
def test_schema_requires_required(defn, missing):
    data = {k: v for k, v in GOOD.items() if k != missing}
    assert any(missing in e.message for e in checker(defn).iter_errors(data))


def test_schema_conditional_requirements(defn):
    v = checker(defn)
    sc_without_certificate = {k: val for k, val in GOOD.items() if k != "caste_certificate_no"}
    assert list(v.iter_errors(sc_without_certificate))
    assert not list(v.iter_errors({**sc_without_certificate, "category": "GEN"}))
    disabled_without_percent = {k: val for k, val in GOOD.items() if k != "disability_percent"}
    assert list(v.iter_errors(disabled_without_percent))
    assert not list(v.iter_errors({**disabled_without_percent, "disabled": False}))


def test_schema_titles_and_rules_in_language(defn):
    schema = json_schema(defn, "hi")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["category"]["title"] == "वर्ग"
    assert schema["properties"]["category"]["oneOf"][0] == {"const": "GEN", "title": "सामान्य"}
    assert schema["properties"]["age"] == {"title": "आयु", "readOnly": True}
    assert schema["properties"]["tehsil"]["x-ekseva-admin-unit"]["choices_url"] == (
        "/hi/geo/units/{district}/children/?kind=tehsil"
    )
    rules = schema["x-ekseva-rules"]
    assert {
        "field": "age",
        "kind": "compute",
        "rule": "age_on(date_of_birth, cutoff_date)",
    } in rules
    assert {
        "kind": "validation",
        "rule": "age >= 17",
        "fields": ["date_of_birth"],
        "message": "कट-ऑफ तिथि पर आपकी आयु कम से कम 17 वर्ष होनी चाहिए।",
    } in rules
    assert schema["x-ekseva-steps"][1]["fields"] == ["education", "family_income", "ifsc", "photo"]


def test_schema_keeps_inexpressible_conditions_as_rules_only():
    defn = parse_form(
        {
            "steps": [
                {
                    "id": "s",
                    "title": t("S", "स"),
                    "fields": [
                        {"id": "n", "type": "number", "label": t("N", "न")},
                        {"id": "m", "type": "text", "label": t("M", "म"), "required_if": "n > 5"},
                    ],
                }
            ]
        }
    )
    schema = json_schema(defn)
    assert "allOf" not in schema
    assert {"field": "m", "kind": "required_if", "rule": "n > 5"} in schema["x-ekseva-rules"]


# -- HTML ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_html_labels_help_errors_and_attributes(defn, places):
    html = str(
        render_step(
            defn,
            "applicant",
            {"district": "district:415", "category": "SC"},
            {"mobile": ["Enter <b>10</b> digits"]},
            "en",
            context=CUTOFF,
        )
    )
    assert '<label for="id_name_en">Name <abbr class="field__required"' in html
    assert (
        '<p class="field__error" id="id_mobile-error" role="alert">Enter &lt;b&gt;10&lt;/b&gt; '
        "digits</p>"
    ) in html
    assert re.search(
        r'<input id="id_mobile" name="mobile" aria-describedby="id_mobile-error" '
        r'aria-invalid="true"[^>]*type="tel"[^>]*inputmode="numeric"[^>]*'
        r'autocomplete="tel-national"',
        html,
    )
    assert 'aria-describedby="id_aadhaar-help"' in html and 'id="id_aadhaar-help">12 digits' in html
    assert re.search(r'<input id="id_name_hi"[^>]*lang="hi"', html)
    assert re.search(
        r'<input id="id_pincode"[^>]*inputmode="numeric"[^>]*autocomplete="postal-code"', html
    )
    assert '<fieldset id="id_disabled"><legend>Disability?</legend>' in html
    assert '<input type="checkbox" id="id_languages-0" name="languages" value="hi">' in html
    assert '<option value="SC" selected>SC</option>' in html
    # Dependent picker: the district select asks geo for the tehsils.
    assert 'hx-get="/en/geo/units/__code__/children/?kind=tehsil"' in html
    assert 'hx-trigger="change" hx-target="#id_tehsil"' in html
    assert '<option value="tehsil:3401">Huzur</option>' in html
    assert "Mhow" not in html
    # Caste certificate is shown for SC; hidden (but present) for GEN.
    assert 'id="field-caste_certificate_no" data-visible-if' in html
    general = str(render_step(defn, "applicant", {"category": "GEN"}, {}, "en", context=CUTOFF))
    assert 'id="field-caste_certificate_no" hidden' in general


@pytest.mark.django_db
def test_html_in_hindi_escapes_values_and_shows_computed(defn, places):
    html = str(
        render_step(
            defn,
            "applicant",
            {
                "name_en": '"><script>alert(1)</script>',
                "date_of_birth": "2000-01-01",
                "disabled": "yes",
                "aadhaar": {"token": "a" * 64, "last4": "1234"},
            },
            {},
            "hi",
            context=CUTOFF,
        )
    )
    assert "<script>" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert '<label for="id_name_en">नाम' in html
    assert '<output id="id_age" for="id_date_of_birth" aria-live="polite">26</output>' in html
    assert 'value="yes" checked><label for="id_disabled-0">हाँ</label>' in html
    assert "a" * 64 not in html  # an Aadhaar token is never shown back
    assert 'hx-get="/hi/geo/units/__code__/children/?kind=tehsil"' in html
    assert '<option value="district:415">भोपाल</option>' in html


@pytest.mark.django_db
def test_html_group_rows_and_files(defn):
    values = {"education": [{"exam": "10", "year": "2019"}]}
    errors = {"education.0.board": ["This field is required."], "__all__": ["Check the form."]}
    html = str(render_step(defn, "education", values, errors, "en"))
    assert '<div class="form-errors" role="alert"><p>Check the form.</p></div>' in html
    assert '<fieldset class="group__row"><legend>Row 1</legend>' in html
    assert '<fieldset class="group__row"><legend>Row 2</legend>' in html  # a spare row
    assert "Row 3" not in html
    assert re.search(
        r'<input id="id_education-0-board" name="education-0-board" '
        r'aria-describedby="id_education-0-board-error" aria-invalid="true"',
        html,
    )
    assert '<input id="id_education-0-year" name="education-0-year"' in html
    assert 'value="2019"' in html
    assert 'type="file" accept=".jpg,.jpeg,image/jpeg,.png,image/png"' in html
    assert 'id="id_photo-help">JPEG, PNG, ≤ 100 KB</p>' in html


# -- the same verdict from HTML and from the API ----------------------------------------------


def to_post(data):
    """Encode API-shaped answers as a browser would post them."""
    q = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                for sub, v in row.items():
                    q[f"{key}-{i}-{sub}"] = encode(v)
        elif isinstance(value, list):
            q.setlist(key, [encode(v) for v in value])
        else:
            q[key] = encode(value)
    return q


def encode(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


junk = st.sampled_from(
    [
        "",
        "x",
        "-1",
        "0",
        "9876543210",
        "2010-01-01",
        "12/12/2012",
        "GEN",
        "SC",
        "OBC",
        "ABCPE1234F",
        "462001",
        "abc@d.in",
        "SBIN0001234",
        "234123412346",
        "राम",
        "99.5",
        "1e3",
        "  ",
    ]
)
answers = st.fixed_dictionaries(
    {},
    optional={
        "name_en": junk | st.text(max_size=12),
        "name_hi": junk,
        "date_of_birth": junk | st.dates(dt.date(1940, 1, 1), dt.date(2030, 1, 1)).map(str),
        "category": junk,
        "caste_certificate_no": junk,
        "disabled": st.booleans() | junk,
        "disability_percent": st.integers(0, 120) | junk,
        "languages": st.lists(st.sampled_from(["hi", "en", "mr", "xx"]), max_size=4),
        "pan": junk,
        "mobile": junk,
        "email": junk,
        "pincode": junk,
        "family_income": st.integers(-5, 10**6) | junk,
        "ifsc": junk,
        "education": st.lists(
            st.fixed_dictionaries(
                {
                    "exam": st.sampled_from(["10", "12", "11"]),
                    "board": junk,
                    "year": st.integers(1970, 2030) | junk,
                    "percentage": st.floats(0, 110).map(lambda x: round(x, 1)) | junk,
                }
            ),
            min_size=1,
            max_size=5,
        ),
    },
)


@given(
    data=answers,
    language=st.sampled_from(["en", "hi"]),
    step=st.sampled_from([None, "applicant", "education"]),
)
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_html_and_api_give_the_same_verdict(defn, data, language, step):
    from_api = validate(defn, data, language=language, context=CUTOFF, step=step)
    from_html = validate(
        defn, from_post(defn, to_post(data)), language=language, context=CUTOFF, step=step
    )
    assert from_html.errors == from_api.errors
    assert from_html.cleaned == from_api.cleaned


def test_from_post_shapes(defn):
    q = QueryDict(mutable=True)
    q.setlist("languages", ["hi", ""])
    q["education-0-exam"] = "10"
    q["education-2-year"] = "2020"
    q["education-1-board"] = ""  # a wholly empty row is dropped
    q["age"] = "99"  # computed: never taken from the client
    q["name_en"] = "Ram"
    photo = object()
    data = from_post(defn, q, files={"photo": photo})
    assert data == {
        "languages": ["hi"],
        "name_en": "Ram",
        "photo": photo,
        "education": [{"exam": "10"}, {"year": "2020"}],
    }


# -- prefill ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prefill_from_profile_and_user(defn, places):
    from ekseva.accounts.models import CitizenProfile, User

    user = User.objects.create_citizen("9876543210", email="asha@example.in")
    profile = CitizenProfile.objects.create(
        user=user,
        name_en="Asha Verma",
        name_hi="आशा वर्मा",
        date_of_birth=dt.date(2004, 7, 1),
        social_category="SC",
        district=places["bhopal"],
        pincode="462001",
    )
    expected = {
        "name_en": "Asha Verma",
        "name_hi": "आशा वर्मा",
        "date_of_birth": dt.date(2004, 7, 1),
        "category": "SC",
        "mobile": "9876543210",
        "email": "asha@example.in",
        "district": "district:415",
        "pincode": "462001",
        "disabled": False,
    }
    assert prefill(defn, profile) == expected
    assert prefill(defn, user) == expected
    # Prefilled values pass the form's own checks.
    result = validate(defn, prefill(defn, user), step="applicant", context=CUTOFF)
    assert set(result.errors) == {"caste_certificate_no"}


@pytest.mark.django_db
def test_prefill_without_profile(defn):
    from ekseva.accounts.models import User

    user = User.objects.create_citizen("9123456780")
    assert prefill(defn, user) == {"mobile": "9123456780", "disabled": False}
    assert prefill(defn, None) == {"disabled": False}
