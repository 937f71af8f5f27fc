"""The YAML examples in docs/forms.md parse: the analyst's guide stays true."""

import re
from pathlib import Path

import yaml

from ekseva.forms.definition import FIELD_TYPES, parse_form

DOC = Path(__file__).resolve().parents[2] / "docs" / "forms.md"


def test_examples_in_docs_parse():
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)]
    parse_form(blocks[0]["form"])
    number = {"type": "number", "label": {"en": "N", "hi": "न"}}
    extra = [{"id": i, **number} for i in ("theory", "practical", "passing_year", "year_of_birth")]
    rules = blocks[2] + blocks[3] + [f for f in blocks[4] if f["id"] != "age"]
    form = {
        "steps": [
            {"id": "a", "title": {"en": "A", "hi": "अ"}, "fields": blocks[1] + extra + rules}
        ],
        "validations": blocks[5]["validations"],
    }
    defn = parse_form(form, context_names={"cutoff_date"})
    types = {f.type for f in defn.all_fields()}
    assert types == set(FIELD_TYPES)  # every field type has an example
    assert len(defn.validations) == 2
