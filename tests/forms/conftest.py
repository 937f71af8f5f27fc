"""A sample form (a scholarship application) that uses every field type, and
administrative units / post offices for the pickers."""

import copy

import pytest

from ekseva.forms.definition import parse_form


def t(en, hi):
    return {"en": en, "hi": hi}


SAMPLE = {
    "steps": [
        {
            "id": "applicant",
            "title": t("Applicant", "आवेदक"),
            "sections": [
                {
                    "id": "identity",
                    "title": t("Identity", "पहचान"),
                    "fields": [
                        {
                            "id": "name_en",
                            "type": "text",
                            "label": t("Name", "नाम"),
                            "required": True,
                            "script": "latin",
                            "max_length": 60,
                            "prefill": "profile.name_en",
                        },
                        {
                            "id": "name_hi",
                            "type": "text",
                            "label": t("Name in Hindi", "हिन्दी में नाम"),
                            "script": "devanagari",
                            "prefill": "profile.name_hi",
                        },
                        {
                            "id": "date_of_birth",
                            "type": "date",
                            "label": t("Date of birth", "जन्म तिथि"),
                            "required": True,
                            "max": "today",
                            "min": "1950-01-01",
                            "prefill": "profile.date_of_birth",
                        },
                        {
                            "id": "age",
                            "type": "computed",
                            "label": t("Age", "आयु"),
                            "compute": "age_on(date_of_birth, cutoff_date)",
                        },
                        {
                            "id": "category",
                            "type": "choice",
                            "label": t("Category", "वर्ग"),
                            "required": True,
                            "widget": "select",
                            "prefill": "profile.social_category",
                            "options": [
                                {"value": "GEN", "label": t("General", "सामान्य")},
                                {"value": "OBC", "label": t("OBC", "अन्य पिछड़ा वर्ग")},
                                {"value": "SC", "label": t("SC", "अनुसूचित जाति")},
                                {"value": "ST", "label": t("ST", "अनुसूचित जनजाति")},
                            ],
                        },
                        {
                            "id": "caste_certificate_no",
                            "type": "text",
                            "label": t("Caste certificate number", "जाति प्रमाण पत्र क्रमांक"),
                            "visible_if": "category in ['SC', 'ST', 'OBC']",
                            "required": True,
                            "pattern": "[A-Z0-9/-]{4,30}",
                            "pattern_message": t("Letters, digits, / and -", "अक्षर, अंक, / और -"),
                        },
                        {
                            "id": "disabled",
                            "type": "yesno",
                            "label": t("Disability?", "दिव्यांगता?"),
                            "default": False,
                        },
                        {
                            "id": "disability_percent",
                            "type": "number",
                            "label": t("Disability %", "दिव्यांगता %"),
                            "min": 40,
                            "max": 100,
                            "required_if": "disabled",
                        },
                        {
                            "id": "languages",
                            "type": "multichoice",
                            "label": t("Languages", "भाषाएँ"),
                            "max_items": 2,
                            "options": [
                                {"value": "hi", "label": t("Hindi", "हिन्दी")},
                                {"value": "en", "label": t("English", "अंग्रेज़ी")},
                                {"value": "mr", "label": t("Marathi", "मराठी")},
                            ],
                        },
                        {
                            "id": "aadhaar",
                            "type": "aadhaar",
                            "label": t("Aadhaar", "आधार"),
                            "help": t("12 digits", "12 अंक"),
                        },
                        {"id": "pan", "type": "pan", "label": t("PAN", "पैन")},
                    ],
                },
                {
                    "id": "contact",
                    "title": t("Contact", "संपर्क"),
                    "fields": [
                        {
                            "id": "mobile",
                            "type": "mobile",
                            "label": t("Mobile", "मोबाइल"),
                            "required": True,
                            "prefill": "user.mobile",
                        },
                        {
                            "id": "email",
                            "type": "email",
                            "label": t("Email", "ईमेल"),
                            "prefill": "user.email",
                        },
                        {
                            "id": "address",
                            "type": "textarea",
                            "label": t("Address", "पता"),
                            "max_length": 200,
                        },
                        {
                            "id": "district",
                            "type": "district",
                            "label": t("District", "ज़िला"),
                            "required": True,
                            "prefill": "profile.district",
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
                            "id": "pincode",
                            "type": "pincode",
                            "label": t("PIN code", "पिन कोड"),
                            "district_field": "district",
                            "prefill": "profile.pincode",
                        },
                    ],
                },
            ],
        },
        {
            "id": "education",
            "title": t("Education and bank", "शिक्षा एवं बैंक"),
            "fields": [
                {
                    "id": "education",
                    "type": "group",
                    "label": t("Education", "शिक्षा"),
                    "min_items": 1,
                    "max_items": 4,
                    "fields": [
                        {
                            "id": "exam",
                            "type": "choice",
                            "label": t("Exam", "परीक्षा"),
                            "required": True,
                            "options": [
                                {"value": "10", "label": t("Class 10", "कक्षा 10")},
                                {"value": "12", "label": t("Class 12", "कक्षा 12")},
                            ],
                        },
                        {
                            "id": "board",
                            "type": "text",
                            "label": t("Board", "बोर्ड"),
                            "required": True,
                        },
                        {
                            "id": "year",
                            "type": "number",
                            "label": t("Year", "वर्ष"),
                            "required": True,
                            "min": 1980,
                            "max": 2026,
                        },
                        {
                            "id": "percentage",
                            "type": "number",
                            "label": t("Percentage", "प्रतिशत"),
                            "decimals": 2,
                            "min": 0,
                            "max": 100,
                            "required": True,
                        },
                    ],
                },
                {
                    "id": "family_income",
                    "type": "number",
                    "label": t("Family income", "पारिवारिक आय"),
                    "required": True,
                    "min": 0,
                },
                {"id": "ifsc", "type": "ifsc", "label": t("IFSC", "आईएफ़एससी")},
                {
                    "id": "photo",
                    "type": "file",
                    "label": t("Photo", "फ़ोटो"),
                    "file": {"allowed": ["jpeg", "png"], "max_kb": 100},
                },
            ],
        },
    ],
    "validations": [
        {
            "rule": "age >= 17",
            "fields": ["date_of_birth"],
            "message": t(
                "You must be at least 17 on the cut-off date.",
                "कट-ऑफ तिथि पर आपकी आयु कम से कम 17 वर्ष होनी चाहिए।",
            ),
        },
        {
            "rule": "family_income <= 800000 or category == 'GEN'",
            "fields": ["family_income"],
            "message": t(
                "Income above the limit for your category.", "आपके वर्ग के लिए आय सीमा से अधिक है।"
            ),
        },
    ],
}

