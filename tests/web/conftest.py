import pytest

from . import a11y


@pytest.fixture
def assert_accessible():
    """Fail with the checker's findings if the page has any."""

    def check(response) -> None:
        found = a11y.problems(response.content.decode())
        assert not found, f"{response.request['PATH_INFO']}: {found}"

    return check
