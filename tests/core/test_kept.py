"""core.kept: values kept per process, made once per key, bounded."""

from ekseva.core.kept import Kept


def test_a_value_is_made_once_per_key():
    made = []
    kept = Kept(10)

    def make(value):
        made.append(value)
        return value

    assert kept.get("a", lambda: make("A")) == "A"
    assert kept.get("a", lambda: make("again")) == "A"
    assert kept.get("b", lambda: make("B")) == "B"
    assert made == ["A", "B"]


def test_when_full_everything_is_forgotten_and_the_new_value_kept():
    kept = Kept(2)
    kept.get(1, lambda: "one")
    kept.get(2, lambda: "two")
    assert kept.get(3, lambda: "three") == "three"
    assert len(kept) == 1
    assert kept.get(1, lambda: "one, made again") == "one, made again"


def test_clear_forgets_and_serves_as_a_signal_receiver():
    kept = Kept(5)
    kept.get("k", lambda: "v")
    kept.clear(setting="ANYTHING", value=None, enter=True)
    assert len(kept) == 0
