"""parse_form: good definitions parse; each kind of mistake is reported with its path."""

import copy

import pytest

from ekseva.forms.definition import DefinitionError, FormDefinition, parse_form

from .conftest import SAMPLE, t


def form(*fields, validations=None):
    data = {"steps": [{"id": "main", "title": t("Main", "मुख्य"), "fields": list(fields)}]}
    if validations is not None:
        data["validations"] = validations
    return data


def f(fid, ftype="text", **extra):
    return {"id": fid, "type": ftype, "label": t(fid.title(), "हिन्दी"), **extra}


CATEGORY = f(
    "category",
    "choice",
    options=[
        {"value": "GEN", "label": t("General", "सामान्य")},
        {"value": "SC", "label": t("SC", "अनुसूचित जाति")},
    ],
)


def problems(data, context_names=frozenset()):
    with pytest.raises(DefinitionError) as info:
        parse_form(data, context_names=context_names)
    return {(tuple(p.path), p.message) for p in info.value.problems}


def paths(data, context_names=frozenset()):
    return {path for path, _ in problems(data, context_names)}


def test_sample_parses_with_structure(defn):
    assert isinstance(defn, FormDefinition)
    assert [s.id for s in defn.steps] == ["applicant", "education"]
    assert defn.field("category").option_values() == ("GEN", "OBC", "SC", "ST")
    assert defn.field("education").subfield("year").max == 2026
    assert defn.field("age").compute.names == {"date_of_birth", "cutoff_date"}
    assert defn.step_of("ifsc") == "education"
    assert len(defn.all_fields()) == 22
    assert defn.steps[0].sections[1].title.get("hi") == "संपर्क"


def test_sample_without_context_name_is_refused():
    found = problems(copy.deepcopy(SAMPLE))
    assert (
        ("form", "steps", 0, "sections", 0, "fields", 3, "compute"),
        "unknown name: cutoff_date",
    ) in found


def test_unknown_field_type():
    assert paths(form(f("x", "colour"))) == {("form", "steps", 0, "fields", 0, "type")}


def test_duplicate_ids_across_steps_and_inside_groups():
    data = {
        "steps": [
            {"id": "a", "title": t("A", "अ"), "fields": [f("name")]},
            {
                "id": "b",
                "title": t("B", "ब"),
                "fields": [
                    f("name"),
                    f("rows", "group", fields=[f("year", "number"), f("year", "number")]),
                ],
            },
        ]
    }
    found = problems(data)
    assert (
        ("form", "steps", 1, "fields", 0, "id"),
        "duplicate field id 'name' (first at form.steps.0.fields.0)",
    ) in found
    assert ("form", "steps", 1, "fields", 1, "fields", 1, "id") in {p for p, _ in found}


def test_all_problems_are_reported_at_once():
    data = form(
        f("a", "colour"),
        f("b", min_length=5, max_length=2),
        f("c", pattern="[unclosed"),
        {"id": "d", "type": "text", "label": {"en": "D"}},
        f("e", visible_if="nobody == 1"),
    )
    assert paths(data) == {
        ("form", "steps", 0, "fields", 0, "type"),
        ("form", "steps", 0, "fields", 1, "min_length"),
        ("form", "steps", 0, "fields", 2, "pattern"),
        ("form", "steps", 0, "fields", 3, "label", "hi"),
        ("form", "steps", 0, "fields", 4, "visible_if"),
    }


