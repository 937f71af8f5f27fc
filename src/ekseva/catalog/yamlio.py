"""YAML that remembers where each key came from, so a mistake deep inside a
service definition is reported at its line in the file the analyst edits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml


class LineDict(dict):
    """A mapping from YAML with ``line`` (of the mapping) and ``key_lines`` (per key), 1-based."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence from YAML with ``line`` and ``item_lines`` (per index), 1-based."""

    line: int = 0
    item_lines: list[int]


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


# libyaml's parser is ~20x faster than the pure-Python one and keeps marks too.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineLoader(_BaseLoader):
    """SafeLoader recording line numbers and refusing duplicate keys (a silent
    overwrite of the first ``fees:`` by a second is a classic analyst mistake)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        self.flatten_mapping(node)
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                raise DuplicateKeyError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        seq = LineList(self.construct_object(child, deep=True) for child in node.value)
        seq.line = node.start_mark.line + 1
        seq.item_lines = [child.start_mark.line + 1 for child in node.value]
        return seq


# Dates stay strings: the checker parses them and reports a bad one (2026-02-30)
# at its line, where PyYAML's own timestamp constructor would crash the load.
LineLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_mapping)
LineLoader.add_constructor("tag:yaml.org,2002:seq", LineLoader.construct_sequence)


def load(text: str) -> Any:
    """Parse YAML text into LineDict/LineList trees (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=LineLoader)  # noqa: S506 - a SafeLoader subclass


def line_of(tree: Any, path: tuple) -> int:
    """The line of the deepest element of ``path`` that exists in ``tree``."""
    node, line = tree, getattr(tree, "line", 1) or 1
    for part in path:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def field_label(tree: Any, path: tuple) -> str:
    """How to name the place a problem concerns: the ``id`` (or ``rule``, or
    ``type`` of a document) of the innermost entry on the path that has one,
    else the dotted path."""
    node, label = tree, ""
    for part in path:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            break
        if isinstance(node, dict):
            for key in ("id", "rule", "stage"):
                if isinstance(node.get(key), str):
                    label = node[key]
                    break
    return label or dotted(path)


def dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def plain(value: Any) -> Any:
    """JSON-safe plain copy: dates become ISO strings, Line* become dict/list."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
