"""The checker must catch what it claims to catch, or the page tests prove nothing."""

from . import a11y

GOOD = """<!doctype html><html lang="en"><body><a href="#main">Skip</a>
<header></header><main id="main"><h1>Title</h1>
<label for="m">Mobile</label><input id="m" name="mobile">
<label>Agree <input type="checkbox" name="agree"></label>
<input aria-label="Search" name="q"><input type="hidden" name="t"><input type="submit">
</main><footer></footer></body></html>"""


def test_a_good_page_passes():
    assert a11y.problems(GOOD) == []


def test_missing_lang_is_reported():
    assert "<html> has no lang attribute" in a11y.problems(GOOD.replace(' lang="en"', ""))


def test_two_h1_are_reported():
    page = GOOD.replace("<h1>Title</h1>", "<h1>A</h1><h1>B</h1>")
    assert "expected exactly one <h1>, found 2" in a11y.problems(page)


def test_skip_link_must_come_first_and_point_somewhere():
    no_skip = GOOD.replace('<a href="#main">Skip</a>', '<a href="/x">X</a>')
    assert "the first link is not a skip link" in a11y.problems(no_skip)
    broken = GOOD.replace('id="main"', 'id="content"')
    assert "skip link points to #main, which does not exist" in a11y.problems(broken)


def test_unlabelled_control_is_reported():
    page = GOOD.replace('<label for="m">Mobile</label>', "Mobile")
    assert "<input name='mobile'> has no label" in a11y.problems(page)


def test_missing_landmark_is_reported():
    assert "no <footer> landmark" in a11y.problems(GOOD.replace("<footer></footer>", ""))