@pytest.mark.parametrize(
    "field, path_tail, text",
    [
        (f("n", "number", min=10, max=1), ("min",), "greater than max"),
        (f("d", "date", min="2026-01-01", max="2025-01-01"), ("min",), "greater than max"),
        (f("d", "date", max="yesterday"), ("max",), "a date limit"),
        (f("g", "group", fields=[f("x")], min_items=3, max_items=2), ("min_items",), "greater"),
        (f("m", "text", pattern="(a"), ("pattern",), "not a valid regular expression"),
        (f("m", "text", script="cyrillic"), ("script",), "script is one of"),
        (f("m", "text", colour="red"), ("colour",), "unknown key"),
        (f("c", "choice"), ("options",), "non-empty list of options"),
        (
            f(
                "c",
                "choice",
                options=[
                    {"value": "a", "label": t("A", "ए")},
                    {"value": "a", "label": t("A", "ए")},
                ],
            ),
            ("options", 1, "value"),
            "duplicate option value",
        ),
        (f("p", "text", prefill="profile.salary"), ("prefill",), "unknown prefill source"),
        (f("r", "text", required="yes"), ("required",), "true or false"),
        (f("r", "text", visible_if=True), ("visible_if",), "is a rule"),
        (f("t", "tehsil"), ("depends_on",), "must name a field of type district"),
        (f("k", "pincode", district_field="k"), ("district_field",), "type district"),
        (f("c", "computed"), ("compute",), "needs 'compute'"),
        (f("c", "computed", compute="c + 1"), ("compute",), "cannot use itself"),
        (f("u", "file", file={"allowed": ["exe"]}), ("file", "allowed"), "'allowed' is a list"),
        (
            f("u", "file", file={"allowed": ["pdf"], "dims": {"min_width": 10}}),
            ("file", "dims"),
            "apply to images",
        ),
        (
            f("u", "file", file={"dims": {"min_width": 300, "max_width": 200}}),
            ("file", "dims", "min_width"),
            "greater",
        ),
        ({"id": "x", "type": "text", "label": "Name"}, ("label",), "needs both en and hi"),
        ({"id": "x", "type": "text", "label": t("X", " ")}, ("label", "hi"), "missing hi"),
        ({"id": "Bad-Id", "type": "text", "label": t("X", "क")}, ("id",), "lower-case"),
        ({"id": "class", "type": "text", "label": t("X", "क")}, ("id",), "lower-case"),
    ],
)
def test_field_mistakes_reported_at_their_path(field, path_tail, text):
    found = problems(form(field))
    path = ("form", "steps", 0, "fields", 0, *path_tail)
    assert any(p == path and text in m for p, m in found), found


def test_rule_that_does_not_parse_or_names_unknown_field():
    found = problems(form(f("a"), f("b", required_if="a ==")))
    assert ("form", "steps", 0, "fields", 1, "required_if") in {p for p, _ in found}
    found = problems(form(f("a"), f("b", visible_if="lower(c) == 'x'")))
    assert (("form", "steps", 0, "fields", 1, "visible_if"), "unknown name: c") in found


def test_top_level_rule_cannot_read_a_group_subfield_but_a_row_rule_can():
    group = f(
        "rows", "group", fields=[f("exam"), f("marks", "number", visible_if="exam == 'x' and flag")]
    )
    parse_form(form(f("flag", "yesno"), group))
    found = problems(form(group, f("b", visible_if="exam == 'x'")))
    assert (("form", "steps", 0, "fields", 1, "visible_if"), "unknown name: exam") in found


def test_choice_compared_with_a_value_not_among_options():
    found = problems(form(CATEGORY, f("cert", visible_if="category == 'SCC'")))
    assert (
        ("form", "steps", 0, "fields", 1, "visible_if"),
        "'SCC' is not an option of 'category' (GEN, SC)",
    ) in found
    found = problems(form(CATEGORY, f("cert", required_if="category in ['SC', 'OBC']")))
    assert any("'OBC' is not an option" in m for _, m in found)
    found = problems(
        form(
            CATEGORY,
            f("cert", default="x"),
            validations=[
                {"rule": "'ST' != category", "fields": ["cert"], "message": t("No", "नहीं")}
            ],
        )
    )
    assert ("form", "validations", 0, "rule") in {p for p, _ in found}


def test_multichoice_and_yesno_values_checked():
    langs = f("langs", "multichoice", options=[{"value": "hi", "label": t("Hindi", "हिन्दी")}])
    found = problems(form(langs, f("x", visible_if="contains(langs, 'fr')")))
    assert any("'fr' is not an option of 'langs'" in m for _, m in found)
    found = problems(form(langs, f("y", "yesno"), f("x", visible_if="y == 'yes'")))
    assert any("compare it with True or False" in m for _, m in found)
    found = problems(form(CATEGORY | {"default": "ST"}))
    assert (
        ("form", "steps", 0, "fields", 0, "default"),
        "default 'ST' is not one of the options",
    ) in found
    found = problems(form(langs | {"default": ["hi", "de"]}))
    assert any("default 'de'" in m for _, m in found)
    found = problems(form(f("y", "yesno", default="no")))
    assert any("true or false" in m for _, m in found)


