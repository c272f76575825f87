"""Reading and validating declarative rule files (YAML) into plain specifications.

Every problem is a :class:`RuleFileError` that names the file, the line (ruamel.yaml keeps the
position of every key) and what is wrong; nothing here raises anything else for a bad file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from preflight.model import FileKind, Severity
from preflight.rule import RULE_ID

# Prefixes of the built-in rule families: a declarative or plugin rule may not use them.
RESERVED_PREFIXES = frozenset({"PF", "TOOL", "DC", "GHA", "DKR", "DEP", "SEC", "NGX", "FLY", "TF", "PY", "MIG",
                               "DIFF"})
NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MATCHER_TYPES = ("command", "key", "call", "regex")
RULE_KEYS = {"id", "name", "severity", "summary", "lesson", "source", "symptoms", "tags", "docs", "message",
             "enabled", "match", "tests"}
SCOPE_KEYS = {"kinds", "paths", "exclude-paths", "message"}
VALUE_TESTS = {"equals", "not-equals", "regex", "not-regex", "gt", "ge", "lt", "le", "version"}
COMMAND_KEYS = {"program", "subcommand", "value-flags", "flags", "without-flags", "args", "without-args",
                "unless-env", "include-counterexamples", "piped-from"}
PIPED_KEYS = {"program", "subcommand", "value-flags", "flags", "without-flags", "args", "without-args"}
KEY_KEYS = {"path", "where", "missing", "require"} | VALUE_TESTS
CALL_KEYS = {"callee", "args"}
ARG_KEYS = {"name", "position", "present", "kind", "equals", "regex", "not-regex", "resolves-to",
            "not-resolves-to"}
ARG_KINDS = {"string", "built-string", "fstring", "number", "bool", "none", "constant", "name", "attribute",
             "call", "list", "tuple", "dict", "lambda"}
REGEX_KEYS = {"pattern", "exclude-pattern"}


class RuleFileError(Exception):
    """One problem in one rule file, with its line."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class Scope:
    kinds: frozenset[FileKind] | None  # None: the matcher's default kinds
    paths: tuple[str, ...] = ()
    exclude_paths: tuple[str, ...] = ()
    message: str | None = None


@dataclass
class MatcherSpec:
    type: str  # one of MATCHER_TYPES
    body: dict[str, Any]
    scope: Scope
    line: int


@dataclass
class TestCase:
    files: dict[str, str]
    expect: list[tuple[str, int]]  # (path, line) of each expected finding; bad cases only
    line: int


@dataclass
class RuleSpec:
    path: str  # the rule file, relative to the scanned root when it lies under it
    id: str
    name: str
    severity: Severity
    summary: str
    lesson: str
    source: str
    symptoms: tuple[str, ...]
    tags: tuple[str, ...]
    docs: str
    message: str | None
    enabled: bool
    matchers: list[MatcherSpec]
    bad: list[TestCase] = field(default_factory=list)
    good: list[TestCase] = field(default_factory=list)
    line: int = 1


