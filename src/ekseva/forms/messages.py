"""Error messages of the form engine in English and Hindi.

Kept here as data (not gettext) so that the API and the HTML path give the same
words in both languages whatever the active locale, and so that a message for a
field never depends on a translation file being compiled.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("This field is required.", "यह जानकारी आवश्यक है।"),
    "invalid": ("Enter a valid value.", "मान्य जानकारी दर्ज करें।"),
    "too_short": ("Enter at least {n} characters.", "कम से कम {n} अक्षर दर्ज करें।"),
    "too_long": ("Enter at most {n} characters.", "अधिकतम {n} अक्षर दर्ज करें।"),
    "pattern": ("Enter the value in the required format.", "जानकारी निर्धारित प्रारूप में दर्ज करें।"),
    "script_latin": ("Use English (Roman) letters.", "अंग्रेज़ी (रोमन) अक्षरों का प्रयोग करें।"),
    "script_devanagari": ("Use Hindi (Devanagari) letters.", "हिन्दी (देवनागरी) अक्षरों का प्रयोग करें।"),
    "number_invalid": ("Enter a number.", "संख्या दर्ज करें।"),
    "number_whole": ("Enter a whole number.", "पूर्ण संख्या दर्ज करें।"),
    "number_decimals": (
        "Enter at most {n} digits after the decimal point.",
        "दशमलव के बाद अधिकतम {n} अंक दर्ज करें।",
    ),
    "min_value": ("Enter {n} or more.", "{n} या उससे अधिक दर्ज करें।"),
    "max_value": ("Enter {n} or less.", "{n} या उससे कम दर्ज करें।"),
    "date_invalid": ("Enter a valid date (DD/MM/YYYY).", "मान्य तिथि दर्ज करें (दिन/माह/वर्ष)।"),
    "date_min": ("Enter a date on or after {d}.", "{d} या उसके बाद की तिथि दर्ज करें।"),
    "date_max": ("Enter a date on or before {d}.", "{d} या उससे पहले की तिथि दर्ज करें।"),
    "choice_invalid": ("Select one of the options.", "दिए गए विकल्पों में से चुनें।"),
    "choice_min": ("Select at least {n}.", "कम से कम {n} विकल्प चुनें।"),
    "choice_max": ("Select at most {n}.", "अधिकतम {n} विकल्प चुनें।"),
    "yesno_invalid": ("Answer yes or no.", "हाँ या नहीं में उत्तर दें।"),
    "email_invalid": ("Enter a valid email address.", "मान्य ईमेल पता दर्ज करें।"),
    "mobile_invalid": (
        "Enter a 10-digit mobile number starting with 6, 7, 8 or 9.",
        "6, 7, 8 या 9 से शुरू होने वाला 10 अंकों का मोबाइल नंबर दर्ज करें।",
    ),
    "pincode_invalid": ("Enter a 6-digit PIN code.", "6 अंकों का पिन कोड दर्ज करें।"),
    "pincode_district": (
        "This PIN code is not in the selected district.",
        "यह पिन कोड चुने गए ज़िले में नहीं है।",
    ),
    "aadhaar_invalid": (
        "Enter a valid 12-digit Aadhaar number.",
        "मान्य 12 अंकों का आधार नंबर दर्ज करें।",
    ),
    "pan_invalid": ("Enter a valid PAN (like ABCPE1234F).", "मान्य पैन दर्ज करें (जैसे ABCPE1234F)।"),
    "ifsc_invalid": (
        "Enter a valid IFSC (11 characters, like SBIN0001234).",
        "मान्य IFSC दर्ज करें (11 अक्षर, जैसे SBIN0001234)।",
    ),
    "unit_invalid": ("Select a place from the list.", "सूची में से स्थान चुनें।"),
    "unit_parent": (
        "This place is not in the one selected above.",
        "यह स्थान ऊपर चुने गए स्थान में नहीं है।",
    ),
    "file_invalid": ("Upload a valid file.", "मान्य फ़ाइल अपलोड करें।"),
    "file_type": ("Upload a file of type {types}.", "{types} प्रकार की फ़ाइल अपलोड करें।"),
    "file_size": ("The file must be at most {n} KB.", "फ़ाइल अधिकतम {n} KB की होनी चाहिए।"),
    "group_invalid": ("Enter the rows of this list.", "इस सूची की पंक्तियाँ दर्ज करें।"),
    "group_min": ("Add at least {n} rows.", "कम से कम {n} पंक्तियाँ जोड़ें।"),
    "group_max": ("Add at most {n} rows.", "अधिकतम {n} पंक्तियाँ जोड़ें।"),
}

# Words used by the HTML widgets.
WORDS: dict[str, tuple[str, str]] = {
    "yes": ("Yes", "हाँ"),
    "no": ("No", "नहीं"),
    "select": ("Select", "चुनें"),
    "required": ("required", "आवश्यक"),
    "add_row": ("Add a row", "पंक्ति जोड़ें"),
    "row": ("Row {n}", "पंक्ति {n}"),
    "computed": ("Calculated automatically", "स्वतः गणना"),
}


def message(code: str, language: str = "en", **params: object) -> str:
    """The message for ``code`` in ``language`` (Hindi or English)."""
    en, hi = MESSAGES[code]
    return (hi if language == "hi" else en).format(**params)


def word(code: str, language: str = "en", **params: object) -> str:
    en, hi = WORDS[code]
    return (hi if language == "hi" else en).format(**params)
