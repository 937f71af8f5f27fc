"""A small HTML accessibility checker for the tests (standard library html.parser only).

It checks what a screen-reader or keyboard user meets first: a language, one h1,
a skip link to an existing target, landmarks, and a label for every control.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class _Control:
    tag: str
    attrs: dict[str, str]
    inside_label: bool


@dataclass
class PageFacts:
    html_lang: str | None = None
    h1_count: int = 0
    ids: set[str] = field(default_factory=set)
    label_for: set[str] = field(default_factory=set)
    controls: list[_Control] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    landmarks: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self._label_depth = 0
        self._link: dict[str, str] | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        facts = self.facts
        if "id" in attrs:
            facts.ids.add(attrs["id"])
        if "role" in attrs:
            facts.roles.add(attrs["role"])
        if tag == "html":
            facts.html_lang = attrs.get("lang")
        elif tag == "h1":
            facts.h1_count += 1
        elif tag in {"header", "nav", "main", "footer"}:
            facts.landmarks.add(tag)
        elif tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                facts.label_for.add(attrs["for"])
        elif tag == "a":
            self._link, self._link_text = attrs, []
        if tag in {"input", "select", "textarea"}:
            facts.controls.append(_Control(tag, attrs, self._label_depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1
        elif tag == "a" and self._link is not None:
            self.facts.links.append((self._link.get("href", ""), "".join(self._link_text).strip()))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link_text.append(data)


def parse(html: str) -> PageFacts:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.facts


def problems(html: str) -> list[str]:
    """Everything wrong with the page; an empty list means it passes."""
    facts = parse(html)
    found = []
    if not facts.html_lang:
        found.append("<html> has no lang attribute")
    if facts.h1_count != 1:
        found.append(f"expected exactly one <h1>, found {facts.h1_count}")
    if not facts.links or not facts.links[0][0].startswith("#"):
        found.append("the first link is not a skip link")
    else:
        target = facts.links[0][0][1:]
        if target not in facts.ids:
            found.append(f"skip link points to #{target}, which does not exist")
    for landmark in ("header", "main", "footer"):
        if landmark not in facts.landmarks:
            found.append(f"no <{landmark}> landmark")
    for control in facts.controls:
        attrs = control.attrs
        if control.tag == "input" and attrs.get("type", "text") in _UNLABELLED_TYPES:
            continue
        labelled = (
            control.inside_label
            or attrs.get("id", "") in facts.label_for
            or attrs.get("aria-label")
            or attrs.get("aria-labelledby")
        )
        if not labelled:
            found.append(f"<{control.tag} name={attrs.get('name')!r}> has no label")
    return found