CONTEXT_NAMES = {"cutoff_date"}


@pytest.fixture
def sample_data():
    return copy.deepcopy(SAMPLE)


@pytest.fixture
def defn():
    return parse_form(copy.deepcopy(SAMPLE), context_names=CONTEXT_NAMES)


@pytest.fixture
def places(db):
    """A state with two districts, tehsils and villages, and post offices."""
    from ekseva.geo.models import AdminUnit, PostOffice

    def unit(code, kind, name, parent=None, name_hi=""):
        return AdminUnit.objects.create(
            code=code, kind=kind, name_en=name, name_hi=name_hi, parent=parent
        )

    mp = unit("state:23", "state", "Madhya Pradesh")
    bhopal = unit("district:415", "district", "Bhopal", mp, "भोपाल")
    indore = unit("district:426", "district", "Indore", mp, "इंदौर")
    huzur = unit("tehsil:3401", "tehsil", "Huzur", bhopal, "हुज़ूर")
    mhow = unit("tehsil:3501", "tehsil", "Mhow", indore, "महू")
    village = unit("village:482001", "village", "Kolar", huzur)
    other_village = unit("village:482002", "village", "Manpur", mhow)
    retired = unit("district:999", "district", "Old district", mp)
    retired.active = False
    retired.save()
    PostOffice.objects.create(pincode="462001", name="Bhopal GPO", district=bhopal)
    PostOffice.objects.create(pincode="452001", name="Indore GPO", district=indore)
    return {
        "state": mp,
        "bhopal": bhopal,
        "indore": indore,
        "huzur": huzur,
        "mhow": mhow,
        "village": village,
        "other_village": other_village,
    }
