"""Repository facts of the TOOL family: where Poetry is pinned, which Python each place uses.

Each fact is a plain function of the repository, asked for with ``repo.fact(poetry_pins)`` so it is
computed once per run and shared by TOOL002, TOOL003 and TOOL004.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from packaging.version import InvalidVersion, Version

from preflight.commands import Command
from preflight.documents.yamldoc import scalar_text
from preflight.facts import Repository
from preflight.installs import package_installs
from preflight.model import FileKind, Span
from preflight_rules.dep.specifiers import Constraint, parse_pep440, poetry_to_pep440

BUILD_KINDS = (FileKind.WORKFLOW, FileKind.ACTION, FileKind.DOCKERFILE, FileKind.SHELL, FileKind.MAKEFILE)
INSTALLER_URL = re.compile(r"install\.python-poetry\.org|python-poetry/(install\.python-poetry\.org|poetry)/"
                           r".*(install-poetry|get-poetry)\.py|(install|get)-poetry\.py")
PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
# GitHub actions that install Poetry, and the input that pins its version.
POETRY_ACTIONS = {"snok/install-poetry": "version", "abatilo/actions-poetry": "poetry-version",
                  "gr1n/setup-poetry": "poetry-version"}
VARIABLE = "POETRY_VERSION"


def runs_poetry_installer(cmd: Command) -> bool:
    """``python3 -`` fed by curl/wget of the official installer, or python running the installer script."""
    if not (cmd.program_name and PYTHON.match(cmd.program_name)):
        return False
    feeder = cmd.pipe_from
    if feeder is not None and feeder.program_name in ("curl", "wget") and \
            any(INSTALLER_URL.search(a) for a in feeder.args):
        return True
    return any(INSTALLER_URL.search(w.text) for w in cmd.argv[1:3])


def exact_version(text: str | None) -> str | None:
    """``text`` when it is one exact release (``1.8.3``, ``2.0``), else None (``latest``, ``1.8.*``)."""
    text = (text or "").strip().strip("\"'")
    if not text or not text[0].isdigit():
        return None
    try:
        Version(text)
    except InvalidVersion:
        return None
    return text


def major(version: str) -> int:
    return Version(version).release[0]


def serving(path: str, candidates: Sequence[str]) -> str | None:
    """Of ``candidates`` (paths of files such as poetry.lock), the one a file at ``path`` works with.

    The one in the nearest directory at or above the file's; else the only one in the repository.
    A workflow in ``.github/workflows`` therefore goes with the root ``poetry.lock``, or with
    ``backend/poetry.lock`` when that is the only lock file.
    """
    return server(candidates)(path)


def server(candidates: Sequence[str]) -> Callable[[str], str | None]:
    """:func:`serving` for many paths: ``server(candidates)(path)``, candidates indexed once."""
    by_dir = {posixpath.dirname(c): c for c in candidates}
    only = candidates[0] if len(candidates) == 1 else None

    def find(path: str) -> str | None:
        directory = posixpath.dirname(path)
        while True:
            if directory in by_dir:
                return by_dir[directory]
            if not directory:
                break
            directory = posixpath.dirname(directory)
        return only

    return find


# -- where Poetry is pinned -----------------------------------------------------------------------
class PoetryPin(NamedTuple):
    path: str
    line: int
    column: int
    version: str
    how: str  # e.g. "pipx install poetry==1.8.3", "ARG POETRY_VERSION", "snok/install-poetry version"
    end_column: int | None = None

    @property
    def span(self) -> Span:
        return Span(self.path, self.line, self.column, self.line if self.end_column else None, self.end_column)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def poetry_pins(repo: Repository) -> list[PoetryPin]:
    """Every exact Poetry pin where a build runs, once each, at the place the version is written.

    ``pip/pipx/uv install poetry==X``, the official installer with ``--version X``, ``poetry self
    update X``, ``POETRY_VERSION`` set by a Dockerfile ``ARG``/``ENV``, a workflow ``env:`` (any
    level), a Makefile variable or an ``export``/prefix assignment, and the ``version`` inputs of the
    Poetry-installing actions. ``${{ matrix.* }}`` and unset variables are not pins; an install of
    ``poetry==$POETRY_VERSION`` is counted where ``POETRY_VERSION`` is set, not again at the install.
    """
    pins: list[PoetryPin] = []
    for doc in repo.documents(*BUILD_KINDS):
        if doc.kind is FileKind.DOCKERFILE:
            pins.extend(_dockerfile_variables(doc))
        elif doc.kind in (FileKind.WORKFLOW, FileKind.ACTION):
            pins.extend(_workflow_pins(doc))
        elif doc.kind is FileKind.MAKEFILE:
            pins.extend(_makefile_variables(doc))
        commands = repo.commands(doc)
        exported = {n for c in commands for n in _exported(c)}
        for cmd in commands:
            pins.extend(_command_pins(cmd, exported))
    return sorted(set(pins), key=lambda p: (p.path, p.line, p.column))


def _pin_at(path: str, line: int, text: str, start: int, version: str, how: str) -> PoetryPin:
    """A pin whose version is written in ``text`` (line ``line``) at or after index ``start``."""
    found = text.find(version, start)
    column = found + 1 if found >= 0 else start + 1
    return PoetryPin(path, line, column, version, how, column + len(version) if found >= 0 else None)


def _dockerfile_variables(doc: Any) -> Iterator[PoetryPin]:
    for instruction in doc.instructions:
        if instruction.name not in ("ARG", "ENV"):
            continue
        for number in range(instruction.line, instruction.end_line + 1):
            text = doc.line_text(number)
            for match in re.finditer(rf"(?<![\w$]){VARIABLE}(=|\s+)(\"[^\"]*\"|'[^']*'|\S+)", text):
                if match.group(1).strip() == "" and not re.match(r"\s*(ENV\s+)?$", text[:match.start()],
                                                                 re.IGNORECASE):
                    continue  # `ENV A=1 POETRY_VERSION x`: only the legacy form `ENV NAME value` has a space
                version = exact_version(match.group(2))
                if version:
                    yield _pin_at(doc.path, number, text, match.start(2), version,
                                  f"{instruction.name} {VARIABLE}")


def _workflow_pins(doc: Any) -> Iterator[PoetryPin]:
    root = doc.root
    layers: list[Any] = [root] if isinstance(root, Mapping) else []
    layers += [job.node for job in doc.jobs]
    layers += [step.node for step in doc.steps]
    for node in layers:
        env = node.get("env")
        if isinstance(env, Mapping) and VARIABLE in env:
            pin = _yaml_pin(doc, env, VARIABLE, f"env {VARIABLE}")
            if pin:
                yield pin
    for step in doc.steps:
        uses = step.uses
        if not uses or "@" not in uses:
            continue
        action = uses.split("@", 1)[0].lower()
        option = POETRY_ACTIONS.get(action)
        if option and option in step.with_:
            pin = _yaml_pin(doc, step.with_, option, f"{uses.split('@')[0]} {option}")
            if pin:
                yield pin


def _yaml_pin(doc: Any, mapping: Mapping[str, Any], key: str, how: str) -> PoetryPin | None:
    version = exact_version(scalar_text(mapping.get(key)))
    if version is None:
        return None
    span = doc.value_span(mapping, key)
    return _pin_at(doc.path, span.line, doc.line_text(span.line), span.column - 1, version, how)


def _makefile_variables(doc: Any) -> Iterator[PoetryPin]:
    variable = doc.variables.get(VARIABLE)
    if variable is not None:
        version = exact_version(variable.value.split("#")[0])
        if version:
            text = doc.line_text(variable.line)
            yield _pin_at(doc.path, variable.line, text, text.find("=") + 1, version, f"Makefile {VARIABLE}")


def _exported(cmd: Command) -> Iterator[str]:
    if cmd.program_name in ("export", "declare", "typeset", "readonly", "local"):
        for word in cmd.argv[1:]:
            name, eq, _ = word.text.partition("=")
            if eq:
                yield name


def _command_pins(cmd: Command, exported: set[str]) -> Iterator[PoetryPin]:
    # `POETRY_VERSION=1.8.3 python3 -` and `export POETRY_VERSION=1.8.3`
    for name, word in cmd.shell.assignments:
        version = exact_version(word.text) if name == VARIABLE and not word.variables else None
        if version:
            yield PoetryPin(cmd.path, word.span.line, word.span.column, version, f"{VARIABLE}=",
                            word.span.end_column if word.span.end_line == word.span.line else None)
    if cmd.program_name in ("export", "declare", "typeset", "readonly", "local"):
        for word in cmd.argv[1:]:
            name, eq, value = word.text.partition("=")
            version = exact_version(value) if name == VARIABLE and eq and not word.variables else None
            if version:
                yield _pin_at(cmd.path, word.span.line, cmd.doc.line_text(word.span.line),
                              word.span.column - 1, version, f"export {VARIABLE}")

    for package in package_installs(cmd):
        if package.name == "poetry" and package.is_exact:
            version = _resolve(cmd, package.word, package.version or "", exported)
            if version:
                yield _pin_at(cmd.path, package.word.span.line, cmd.doc.line_text(package.word.span.line),
                              package.word.span.column - 1, version, f"{package.installer} install poetry=={version}")

    words = [w.text for w in cmd.argv]
    if words[:3] == ["poetry", "self", "update"]:
        for word in cmd.argv[3:]:
            if not word.text.startswith("-"):
                version = _resolve(cmd, word, word.text, exported)
                if version:
                    yield _pin_at(cmd.path, word.span.line, cmd.doc.line_text(word.span.line),
                                  word.span.column - 1, version, f"poetry self update {version}")
                break
    elif runs_poetry_installer(cmd):
        for index, word in enumerate(cmd.argv):
            value_word = None
            if word.text == "--version" and index + 1 < len(cmd.argv):
                value_word, text = cmd.argv[index + 1], cmd.argv[index + 1].text
            elif word.text.startswith("--version="):
                value_word, text = word, word.text.split("=", 1)[1]
            if value_word is not None:
                version = _resolve(cmd, value_word, text, exported)
                if version:
                    yield _pin_at(cmd.path, value_word.span.line, cmd.doc.line_text(value_word.span.line),
                                  value_word.span.column - 1, version, f"the Poetry installer --version {version}")
                break


def _resolve(cmd: Command, word: Any, text: str, exported: set[str]) -> str | None:
    """The version ``text`` stands for; None when it is not a literal pin or is counted elsewhere."""
    if word.has_substitution:
        return None  # `${{ matrix.poetry }}`, `$(cat .poetry-version)`
    if VARIABLE in word.make_refs and VARIABLE in getattr(cmd.doc, "variables", {}):
        return None  # `poetry==$(POETRY_VERSION)`, expanded by make: counted at the Makefile variable
    if "$" not in text:
        return exact_version(text)
    names = word.variables or tuple(re.findall(r"\$[({]?([A-Za-z_][A-Za-z0-9_]*)", text))
    if len(names) != 1:
        return None
    name = names[0]
    if name == VARIABLE and _counted_where_set(cmd, exported):
        return None
    if cmd.kind is FileKind.MAKEFILE:
        value = cmd.doc.expand(f"$({name})")  # type: ignore[attr-defined]
        value = None if "$" in value else value
    else:
        value = cmd.value_of(name)
    if value is None:
        value = word.default_of(name)
    return exact_version(value)


def _counted_where_set(cmd: Command, exported: set[str]) -> bool:
    """Whether POETRY_VERSION used by ``cmd`` is set at a place :func:`poetry_pins` records."""
    if cmd.kind is FileKind.DOCKERFILE or VARIABLE in exported:
        return True
    if dict(cmd.shell.assignments).get(VARIABLE) is not None:
        return True
    if cmd.kind is FileKind.MAKEFILE:
        return VARIABLE in cmd.doc.variables  # type: ignore[attr-defined]
    return cmd.step is not None and VARIABLE in cmd.step.env


# -- which Python each place uses -----------------------------------------------------------------
class PythonPlace(NamedTuple):
    """One place that says which Python runs: an exact ``major.minor``, or a range of them."""

    path: str
    line: int
    column: int
    end_column: int | None
    text: str  # as written: "python:3.12-slim", ">=3.10", "^3.11"
    what: str  # "FROM", "setup-python", "requires-python", ...
    version: str | None = None  # "3.12" when the place names one Python
    constraint: Constraint | None = None  # when it names a range (version is None)

    @property
    def span(self) -> Span:
        return Span(self.path, self.line, self.column, self.line if self.end_column else None, self.end_column)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


MAJOR_MINOR = re.compile(r"^(\d+)\.(\d+)(?![\d])")
# Images that are CPython by name: the official image under any registry (python, library/python,
# docker.io/library/python, public.ecr.aws/docker/library/python), and hardened or vendor builds whose
# repository is called python (dhi.io/python, cgr.dev/chainguard/python, .../devcontainers/python).
PYTHON_IMAGE = re.compile(r"^(?:[^@\s/]+/)*python(?::(?P<tag>[^@\s]+))?(?:@\S+)?$", re.IGNORECASE)
# Other images tagged by the Python inside: astral-sh/uv:python3.12-bookworm,
# tiangolo/uvicorn-gunicorn-fastapi:python3.11, nikolaik/python-nodejs:python3.12-nodejs20.
TAGGED_IMAGE = re.compile(r"^[^:@\s]+:python(?P<tag>\d+\.\d+)\S*$", re.IGNORECASE)


def python_versions(repo: Repository) -> list[PythonPlace]:
    """Every place that says which Python the project runs on, in path order.

    Dockerfile ``FROM`` of a Python image (each stage; ``ARG`` defaults resolved), a single literal
    ``actions/setup-python`` ``python-version``, ``requires-python`` and Poetry's ``python``
    dependency (ranges), ``.python-version`` (its first version line: the default ``python``),
    ``runtime.txt``, tox's ``basepython`` or a one-Python ``envlist``, and a nox session's single
    ``python=``. Lists of versions (matrices, several tox envs) test several Pythons on purpose and
    are left out.
    """
    places: list[PythonPlace] = []
    ranges: dict[tuple[str, bool], tuple[Constraint | None, str | None]] = {}  # see _python_range
    for doc in repo.documents(FileKind.DOCKERFILE, FileKind.WORKFLOW, FileKind.ACTION, FileKind.PYPROJECT,
                              FileKind.PYTHON_VERSION, FileKind.INI):
        if doc.kind is FileKind.DOCKERFILE:
            places.extend(_from_images(doc))
        elif doc.kind in (FileKind.WORKFLOW, FileKind.ACTION):
            places.extend(_setup_python(doc))
        elif doc.kind is FileKind.PYPROJECT:
            places.extend(_pyproject_python(doc, ranges))
        elif doc.kind is FileKind.PYTHON_VERSION:
            places.extend(_version_file(doc))
        elif posixpath.basename(doc.path).lower() == "tox.ini":
            places.extend(_tox(doc))
    for ref in repo.files_of(FileKind.PYTHON):
        if posixpath.basename(ref.path) == "noxfile.py":
            doc = repo.document(ref)
            if doc is not None:
                places.extend(_nox(doc))
    return sorted(places, key=lambda p: (p.path, p.line, p.column))


def _minor(text: str) -> str | None:
    match = MAJOR_MINOR.match(text.strip())
    return f"{int(match.group(1))}.{int(match.group(2))}" if match else None


def _from_images(doc: Any) -> Iterator[PythonPlace]:
    global_args: dict[str, str] = {}
    for instruction in doc.instructions:
        if instruction.stage >= 0:
            break
        if instruction.name == "ARG":
            for token in instruction.value.split():
                name, eq, value = token.partition("=")
                if eq:
                    global_args[name] = value.strip("\"'")
    for stage in doc.stages:
        written = stage.image
        image = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}?",
                       lambda m: global_args.get(m.group(1), m.group(2) or ""), written)
        match = PYTHON_IMAGE.match(image) or TAGGED_IMAGE.match(image)
        version = _minor(match.group("tag") or "") if match else None
        if version is None:
            continue
        line = stage.instruction.line
        text = doc.line_text(line)
        column = text.find(written)
        yield PythonPlace(doc.path, line, column + 1 if column >= 0 else 1,
                          column + 1 + len(written) if column >= 0 else None, image, "FROM", version)


def _setup_python(doc: Any) -> Iterator[PythonPlace]:
    for step in doc.steps:
        uses = step.uses or ""
        if uses.split("@", 1)[0].lower() != "actions/setup-python" or "python-version" not in step.with_:
            continue
        value = step.with_.get("python-version")
        if value is None or isinstance(value, (list, dict)):
            continue  # a list of versions: several Pythons on purpose
        span = step.doc.value_span(step.with_, "python-version")
        # The raw text, not the parsed scalar: YAML reads an unquoted 3.10 as the float 3.1.
        raw = doc.line_text(span.line)[span.column - 1:].split(" #")[0].strip().strip("\"'")
        if raw.startswith(("|", ">")) or "${{" in raw:
            continue  # several lines of versions, or a matrix value
        version = _minor(raw)
        if version:
            yield PythonPlace(doc.path, span.line, span.column, span.column + len(raw) +
                              (2 if doc.line_text(span.line)[span.column - 1:span.column] in "\"'" else 0),
                              raw, "setup-python python-version", version)


def _pyproject_python(doc: Any, ranges: dict[tuple[str, bool], tuple[Constraint | None, str | None]]
                      ) -> Iterator[PythonPlace]:
    requires = doc.get("project", "requires-python")
    if isinstance(requires, str):
        yield _range_place(doc, ("project", "requires-python"), requires,
                           _python_range(requires, False, ranges), "requires-python")
    poetry = doc.get("tool", "poetry", "dependencies", "python")
    if isinstance(poetry, str):
        yield _range_place(doc, ("tool", "poetry", "dependencies", "python"), poetry,
                           _python_range(poetry, True, ranges), "[tool.poetry.dependencies] python")


def _python_range(text: str, poetry: bool, ranges: dict[tuple[str, bool], tuple[Constraint | None, str | None]]
                  ) -> tuple[Constraint | None, str | None]:
    """The constraint ``text`` writes (Poetry syntax if ``poetry``) and the one minor it admits, if one.

    Memoised in ``ranges`` (one dict per :func:`python_versions` call): trying 40 minors against a
    range costs about a millisecond, and a monorepo repeats the same few ranges in every project.
    """
    key = (text, poetry)
    if key not in ranges:
        constraint = poetry_to_pep440(text) if poetry else parse_pep440(text)
        ranges[key] = (constraint, _only_minor(constraint))
    return ranges[key]


def _range_place(doc: Any, key: tuple[str, ...], text: str, parsed: tuple[Constraint | None, str | None],
                 what: str) -> PythonPlace:
    span = doc.key_span(*key)
    line_text = doc.line_text(span.line)
    found = line_text.find(text, line_text.find("=") + 1)
    column, end = (found + 1, found + 1 + len(text)) if found >= 0 else (span.column, span.end_column)
    constraint, version = parsed
    return PythonPlace(doc.path, span.line, column, end, text.strip(), what,
                       version, None if version else constraint)


def _only_minor(constraint: Constraint | None) -> str | None:
    """The one Python 3 minor a range admits (``~3.11``, ``==3.11.*``, ``>=3.11,<3.12``), if just one.

    Tries 3.0 to 3.39, each as the range of its releases (``==3.11.*``), and stops at the second
    that is admitted: most ranges (``^3.11``, ``>=3.10``) admit many.
    """
    if not constraint:
        return None
    from preflight_rules.dep.specifiers import admits_any

    found = None
    for minor in range(40):
        if admits_any(constraint, parse_pep440(f"==3.{minor}.*")):
            if found is not None:
                return None
            found = f"3.{minor}"
    return found


def _version_file(doc: Any) -> Iterator[PythonPlace]:
    runtime = posixpath.basename(doc.path).lower() == "runtime.txt"
    for number, line in enumerate(doc.lines, start=1):
        text = line.split("#")[0].strip()
        if not text:
            continue
        value = text[len("python-"):] if runtime and text.lower().startswith("python-") else text
        version = _minor(value)
        if version:
            column = line.find(text) + 1
            yield PythonPlace(doc.path, number, column, column + len(text), text,
                              "runtime.txt" if runtime else ".python-version", version)
        return  # the first version line is the default `python`; the others are extras


def _tox(doc: Any) -> Iterator[PythonPlace]:
    sections = getattr(doc, "sections", {})
    for name in ("tox", "tox:tox"):
        envlist = doc.get(name, "envlist") if name in sections else None
        if envlist is None:
            continue
        factors = set(re.findall(r"(?<![\w.])py(\d)(\d+)(?![\d])", envlist.text))
        if len(factors) == 1 and "{" not in envlist.text:
            ((first, rest),) = factors
            found = envlist.find(re.compile(rf"(?<![\w.])py{first}{rest}(?!\d)"), doc.path)
            if found is not None:
                match, span = found
                yield PythonPlace(doc.path, span.line, span.column, span.end_column or span.column,
                                  match.group(0), "tox envlist", f"{first}.{int(rest)}")
    for name in sections:
        # only the base [testenv]: a named env's basepython (`[testenv:oldest]`) picks that env's Python
        basepython = doc.get(name, "basepython") if name == "testenv" else None
        found = basepython.find(re.compile(r"python(\d+\.\d+)"), doc.path) if basepython else None
        if found is not None:
            match, span = found
            yield PythonPlace(doc.path, span.line, span.column, span.end_column or span.column, match.group(0),
                              "tox basepython", _minor(match.group(1)))


def _nox(doc: Any) -> Iterator[PythonPlace]:
    tree = getattr(doc, "tree", None)
    if tree is None:
        return
    for node in doc.walk():
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            func = decorator.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name != "session":
                continue
            for keyword in decorator.keywords:
                if keyword.arg not in ("python", "py"):
                    continue
                value = keyword.value
                if isinstance(value, (ast.List, ast.Tuple)) and len(value.elts) == 1:
                    value = value.elts[0]
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    version = _minor(value.value)
                    if version:
                        span = doc.node_span(value)
                        yield PythonPlace(doc.path, span.line, span.column, span.end_column, value.value,
                                          "nox session python", version)