def test_condition_that_can_never_be_true():
    found = problems(
        form(
            CATEGORY, f("cert", required=True, visible_if="category == 'GEN' and category == 'SC'")
        )
    )
    assert (
        ("form", "steps", 0, "fields", 1, "visible_if"),
        "this condition can never be true",
    ) in found
    found = problems(form(f("y", "yesno"), f("z", required_if="y and not y")))
    assert ("form", "steps", 0, "fields", 1, "required_if") in {p for p, _ in found}
    found = problems(form(f("n", "number", min=0, max=10), f("z", visible_if="n > 10 and n < 5")))
    assert ("form", "steps", 0, "fields", 1, "visible_if") in {p for p, _ in found}


def test_conditions_that_can_be_true_are_accepted():
    parse_form(
        form(
            CATEGORY,
            f("y", "yesno"),
            f("n", "number"),
            f("dob", "date"),
            f("rows", "group", fields=[f("x")]),
            f("a", visible_if="category == 'SC' and y"),
            f("b", visible_if="n >= 18 and n < 60"),
            f("c", visible_if="age_on(dob, today()) >= 60"),
            f("d", visible_if="len(rows) >= 3"),
            f("e", visible_if="dob < date('2000-01-01')"),
            f("g", visible_if="lower(a) == 'ok'"),
        )
    )


def test_condition_on_context_is_not_judged():
    parse_form(form(f("a", visible_if="cutoff > 5 and cutoff < 3")), context_names={"cutoff"})


def test_field_id_may_not_shadow_a_context_name():
    assert ("form", "steps", 0, "fields", 0, "id") in paths(form(f("cutoff")), {"cutoff"})


def test_computed_cycle():
    found = problems(form(f("a", "computed", compute="b + 1"), f("b", "computed", compute="a + 1")))
    assert any("depend on each other: a -> b -> a" in m for _, m in found)


def test_structure_mistakes():
    assert paths("not a dict") == {("form",)}
    assert paths({"steps": []}) == {("form", "steps")}
    found = paths(
        {
            "steps": [
                {"id": "a", "title": t("A", "अ"), "fields": [f("x")], "sections": []},
                {"id": "a", "title": {"en": "B"}, "fields": [f("y")]},
            ],
            "extra": 1,
        }
    )
    assert found == {
        ("form", "extra"),
        ("form", "steps", 0),
        ("form", "steps", 1, "id"),
        ("form", "steps", 1, "title", "hi"),
    }
    found = paths(
        form(
            f("a"),
            validations=[{"rule": "a == 'x'", "fields": ["zzz"], "message": {"en": "E"}}, "oops"],
        )
    )
    assert found == {
        ("form", "validations", 0, "fields", 0),
        ("form", "validations", 0, "message", "hi"),
        ("form", "validations", 1),
    }


def test_group_cannot_nest_groups_or_files():
    found = paths(form(f("g", "group", fields=[f("h", "group", fields=[f("x")]), f("u", "file")])))
    assert ("form", "steps", 0, "fields", 0, "fields", 0, "type") in found
    assert ("form", "steps", 0, "fields", 0, "fields", 1, "type") in found


def test_relative_date_bounds(frozen_clock):
    import datetime as dt

    defn = parse_form(form(f("d", "date", min="today-18y", max="today+30d")))
    field = defn.field("d")
    assert field.min.resolve() == dt.date(2008, 6, 15)
    assert field.max.resolve() == dt.date(2026, 7, 15)
    leap = parse_form(form(f("d", "date", min="today-1m"))).field("d").min
    assert leap.resolve(dt.date(2026, 3, 31)) == dt.date(2026, 2, 28)
