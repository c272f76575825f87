"""YAML documents (compose, Kubernetes, Pulumi, any YAML) with the line and column of every key.

ruamel.yaml's round-trip loader keeps positions on every mapping and sequence (``.lc``); aliases
resolve to the same object, so an alias bomb costs no memory at load time.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from preflight.documents.base import Document, ParseError
from preflight.model import FileKind, Span

_yaml = None


def _loader():
    global _yaml
    if _yaml is None:
        from ruamel.yaml import YAML

        _yaml = YAML(typ="rt", pure=True)
    return _yaml


@dataclass(eq=False)
class YamlDocument(Document):
    """A YAML file: its documents, as ruamel.yaml reads them (with line numbers)."""

    documents: list[Any] = field(default_factory=list)

    @property
    def root(self) -> Any:
        """The first YAML document (most files have one)."""
        return self.documents[0] if self.documents else None

    def key_span(self, mapping: Any, key: Any) -> Span:
        """Where ``key`` stands in ``mapping`` (the key text itself); a key merged in with
        ``<<: *anchor`` is found where the anchored mapping writes it."""
        mapping = _holder(mapping, key)
        try:
            line, col = mapping.lc.key(key)
        except (AttributeError, KeyError, TypeError):
            return self.node_span(mapping)
        return Span(self.path, line + 1, col + 1, line + 1, col + 1 + len(scalar_text(key) or "?"))

    def value_span(self, mapping: Any, key: Any) -> Span:
        """Where the value of ``key`` starts; to the end of that line (merged keys as in key_span)."""
        mapping = _holder(mapping, key)
        try:
            line, col = mapping.lc.value(key)
        except (AttributeError, KeyError, TypeError):
            return self.key_span(mapping, key)
        end = len(self.line_text(line + 1).rstrip()) + 1
        return Span(self.path, line + 1, col + 1, line + 1, max(end, col + 2))

    def item_span(self, sequence: Any, index: int) -> Span:
        try:
            line, col = sequence.lc.item(index)
        except (AttributeError, KeyError, IndexError, TypeError):
            return self.node_span(sequence)
        end = len(self.line_text(line + 1).rstrip()) + 1
        return Span(self.path, line + 1, col + 1, line + 1, max(end, col + 2))

    def node_span(self, node: Any) -> Span:
        lc = getattr(node, "lc", None)
        if lc is None or lc.line is None:
            return Span(self.path, 1, 1)
        return Span(self.path, lc.line + 1, lc.col + 1)


def _holder(mapping: Any, key: Any, depth: int = 0) -> Any:
    """The mapping that really holds ``key``: ``mapping`` itself, or a ``<<`` merge source of it."""
    lc = getattr(mapping, "lc", None)
    data = getattr(lc, "data", None) if lc is not None else None
    if not isinstance(data, dict) or key in data or depth >= 20:
        return mapping
    for source in getattr(mapping, "merge", None) or ():
        source = source[1] if isinstance(source, tuple) and len(source) == 2 else source  # older ruamel
        if isinstance(source, dict) and key in source:
            return _holder(source, key, depth + 1)
    return mapping


def scalar_text(value: Any) -> str | None:
    """The text of a YAML scalar; None for a mapping or sequence.

    Never ``str()`` a YAML node that may be a collection: aliases make a few lines of YAML stand
    for billions of elements ("billion laughs"), and printing them would never finish.
    """
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ruamel's scanner re-examines every open flow collection of a line for each token, so a line of
# thousands of `[` or `{` costs seconds per thousand before the composer gives up on the depth
# (at about 240 levels) anyway: such a line is refused at once.
MAX_FLOW_DEPTH = 200


def _too_deep_line(text: str) -> int | None:
    """The first line opening more than MAX_FLOW_DEPTH flow collections at once, if any."""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return None
    for number, line in enumerate(text.split("\n"), 1):
        if line.count("[") + line.count("{") <= MAX_FLOW_DEPTH:
            continue
        depth = 0
        for char in line:
            if char in "[{":
                depth += 1
                if depth > MAX_FLOW_DEPTH:
                    return number
            elif char in "]}" and depth:
                depth -= 1
    return None


def load_documents(path: str, text: str) -> list[Any]:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    deep = _too_deep_line(text)
    if deep is not None:
        raise ParseError(f"nesting too deep to parse: more than {MAX_FLOW_DEPTH} nested [ ] or {{ }} "
                         "on one line", deep)
    try:
        with warnings.catch_warnings():
            # ruamel warns on stderr about valid YAML (a re-defined anchor: the later one wins)
            warnings.simplefilter("ignore")
            return [d for d in _loader().load_all(text)]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ParseError(f"invalid YAML: {problem}", line, col) from None
    except YAMLError as exc:
        raise ParseError(f"invalid YAML: {exc}") from None


def parse(path: str, kind: FileKind, text: str) -> YamlDocument:
    return YamlDocument(path, kind, text, load_documents(path, text))


def walk_mappings(node: Any, depth: int = 0, _seen: set[int] | None = None) -> Iterator[Any]:
    """Every mapping under ``node``, each once (aliases are not walked twice), depth-capped."""
    seen = _seen if _seen is not None else set()
    if id(node) in seen or depth > 200:
        return
    seen.add(id(node))
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk_mappings(value, depth + 1, seen)
    elif isinstance(node, list):
        for value in node:
            yield from walk_mappings(value, depth + 1, seen)