def _line(node: Any, key: Any = None, default: int = 1) -> int:
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        if key is not None:
            if isinstance(node, list):
                return lc.item(key)[0] + 1
            return lc.key(key)[0] + 1
        return (lc.line or 0) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return default


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, line: int, message: str) -> RuleFileError:
        return RuleFileError(self.path, line, message)

    def mapping(self, node: Any, what: str, line: int) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise self.fail(line, f"{what} must be a mapping")
        for key in node:
            if not isinstance(key, str):
                raise self.fail(_line(node, key, line), f"{what}: keys must be strings, not {key!r}")
        return node

    def known(self, node: dict[str, Any], allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                raise self.fail(_line(node, key), f"unknown key '{key}' in {what}; known keys: "
                                                  f"{', '.join(sorted(allowed))}")

    def text(self, node: dict[str, Any], key: str, *, required: bool = False, one_line: bool = True) -> str | None:
        if key not in node or node[key] is None:
            if required:
                raise self.fail(_line(node), f"missing required key '{key}'")
            return None
        value = node[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(_line(node, key), f"'{key}' must be a non-empty string")
        if one_line and "\n" in value.strip():
            raise self.fail(_line(node, key), f"'{key}' must be one line")
        return value.strip() if one_line else value

    def strings(self, node: dict[str, Any], key: str) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(_line(node, key), f"'{key}' must be a string or a list of strings")
        return tuple(v.strip() for v in value)

    def regex(self, node: dict[str, Any], key: str) -> None:
        value = node.get(key)
        if value is None:
            return
        patterns = value if isinstance(value, list) else [value]
        for pattern in patterns:
            if not isinstance(pattern, str):
                raise self.fail(_line(node, key), f"'{key}' must be a regular expression (a string)")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(_line(node, key), f"'{key}' is not a valid regular expression: {exc}") from None


def check_rule_id(rule_id: str) -> str | None:
    """Why ``rule_id`` cannot be a user rule's id, or None when it can."""
    if not RULE_ID.match(rule_id):
        return f"rule id {rule_id!r} must be upper-case letters, digits and '-', ending in three digits " \
               "(like X-001 or ACME001)"
    prefix = re.match(r"[A-Z]+", rule_id).group(0)  # type: ignore[union-attr]
    if prefix in RESERVED_PREFIXES and (len(rule_id) == len(prefix) + 3 or rule_id[len(prefix)] in "-0123456789"):
        return f"rule id {rule_id!r} uses the prefix {prefix}, reserved for built-in rules; use X- or a team " \
               "prefix such as ACME"
    return None


def parse_rule_file(path: str, text: str) -> RuleSpec:
    """The rule defined by the YAML ``text`` of the file ``path``; RuleFileError if it is not valid."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    reader = _Reader(path)
    try:
        data = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise reader.fail(mark.line + 1 if mark else 1, f"invalid YAML: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise reader.fail(1, f"invalid YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        raise reader.fail(1, "the file is empty; a rule needs at least id, name, severity, summary and match")
    root = reader.mapping(data, "a rule file", 1)
    reader.known(root, RULE_KEYS, "the rule")

    rule_id = reader.text(root, "id", required=True)
    assert rule_id is not None
    problem = check_rule_id(rule_id)
    if problem:
        raise reader.fail(_line(root, "id"), problem)
    name = reader.text(root, "name", required=True)
    assert name is not None
    if not NAME.match(name):
        raise reader.fail(_line(root, "name"), f"name {name!r} must be kebab-case (lower-case words joined by '-')")
    severity_text = reader.text(root, "severity", required=True)
    try:
        severity = Severity.parse(severity_text or "")
    except ValueError:
        raise reader.fail(_line(root, "severity"),
                          f"'severity' must be error, warning or info, not {severity_text!r}") from None
    summary = reader.text(root, "summary", required=True)
    assert summary is not None
    lesson = reader.text(root, "lesson", one_line=False) or summary
    source = reader.text(root, "source") or f"team rule {path}"
    message = reader.text(root, "message")
    docs = reader.text(root, "docs", one_line=False) or ""
    enabled = root.get("enabled", True)
    if not isinstance(enabled, bool):
        raise reader.fail(_line(root, "enabled"), "'enabled' must be true or false")
    if "match" not in root:
        raise reader.fail(_line(root), "missing required key 'match' (a list of command, key, call or regex matchers)")
    matches = root["match"]
    if isinstance(matches, dict):
        matches = [matches]
    if not isinstance(matches, list) or not matches:
        raise reader.fail(_line(root, "match"), "'match' must be a matcher or a non-empty list of matchers")
    matchers = [_matcher(reader, item, _line(matches, i, _line(root, "match"))) for i, item in enumerate(matches)]
    spec = RuleSpec(path, rule_id, name, severity, summary.rstrip("."), " ".join(lesson.split()), source,
                    reader.strings(root, "symptoms"), reader.strings(root, "tags"), docs.strip(), message, enabled,
                    matchers, line=_line(root, "id"))
    if "tests" in root:
        spec.bad, spec.good = _tests(reader, root["tests"], _line(root, "tests"))
    return spec


def _matcher(reader: _Reader, node: Any, line: int) -> MatcherSpec:
    node = reader.mapping(node, "a matcher", line)
    types = [t for t in MATCHER_TYPES if t in node]
    if len(types) != 1:
        raise reader.fail(line, "a matcher needs exactly one of 'command', 'key', 'call' or 'regex'"
                          + (f" (found {', '.join(types)})" if types else ""))
    kind = types[0]
    reader.known(node, SCOPE_KEYS | {kind}, f"the {kind} matcher")
    kinds = None
    if "kinds" in node:
        kinds = set()
        for name in reader.strings(node, "kinds"):
            try:
                kinds.add(FileKind(name))
            except ValueError:
                raise reader.fail(_line(node, "kinds"), f"unknown file kind {name!r}; known kinds: "
                                                        f"{', '.join(k.value for k in FileKind)}") from None
        kinds = frozenset(kinds)
    paths, excluded = reader.strings(node, "paths"), reader.strings(node, "exclude-paths")
    for key, patterns in (("paths", paths), ("exclude-paths", excluded)):
        try:
            import pathspec

            pathspec.GitIgnoreSpec.from_lines(list(patterns))
        except Exception as exc:
            raise reader.fail(_line(node, key), f"'{key}': {exc}") from None
    body = node[kind]
    if kind == "regex" and isinstance(body, str):
        body = {"pattern": body}
    body_line = _line(node, kind, line)
    body = reader.mapping(body, f"'{kind}'", body_line)
    {"command": _command, "key": _key, "call": _call, "regex": _regex}[kind](reader, body, body_line)
    if kind == "regex" and kinds is None and not paths:
        raise reader.fail(line, "a regex matcher needs 'kinds' or 'paths' to say which files it reads")
    return MatcherSpec(kind, dict(body), Scope(kinds, paths, excluded, reader.text(node, "message")), line)


def _command(reader: _Reader, body: dict[str, Any], line: int) -> None:
    reader.known(body, COMMAND_KEYS, "the command matcher")
    _command_test(reader, body, line, "a command matcher")
    reader.strings(body, "unless-env")
    if not isinstance(body.get("include-counterexamples", False), bool):
        raise reader.fail(_line(body, "include-counterexamples"), "'include-counterexamples' must be true or false")
    if "piped-from" in body:
        piped_line = _line(body, "piped-from", line)
        piped = reader.mapping(body["piped-from"], "'piped-from'", piped_line)
        reader.known(piped, PIPED_KEYS, "'piped-from'")
        _command_test(reader, piped, piped_line, "'piped-from'")


def _command_test(reader: _Reader, body: dict[str, Any], line: int, what: str) -> None:
    if not reader.strings(body, "program"):
        raise reader.fail(line, f"{what} needs 'program' (a program name or a list of them)")
    for key in ("subcommand", "value-flags", "flags", "without-flags"):
        reader.strings(body, key)
    for key in ("args", "without-args"):
        reader.regex(body, key)


def _path(reader: _Reader, node: dict[str, Any], key: str, line: int, required: bool = True) -> None:
    value = node.get(key)
    if value is None:
        if required:
            raise reader.fail(line, f"missing required key '{key}' (a dotted path like services.*.image, or a list)")
        return
    if isinstance(value, str) and value.strip():
        return
    if isinstance(value, list) and value and all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                                 for v in value):
        return
    raise reader.fail(_line(node, key, line), f"'{key}' must be a dotted path or a list of path segments")


def _value_tests(reader: _Reader, node: dict[str, Any]) -> None:
    reader.regex(node, "regex")
    reader.regex(node, "not-regex")
    for key in ("gt", "ge", "lt", "le"):
        if key in node and (isinstance(node[key], bool) or not isinstance(node[key], (int, float))):
            raise reader.fail(_line(node, key), f"'{key}' must be a number")
    if "version" in node:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(str(node["version"]))
        except InvalidSpecifier:
            raise reader.fail(_line(node, "version"), f"'version' must be a version specifier like '<2' or "
                                                      f"'>=1.4,<2', not {node['version']!r}") from None
    for key in ("equals", "not-equals"):
        if key in node and isinstance(node[key], dict):
            raise reader.fail(_line(node, key), f"'{key}' must be a scalar or a list of scalars")


def _key(reader: _Reader, body: dict[str, Any], line: int) -> None:
    reader.known(body, KEY_KEYS, "the key matcher")
    _path(reader, body, "path", line)
    _value_tests(reader, body)
    given = [k for k in ("missing", "require") if k in body] + (["a value test"] if VALUE_TESTS & set(body) else [])
    if len(given) > 1:
        raise reader.fail(line, f"a key matcher takes one of 'missing', 'require' or value tests, not {' and '.join(given)}")
    if "missing" in body:
        missing = body["missing"]
        items = missing if isinstance(missing, list) and all(isinstance(m, (str, list)) for m in missing) else [missing]
        for item in items:
            _path(reader, {"missing": item}, "missing", _line(body, "missing", line))
    for key in ("require", "where"):
        if key not in body:
            continue
        conditions = body[key] if isinstance(body[key], list) else [body[key]]
        for i, condition in enumerate(conditions):
            where = _line(body[key], i, _line(body, key, line)) if isinstance(body[key], list) else _line(body, key, line)
            condition = reader.mapping(condition, f"'{key}'", where)
            reader.known(condition, {"path", "exists"} | VALUE_TESTS, f"'{key}'")
            _path(reader, condition, "path", where)
            _value_tests(reader, condition)
            if "exists" in condition and not isinstance(condition["exists"], bool):
                raise reader.fail(_line(condition, "exists", where), "'exists' must be true or false")


def _call(reader: _Reader, body: dict[str, Any], line: int) -> None:
    reader.known(body, CALL_KEYS, "the call matcher")
    if not reader.strings(body, "callee"):
        raise reader.fail(line, "a call matcher needs 'callee' (a dotted name like requests.get, or a list)")
    args = body.get("args", [])
    if not isinstance(args, list):
        raise reader.fail(_line(body, "args", line), "'args' must be a list of argument conditions")
    for i, arg in enumerate(args):
        where = _line(args, i, line)
        arg = reader.mapping(arg, "an argument condition", where)
        reader.known(arg, ARG_KEYS, "an argument condition")
        if "name" not in arg and "position" not in arg:
            raise reader.fail(where, "an argument condition needs 'name' (keyword) or 'position' (from 0), or both")
        if "name" in arg and (not isinstance(arg["name"], str) or not arg["name"].isidentifier()):
            raise reader.fail(_line(arg, "name", where), "'name' must be a keyword argument name")
        position = arg.get("position")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 0):
            raise reader.fail(_line(arg, "position", where), "'position' must be a whole number from 0")
        if "present" in arg and not isinstance(arg["present"], bool):
            raise reader.fail(_line(arg, "present", where), "'present' must be true or false")
        if arg.get("present") is False and set(arg) - {"name", "position", "present"}:
            raise reader.fail(where, "an argument that must be absent ('present: false') takes no value tests")
        for kind in reader.strings(arg, "kind"):
            if kind not in ARG_KINDS:
                raise reader.fail(_line(arg, "kind", where), f"unknown argument kind {kind!r}; known kinds: "
                                                             f"{', '.join(sorted(ARG_KINDS))}")
        reader.regex(arg, "regex")
        reader.regex(arg, "not-regex")
        reader.strings(arg, "resolves-to")
        reader.strings(arg, "not-resolves-to")


def _regex(reader: _Reader, body: dict[str, Any], line: int) -> None:
    reader.known(body, REGEX_KEYS, "the regex matcher")
    if "pattern" not in body:
        raise reader.fail(line, "a regex matcher needs 'pattern'")
    reader.regex(body, "pattern")
    reader.regex(body, "exclude-pattern")


def _tests(reader: _Reader, node: Any, line: int) -> tuple[list[TestCase], list[TestCase]]:
    node = reader.mapping(node, "'tests'", line)
    reader.known(node, {"bad", "good"}, "'tests'")
    found: dict[str, list[TestCase]] = {"bad": [], "good": []}
    for which in ("bad", "good"):
        cases = node.get(which) or []
        if not isinstance(cases, list):
            raise reader.fail(_line(node, which, line), f"'tests.{which}' must be a list of cases")
        for i, case in enumerate(cases):
            where = _line(cases, i, line)
            case = reader.mapping(case, f"a {which} case", where)
            reader.known(case, {"path", "content", "files", "expect"}, f"a {which} case")
            files: dict[str, str] = {}
            if "files" in case:
                if not isinstance(case["files"], dict) or not all(isinstance(v, str) for v in case["files"].values()):
                    raise reader.fail(_line(case, "files", where), "'files' must map paths to file contents")
                files.update({str(k): v for k, v in case["files"].items()})
            if "path" in case or "content" in case:
                if not isinstance(case.get("path"), str) or not isinstance(case.get("content"), str):
                    raise reader.fail(where, f"a {which} case needs both 'path' and 'content' (or 'files')")
                files[case["path"]] = case["content"]
            if not files:
                raise reader.fail(where, f"a {which} case needs 'path' and 'content', or 'files'")
            for name in files:
                if name.startswith("/") or ".." in name.replace("\\", "/").split("/"):
                    raise reader.fail(where, f"test file path {name!r} must be relative and stay inside the case")
            expect: list[tuple[str, int]] = []
            if which == "bad":
                raw = case.get("expect")
                if not isinstance(raw, list) or not raw:
                    raise reader.fail(where, "a bad case needs 'expect': the lines of the findings, like [2, 5] "
                                             "or ['Makefile:2']")
                default = next(iter(files)) if len(files) == 1 else None
                for item in raw:
                    parsed = _expectation(item, default)
                    if parsed is None:
                        raise reader.fail(_line(case, "expect", where),
                                          f"cannot read expectation {item!r}: give a line number (one file) or "
                                          "'path:line'")
                    expect.append(parsed)
            elif "expect" in case:
                raise reader.fail(_line(case, "expect", where), "a good case expects no findings; drop 'expect'")
            found[which].append(TestCase(files, sorted(expect), where))
    return found["bad"], found["good"]


def _expectation(item: Any, default: str | None) -> tuple[str, int] | None:
    if isinstance(item, int) and not isinstance(item, bool) and default is not None and item > 0:
        return default, item
    if isinstance(item, str):
        path, sep, number = item.rpartition(":")
        if sep and number.isdigit() and path:
            return path, int(number)
    return None
