"""The matchers of declarative rules, over what the engine already parses.

- ``command``: every shell command (:mod:`preflight.commands`) — scripts, Makefile recipes,
  workflow and action ``run:``, Dockerfile ``RUN``, shell blocks in Markdown;
- ``key``: paths with wildcards into YAML, TOML and HCL (Terraform) documents;
- ``call``: Python calls by the resolved dotted name of the callee (:mod:`preflight.pynames`);
- ``regex``: lines of the chosen files, the last resort.

A matcher never reads a file: it gets the documents and commands the engine hands to every rule.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from preflight.commands import COMMAND_KINDS, Command
from preflight.declarative.spec import MatcherSpec
from preflight.documents.base import Document
from preflight.model import FileKind, Finding, Span
from preflight.rule import Context

YAML_KINDS = frozenset({FileKind.COMPOSE, FileKind.WORKFLOW, FileKind.ACTION, FileKind.KUBERNETES, FileKind.PULUMI,
                        FileKind.YAML})
TOML_KINDS = frozenset({FileKind.PYPROJECT, FileKind.TOML, FileKind.FLY_TOML, FileKind.POETRY_LOCK})
KEY_KINDS = YAML_KINDS | TOML_KINDS | {FileKind.TERRAFORM}
DEFAULT_KINDS = {"command": COMMAND_KINDS, "key": KEY_KINDS, "call": frozenset({FileKind.PYTHON}),
                 "regex": frozenset(FileKind)}
ALLOWED_KINDS = {"command": COMMAND_KINDS, "key": KEY_KINDS, "call": frozenset({FileKind.PYTHON}),
                 "regex": frozenset(FileKind)}
HCL_META = ("__start_line__", "__end_line__")


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _glob(patterns: list[str], text: str | None) -> bool:
    return text is not None and any(fnmatch.fnmatchcase(text, p) for p in patterns)


class Matcher:
    type = ""

    def __init__(self, spec: MatcherSpec, default_message: str) -> None:
        import pathspec

        self.spec = spec
        self.body = spec.body
        self.kinds = spec.scope.kinds if spec.scope.kinds is not None else DEFAULT_KINDS[spec.type]
        self.message = spec.scope.message or default_message
        self._paths = pathspec.GitIgnoreSpec.from_lines(list(spec.scope.paths)) if spec.scope.paths else None
        self._excluded = (pathspec.GitIgnoreSpec.from_lines(list(spec.scope.exclude_paths))
                          if spec.scope.exclude_paths else None)

    def applies(self, path: str, kind: FileKind) -> bool:
        if kind not in self.kinds:
            return False
        if self._paths is not None and not self._paths.match_file(path):
            return False
        return self._excluded is None or not self._excluded.match_file(path)

    def say(self, matched: str) -> str:
        return " ".join(self.message.replace("{match}", matched).split())

    def check_command(self, cmd: Command, ctx: Context) -> Iterator[Finding]:
        return iter(())

    def check_document(self, doc: Document, ctx: Context) -> Iterator[Finding]:
        return iter(())


# -- command ----------------------------------------------------------------------------------
class CommandMatcher(Matcher):
    """Program (by name, globs allowed), subcommand words, flags present or absent, argument regexes."""

    type = "command"

    def __init__(self, spec: MatcherSpec, default_message: str) -> None:
        super().__init__(spec, default_message)
        body = self.body
        self.test = _CommandTest(body)
        self.unless_env = _list(body.get("unless-env"))
        self.counterexamples = bool(body.get("include-counterexamples", False))
        piped = body.get("piped-from")
        self.piped_from = _CommandTest(piped) if piped is not None else None

    def check_command(self, cmd: Command, ctx: Context) -> Iterator[Finding]:
        if not self.applies(cmd.path, cmd.kind) or (cmd.counterexample and not self.counterexamples):
            return
        at = self.test.match(cmd)
        if at is None:
            return
        if any(cmd.is_set(name) for name in self.unless_env):
            return
        if self.piped_from is not None and (cmd.pipe_from is None or self.piped_from.match(cmd.pipe_from) is None):
            return
        yield ctx.finding(at.span, self.say(at.text))


class _CommandTest:
    """What one command must look like: program, subcommand, flags and arguments."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.programs = [p for p in _list(body.get("program"))]
        self.subcommand = [w.split("|") for s in _list(body.get("subcommand")) for w in s.split()]
        self.value_flags = set(_list(body.get("value-flags")))
        self.flags = _list(body.get("flags"))
        self.without_flags = _list(body.get("without-flags"))
        self.args = [re.compile(p) for p in _list(body.get("args"))]
        self.without_args = [re.compile(p) for p in _list(body.get("without-args"))]

    def match(self, cmd: Command) -> Any:
        """The word a finding points at (the program, or the first matching argument), or None."""
        if not _glob(self.programs, cmd.program_name):
            return None
        words = cmd.argv[1:]
        positional = _positional(words, self.value_flags)
        if self.subcommand:
            if len(positional) < len(self.subcommand):
                return None
            if not all(_glob(choices, positional[i].text) for i, choices in enumerate(self.subcommand)):
                return None
        rest = list(words)
        if self.subcommand:  # arguments after the subcommand words
            last = positional[len(self.subcommand) - 1]
            rest = rest[next(i for i, w in enumerate(rest) if w is last) + 1:]
        texts = [w.text for w in words]
        if self.flags and not any(_has_flag(texts, f) for f in self.flags):
            return None
        if any(_has_flag(texts, f) for f in self.without_flags):
            return None
        if any(p.search(w.text) for p in self.without_args for w in rest):
            return None
        if self.args:
            return next((w for w in rest if any(p.search(w.text) for p in self.args)), None)
        return cmd.argv[0]


