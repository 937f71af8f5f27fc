"""Translation catalogues: complete, compiled, and the compile command itself."""

import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from ekseva.web import i18n

LOCALE = Path(__file__).resolve().parents[2] / "src" / "ekseva" / "locale"


def test_there_is_a_hindi_catalogue():
    assert [c.po for c in i18n.catalogues()] == [LOCALE / "hi" / "LC_MESSAGES" / "django.po"]


@pytest.mark.parametrize("catalogue", i18n.catalogues(), ids=lambda c: c.po.parent.parent.name)
def test_committed_mo_is_what_polib_compiles(catalogue):
    assert catalogue.mo.exists(), f"{catalogue.mo} missing: run `ekseva i18n compile`"
    assert catalogue.mo.read_bytes() == catalogue.compiled(), (
        f"{catalogue.mo} is stale: run `ekseva i18n compile` and commit it"
    )


def test_hindi_has_no_empty_or_fuzzy_entries():
    catalogue = i18n.Catalogue(LOCALE / "hi" / "LC_MESSAGES" / "django.po")
    assert i18n.problems(catalogue) == []
    po = polib.pofile(str(catalogue.po))
    assert po.metadata["Language"] == "hi"
    assert not po.metadata_is_fuzzy


def test_hindi_translations_keep_their_placeholders():
    po = polib.pofile(str(LOCALE / "hi" / "LC_MESSAGES" / "django.po"))
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
    for entry in po.translated_entries():
        wanted = sorted(placeholder.findall(entry.msgid))
        strings = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for msgstr in strings:
            assert sorted(placeholder.findall(msgstr)) == wanted, entry.msgid


def test_django_serves_the_hindi_strings():
    with translation.override("hi"):
        assert translation.gettext("Sign in") == "साइन इन"
        assert translation.gettext("Skip to main content") == "मुख्य सामग्री पर जाएँ"


@pytest.fixture
def scratch_locale(tmp_path):
    """A copy of the locale tree, so the command's writes never touch the real one."""
    root = tmp_path / "locale"
    shutil.copytree(LOCALE, root)
    with override_settings(LOCALE_PATHS=[root]):
        yield root


def test_compile_writes_the_mo_and_reports_unchanged_files(scratch_locale, capsys):
    mo = scratch_locale / "hi" / "LC_MESSAGES" / "django.mo"
    mo.unlink()
    call_command("i18n", "compile")
    assert "compiled:" in capsys.readouterr().out
    assert mo.read_bytes() == (LOCALE / "hi" / "LC_MESSAGES" / "django.mo").read_bytes()
    call_command("i18n", "compile")
    assert "unchanged:" in capsys.readouterr().out


def test_check_fails_on_a_stale_mo_and_on_an_empty_entry(scratch_locale):
    call_command("i18n", "check")
    po_path = scratch_locale / "hi" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    po.append(polib.POEntry(msgid="A string nobody translated", msgstr=""))
    po.save(str(po_path))
    with pytest.raises(CommandError) as excinfo:
        call_command("i18n", "check")
    assert "stale" in str(excinfo.value)
    assert "untranslated: 'A string nobody translated'" in str(excinfo.value)


def test_fuzzy_entries_are_reported_and_left_out_of_the_mo(scratch_locale):
    po_path = scratch_locale / "hi" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    po.append(polib.POEntry(msgid="Guessed", msgstr="अनुमान", flags=["fuzzy"]))
    po.save(str(po_path))
    catalogue = i18n.Catalogue(po_path)
    assert "fuzzy: 'Guessed'" in i18n.problems(catalogue)
    i18n.compile_catalogue(catalogue)
    assert polib.mofile(str(catalogue.mo)).find("Guessed") is None


def test_compile_without_catalogues_is_an_error(tmp_path):
    with override_settings(LOCALE_PATHS=[tmp_path]), pytest.raises(CommandError):
        call_command("i18n", "compile")
