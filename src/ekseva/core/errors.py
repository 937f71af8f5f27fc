"""The base of refusals meant for people: a message in English and in Hindi, and
the HTTP status an API answers with."""

from __future__ import annotations


class BilingualError(Exception):
    status = 400

    def __init__(self, en: str, hi: str = "") -> None:
        super().__init__(en)
        self.en, self.hi = en, hi or en

    def message(self, language: str) -> str:
        return self.hi if language == "hi" else self.en