def _positional(words: tuple[Any, ...] | list[Any], value_flags: set[str]) -> list[Any]:
    found, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word.text.startswith("-") and len(word.text) > 1:
            skip = word.text in value_flags
            continue
        found.append(word)
    return found


def _has_flag(texts: list[str], flag: str) -> bool:
    return any(t == flag or t.startswith(flag + "=") for t in texts)


# -- key paths in YAML, TOML and HCL --------------------------------------------------------------
def _segments(path: Any) -> list[str]:
    if isinstance(path, list):
        return [str(p) for p in path]
    return [p for p in str(path).split(".") if p != ""]


def _plain(value: Any) -> Any:
    unwrap = getattr(value, "unwrap", None)  # tomlkit items
    return unwrap() if callable(unwrap) else value


def _text(value: Any) -> str | None:
    value = _plain(value)
    if value is None or isinstance(value, (dict, list, tuple, set)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _same(actual: str, expected: Any) -> bool:
    wanted = _text(expected)
    if wanted is None:
        return False
    if actual == wanted:
        return True
    try:
        return float(actual) == float(wanted)
    except ValueError:
        return False


def value_passes(value: Any, tests: dict[str, Any]) -> bool:
    """Whether ``value`` meets every value test in ``tests`` (a mapping or list meets none)."""
    present = [k for k in ("equals", "not-equals", "regex", "not-regex", "gt", "ge", "lt", "le", "version")
               if k in tests]
    if not present:
        return True
    text = _text(value)
    if text is None:
        return False
    if "equals" in tests and not any(_same(text, e) for e in _list(tests["equals"])):
        return False
    if "not-equals" in tests and any(_same(text, e) for e in _list(tests["not-equals"])):
        return False
    if "regex" in tests and not re.search(tests["regex"], text):
        return False
    if "not-regex" in tests and re.search(tests["not-regex"], text):
        return False
    for key, compare in (("gt", float.__gt__), ("ge", float.__ge__), ("lt", float.__lt__), ("le", float.__le__)):
        if key in tests:
            try:
                number = float(text)
            except ValueError:
                return False
            if not compare(number, float(tests[key])):
                return False
    if "version" in tests:
        from packaging.specifiers import SpecifierSet
        from packaging.version import InvalidVersion, Version

        try:
            version = Version(text.lstrip("vV"))
        except InvalidVersion:
            return False
        if not SpecifierSet(str(tests["version"])).contains(version, prereleases=True):
            return False
    return True


class _Node:
    """A node reached by a path: its value, the container holding it, its key there, its ancestors."""

    __slots__ = ("value", "container", "key", "trail")

    def __init__(self, value: Any, container: Any, key: Any, trail: tuple[Any, ...]) -> None:
        self.value, self.container, self.key, self.trail = value, container, key, trail


class KeyMatcher(Matcher):
    """Nodes at ``path`` (``*`` one level, ``**`` any depth, globs in segments), with conditions."""

    type = "key"

    def __init__(self, spec: MatcherSpec, default_message: str) -> None:
        super().__init__(spec, default_message)
        body = self.body
        self.path = _segments(body["path"])
        self.where = [dict(c) for c in _list(body.get("where"))]
        missing = body.get("missing")
        self.missing = [_segments(m) for m in (missing if isinstance(missing, list) else [missing])] \
            if missing is not None else []
        self.require = [dict(c) for c in _list(body.get("require"))]
        self.tests = {k: v for k, v in body.items() if k not in ("path", "where", "missing", "require")}

    def check_document(self, doc: Document, ctx: Context) -> Iterator[Finding]:
        if not self.applies(doc.path, doc.kind):
            return
        hcl = doc.kind is FileKind.TERRAFORM
        for root in _roots(doc):
            for node in _select(_Node(root, None, None, ()), self.path, hcl):
                if not all(self._holds(node, c, hcl) for c in self.where):
                    continue
                yield from self._judge(doc, node, hcl, ctx)

    def _holds(self, node: _Node, condition: dict[str, Any], hcl: bool) -> bool:
        found = list(_select(node, _segments(condition["path"]), hcl))
        if condition.get("exists") is False:
            return not found
        return any(value_passes(f.value, condition) for f in found)

    def _judge(self, doc: Document, node: _Node, hcl: bool, ctx: Context) -> Iterator[Finding]:
        if self.missing:
            for path in self.missing:
                if not list(_select(node, path, hcl)):
                    yield ctx.finding(_key_span(doc, node), self.say(".".join(path)))
            return
        if self.require:
            for condition in self.require:
                path = _segments(condition["path"])
                found = list(_select(node, path, hcl))
                if not found:
                    yield ctx.finding(_key_span(doc, node), self.say(".".join(path)))
                for hit in found:
                    if not value_passes(hit.value, condition):
                        yield ctx.finding(_value_span(doc, hit), self.say(_text(hit.value) or ".".join(path)))
            return
        if self.tests:
            if value_passes(node.value, self.tests):
                yield ctx.finding(_value_span(doc, node), self.say(_text(node.value) or ""))
            return
        yield ctx.finding(_key_span(doc, node), self.say(str(node.key)))


def _roots(doc: Document) -> list[Any]:
    if hasattr(doc, "documents"):  # YAML: every document of the stream
        return list(doc.documents)  # type: ignore[attr-defined]
    if hasattr(doc, "body"):  # HCL
        return [doc.body]  # type: ignore[attr-defined]
    return [getattr(doc, "data", None)]


def _children(node: _Node, hcl: bool) -> Iterator[_Node]:
    value = node.value
    trail = node.trail + ((node.container, node.key),) if node.container is not None else node.trail
    if isinstance(value, dict):
        for key, child in value.items():
            if hcl and key in HCL_META:
                continue
            if hcl and isinstance(child, list) and child and all(isinstance(c, dict) for c in child):
                for item in child:  # nested blocks and the list of a block type are transparent
                    yield _Node(item, value, key, trail)
            else:
                yield _Node(child, value, key, trail)
    elif isinstance(value, list) and not (hcl and all(isinstance(c, dict) for c in value)):
        for index, child in enumerate(value):
            yield _Node(child, value, index, trail)


def _select(start: _Node, path: list[str], hcl: bool, depth: int = 0) -> Iterator[_Node]:
    if depth > 100:
        return
    if not path:
        yield start
        return
    head, rest = path[0], path[1:]
    if head == "**":
        yield from _select(start, rest, hcl, depth + 1)
        for child in _children(start, hcl):
            yield from _select(child, path, hcl, depth + 1)
        return
    for child in _children(start, hcl):
        if head == "*" or fnmatch.fnmatchcase(str(child.key), head):
            yield from _select(child, rest, hcl, depth + 1)


def _span(doc: Document, node: _Node, *, value: bool) -> Span:
    """Where ``node`` is written: its key, or (``value``) its value when that is a scalar."""
    if doc.kind is FileKind.TERRAFORM:
        return _hcl_span(doc, node, value=value)
    if hasattr(doc, "key_lines"):
        return _toml_span(doc, node, value=value)
    container = node.container
    if container is None:
        return Span(doc.path, 1, 1)
    if isinstance(container, list):
        return doc.item_span(container, node.key)  # type: ignore[attr-defined]
    if value and not isinstance(node.value, (dict, list)):
        return doc.value_span(container, node.key)  # type: ignore[attr-defined]
    return doc.key_span(container, node.key)  # type: ignore[attr-defined]


def _key_span(doc: Document, node: _Node) -> Span:
    return _span(doc, node, value=False)


def _value_span(doc: Document, node: _Node) -> Span:
    return _span(doc, node, value=True)


def _toml_span(doc: Any, node: _Node, value: bool) -> Span:
    keys = [k for _, k in node.trail] + [node.key]
    while keys:
        parts = tuple(f"[{k}]" if isinstance(k, int) else str(k) for k in keys)
        line = doc.key_lines.get(parts)
        if line is not None:
            span = doc.line_span(line)
            text = doc.line_text(line)
            if value and keys == [k for _, k in node.trail] + [node.key] and "=" in text \
                    and not text.lstrip().startswith("["):
                start = text.index("=") + 1
                start += len(text[start:]) - len(text[start:].lstrip())
                return Span(doc.path, line, start + 1, line, max(span.end_column or start + 2, start + 2))
            return span
        keys = keys[:-1]
    return Span(doc.path, 1, 1)


def _hcl_span(doc: Document, node: _Node, value: bool) -> Span:
    if isinstance(node.value, dict) and "__start_line__" in node.value:
        return doc.block_span(_Block(int(node.value["__start_line__"])))  # type: ignore[attr-defined]
    chain = [node.container] + [c for c, _ in reversed(node.trail)]
    block = next((c for c in chain if isinstance(c, dict) and "__start_line__" in c), None)
    if block is None:
        return Span(doc.path, 1, 1)
    start, end = int(block["__start_line__"]), int(block.get("__end_line__", block["__start_line__"]))
    if block is not node.container:  # inside a value (a map or list attribute): the block's line
        return doc.block_span(_Block(start))  # type: ignore[attr-defined]
    nested = [(int(c["__start_line__"]), int(c.get("__end_line__", c["__start_line__"])))
              for v in block.values() for c in (v if isinstance(v, list) else [v])
              if isinstance(c, dict) and "__start_line__" in c]
    pattern = re.compile(r"^(\s*)(\"?)" + re.escape(str(node.key)) + r"\2\s*=")
    for number in range(start, end + 1):
        if any(s <= number <= e for s, e in nested):
            continue
        text = doc.line_text(number)
        if number == start and "{" in text:  # `resource "x" "y" { name = "z"`
            head, _, tail = text.partition("{")
            found = re.search(r"(?:^|\s)(\"?)" + re.escape(str(node.key)) + r"\1\s*=", tail)
            if not found:
                continue
            column = len(head) + 1 + found.start() + (1 if tail[found.start()].isspace() else 0)
            text_from = len(head) + 1 + found.end()
        else:
            found = pattern.match(text)
            if not found:
                continue
            column = len(found.group(1))
            text_from = found.end()
        if not value:
            return Span(doc.path, number, column + 1, number, column + 1 + len(str(node.key)))
        offset = text_from + len(text[text_from:]) - len(text[text_from:].lstrip())
        return Span(doc.path, number, offset + 1, number, max(len(text.rstrip()) + 1, offset + 2))
    return doc.block_span(_Block(start))  # type: ignore[attr-defined]


class _Block:
    def __init__(self, line: int) -> None:
        self.line = line


# -- Python calls -------------------------------------------------------------------------------
class CallMatcher(Matcher):
    """Calls whose callee resolves (through imports and aliases) to one of ``callee``."""

    type = "call"

    def __init__(self, spec: MatcherSpec, default_message: str) -> None:
        super().__init__(spec, default_message)
        self.callees = _list(self.body.get("callee"))
        self.conditions = [dict(a) for a in _list(self.body.get("args"))]

    def check_document(self, doc: Document, ctx: Context) -> Iterator[Finding]:
        if not self.applies(doc.path, doc.kind) or getattr(doc, "tree", None) is None:
            return
        from preflight.pynames import names_of

        names = names_of(doc)  # type: ignore[arg-type]
        classes = _module_classes(doc.tree)  # type: ignore[attr-defined]
        calls = [n for n in doc.walk() if isinstance(n, ast.Call)]  # type: ignore[attr-defined]
        calls.sort(key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            name = names.qualname(call.func)
            if not _glob(self.callees, name):
                continue
            if all(_argument_holds(call, c, names, classes) for c in self.conditions):
                yield ctx.finding(doc.node_span(call), self.say(name or ""))  # type: ignore[attr-defined]


def _find_argument(call: ast.Call, name: str | None, position: int | None) -> tuple[ast.expr | None, bool]:
    """The argument (keyword ``name`` or at ``position``) and whether its absence is certain."""
    if name is not None:
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value, True
    if position is not None:
        for i, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return None, False
            if i == position:
                return arg, True
    unpacked = any(kw.arg is None for kw in call.keywords)
    return None, not unpacked


def _kind_of(node: ast.expr) -> set[str]:
    from preflight.pynames import is_built_string

    kinds: set[str] = set()
    if isinstance(node, ast.Constant):
        kinds.add("constant")
        value = node.value
        if isinstance(value, str):
            kinds.add("string")
        elif isinstance(value, bool):
            kinds.add("bool")
        elif value is None:
            kinds.add("none")
        elif isinstance(value, (int, float, complex)):
            kinds.add("number")
    elif isinstance(node, ast.JoinedStr):
        kinds.update({"fstring", "built-string"})
    elif isinstance(node, ast.Name):
        kinds.add("name")
    elif isinstance(node, ast.Attribute):
        kinds.add("attribute")
    elif isinstance(node, ast.Call):
        kinds.add("call")
    elif isinstance(node, ast.List):
        kinds.add("list")
    elif isinstance(node, ast.Tuple):
        kinds.add("tuple")
    elif isinstance(node, ast.Dict):
        kinds.add("dict")
    elif isinstance(node, ast.Lambda):
        kinds.add("lambda")
    if "built-string" not in kinds and is_built_string(node):
        kinds.add("built-string")
    return kinds


def _argument_holds(call: ast.Call, condition: dict[str, Any], names: Any, classes: dict[str, ast.ClassDef]) -> bool:
    arg, certain = _find_argument(call, condition.get("name"), condition.get("position"))
    if condition.get("present") is False:
        return arg is None and certain
    if arg is None:
        return False
    if "kind" in condition and not (_kind_of(arg) & set(_list(condition["kind"]))):
        return False
    literal = arg.value if isinstance(arg, ast.Constant) else None
    if "equals" in condition:
        if not isinstance(arg, ast.Constant) or not any(_same(_text(literal) or "", e) if literal is not None
                                                        else e is None for e in _list(condition["equals"])):
            return False
    if "regex" in condition and not (isinstance(literal, str) and re.search(condition["regex"], literal)):
        return False
    if "not-regex" in condition and isinstance(literal, str) and re.search(condition["not-regex"], literal):
        return False
    target = arg.func if isinstance(arg, ast.Call) else arg
    resolved = _resolved(target, names, classes) if isinstance(target, (ast.Name, ast.Attribute)) else []
    if "resolves-to" in condition and not any(_glob(_list(condition["resolves-to"]), r) for r in resolved):
        return False
    if "not-resolves-to" in condition and any(_glob(_list(condition["not-resolves-to"]), r) for r in resolved):
        return False
    return True


def _resolved(node: ast.expr, names: Any, classes: dict[str, ast.ClassDef], depth: int = 0) -> list[str]:
    """The dotted name ``node`` refers to; for a class of this module, the names of its bases too
    (``class BotLoader(yaml.Loader)`` resolves to ``yaml.Loader``)."""
    name = names.qualname(node)
    if name is not None:
        return [name]
    if isinstance(node, ast.Name) and node.id in classes and depth < 10:
        return [r for base in classes[node.id].bases for r in _resolved(base, names, classes, depth + 1)]
    return []


def _module_classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


# -- regular expressions over lines -----------------------------------------------------------------
class RegexMatcher(Matcher):
    """Each line of the chosen files that matches ``pattern`` (and not ``exclude-pattern``)."""

    type = "regex"

    def __init__(self, spec: MatcherSpec, default_message: str) -> None:
        super().__init__(spec, default_message)
        self.pattern = re.compile(self.body["pattern"])
        excluded = self.body.get("exclude-pattern")
        self.exclude = re.compile(excluded) if excluded else None

    def check_document(self, doc: Document, ctx: Context) -> Iterator[Finding]:
        if not self.applies(doc.path, doc.kind):
            return
        for number, line in enumerate(doc.lines, start=1):
            if self.exclude is not None and self.exclude.search(line):
                continue
            for match in self.pattern.finditer(line):
                group = "at" if "at" in self.pattern.groupindex and match.group("at") is not None else 0
                start, end = match.span(group)
                span = Span(doc.path, number, start + 1, number, end + 1 if end > start else start + 2)
                yield ctx.finding(span, self.say(match.group(group)))
                break  # one finding per line


MATCHERS: dict[str, type[Matcher]] = {"command": CommandMatcher, "key": KeyMatcher, "call": CallMatcher,
                                      "regex": RegexMatcher}


def build(spec: MatcherSpec, default_message: str) -> Matcher:
    return MATCHERS[spec.type](spec, default_message)
