"""The loader: every kind of mistake reported with file, line and field; nothing
stored from a file with a problem; a second load changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from ekseva.catalog import loader
from ekseva.catalog.models import Department, Service, ServiceVersion

from .conftest import SERVICE, write_definitions


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


MISTAKES = [
    # (what, old text, new text, field named in the report, words of the message)
    (
        "unknown field type",
        "{id: pwd, type: yesno,",
        "{id: pwd, type: yesnoo,",
        "pwd",
        "unknown field type",
    ),
    (
        "rule that does not parse",
        'require: "graduate"',
        'require: "graduate and"',
        "graduate",
        "syntax error",
    ),
    (
        "rule naming an unknown field",
        'when: "pwd", amount: "0"',
        'when: "pwdd", amount: "0"',
        "pwd",
        "unknown name: pwdd",
    ),
    (
        "fee not a whole number of paise",
        'amount: "500.00"',
        'amount: "500.005"',
        "general",
        "not a whole number of paise",
    ),
    (
        "duplicate field id",
        "{id: graduate, type: yesno,",
        "{id: pwd, type: yesno,",
        "pwd",
        "duplicate field id",
    ),
    (
        "unknown top-level key",
        "deliverable: admit_card",
        "deliverable: admit_card\nfee: 1",
        "fee",
        "unknown key 'fee'",
    ),
    (
        "bad date",
        'cutoff_date: "2026-01-01"',
        'cutoff_date: "2026-02-30"',
        "cutoff_date",
        "not a date",
    ),
    (
        "closes before opens",
        'closes: "2026-06-30", late_until: "2026-07-05"',
        'closes: "2026-05-30", late_until: "2026-07-05"',
        "availability.closes",
        "before it opens",
    ),
    (
        "unknown role in a workflow stage",
        "role: department_officer}",
        "role: clerk}",
        "scrutiny",
        "unknown role 'clerk'",
    ),
    (
        "unknown category",
        "category: recruitment",
        "category: sports",
        "category",
        "unknown category 'sports'",
    ),
    (
        "mandatory_if naming an unknown field",
        'mandatory_if: "pwd"',
        'mandatory_if: "is_pwd"',
        "pwd_cert",
        "unknown name: is_pwd",
    ),
    ("amount as a bare float", 'amount: "250.00"', "amount: 250.50", "sc-st", "quoted rupees"),
]


@pytest.mark.parametrize(
    ("what", "old", "new", "field", "words"), MISTAKES, ids=[m[0] for m in MISTAKES]
)
def test_each_mistake_is_reported_at_its_line_and_nothing_is_loaded(
    db, tmp_path, what, old, new, field, words
):
    assert old in SERVICE
    text = SERVICE.replace(old, new, 1)
    path = write_definitions(tmp_path, text)
    _changes, problems = loader.load_paths([tmp_path])
    expected_line = SERVICE[: SERVICE.index(old)].count("\n") + 1 + new.count("\n")
    assert any(
        p.startswith(f"{loader.display(path)}:{expected_line}: field {field}:") and words in p
        for p in problems
    ), problems
    assert not Service.objects.exists()
    # The department file had no problem and was loaded on its own.
    assert Department.objects.filter(code="TST").exists()


def test_a_condition_that_can_never_be_true_on_a_required_field(db, tmp_path):
    text = SERVICE.replace(
        "{id: graduate, type: yesno, label: {en: Graduate, hi: स्नातक}, required: true}",
        "{id: graduate, type: yesno, label: {en: Graduate, hi: स्नातक}, "
        'required_if: "pwd == True and pwd == False"}',
    )
    path = write_definitions(tmp_path, text)
    files = loader.check_paths([path])
    line = _line_of(text, "required_if")
    assert [str(p) for p in files[0].problems] == [
        f"{loader.display(path)}:{line}: field graduate: this condition can never be true"
    ]


def test_the_file_must_be_named_after_the_code_and_sit_with_its_department(db, tmp_path):
    path = write_definitions(
        tmp_path, SERVICE.replace("department: TST", "department: ESB"), name="other.yaml"
    )
    problems = [str(p) for p in loader.check_paths([path])[0].problems]
    name = loader.display(path)
    assert f"{name}:1: field code: the file must be named tst-exam.yaml" in problems
    assert any(
        p.startswith(f"{name}:2: field department: the file is in the folder of department TST")
        for p in problems
    )


def test_yaml_syntax_and_duplicate_keys_are_reported_with_a_line(db, tmp_path):
    path = write_definitions(tmp_path, SERVICE + "category: citizen\n")
    (problem,) = loader.check_paths([path])[0].problems
    assert problem.line == SERVICE.count("\n") + 1
    assert "duplicate key 'category'" in problem.message
    path.write_text("code: [unclosed\n", encoding="utf-8")
    (problem,) = loader.check_paths([path])[0].problems
    assert "not valid YAML" in problem.message


def test_bad_department_file_is_reported(db, tmp_path):
    dept = tmp_path / "BAD" / "department.yaml"
    dept.parent.mkdir()
    dept.write_text(
        "code: BAD\nname: {en: Bad, hi: खराब}\nkind: ministry\n"
        "bank: {account_name: X, account_number: '12345678901', ifsc: ZZZZ0000001}\n",
        encoding="utf-8",
    )
    problems = [str(p) for p in loader.check_paths([dept])[0].problems]
    assert any(":3: field kind: unknown kind 'ministry'" in p for p in problems)
    assert any(":4: field bank.ifsc: IFSC names a bank we do not know" in p for p in problems)


def test_load_then_load_again_changes_nothing(db, mini_dir):
    changes, problems = loader.load_paths([mini_dir])
    assert problems == []
    assert any("service tst-exam: created, version 1 published" in c for c in changes)
    again, problems = loader.load_paths([mini_dir])
    assert problems == []
    assert all(c.endswith("unchanged") for c in again), again
    assert ServiceVersion.objects.count() == 1


def test_changed_content_publishes_a_new_version_and_retires_the_old(db, mini_dir):
    loader.load_paths([mini_dir])
    path = mini_dir / "TST" / "tst-exam.yaml"
    # A comment changes the bytes but not the content: no new version.
    path.write_text("# a comment\n" + SERVICE, encoding="utf-8")
    changes, _ = loader.load_paths([mini_dir])
    assert any("tst-exam: unchanged" in c for c in changes)
    path.write_text(SERVICE.replace('amount: "500.00"', 'amount: "600.00"'), encoding="utf-8")
    changes, _ = loader.load_paths([mini_dir])
    assert any("version 2 published (replaces version 1)" in c for c in changes)
    service = Service.objects.get(code="tst-exam")
    assert service.current_version.number == 2
    assert service.versions.get(number=1).status == ServiceVersion.Status.RETIRED


def test_check_command_exits_non_zero_on_a_problem(db, tmp_path, capsys):
    write_definitions(tmp_path, SERVICE.replace("category: recruitment", "category: sports"))
    with pytest.raises(CommandError):
        call_command("services", "check", str(tmp_path))
    assert "field category: unknown category 'sports'" in capsys.readouterr().err


def test_check_and_load_commands_on_good_files(db, mini_dir, capsys):
    call_command("services", "check", str(mini_dir))
    assert "2 file(s) checked, no problems" in capsys.readouterr().out
    call_command("services", "load", str(mini_dir))
    assert "created, version 1 published" in capsys.readouterr().out


def test_every_definition_in_the_repository_passes_check(db):
    from ekseva.catalog.demo import definitions_dir

    files = loader.check_paths([definitions_dir()])
    assert [str(p) for f in files for p in f.problems] == []
    assert len(files) >= 50


def test_a_service_may_not_take_a_code_reserved_for_the_portal(db, tmp_path):
    path = write_definitions(
        tmp_path, SERVICE.replace("code: tst-exam", "code: manage"), name="manage.yaml"
    )
    problems = [str(p) for p in loader.check_paths([path])[0].problems]
    assert any("field code: 'manage' is reserved" in p for p in problems), problems
    assert not Service.objects.filter(code="manage").exists()
