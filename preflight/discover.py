"""Find the files preflight checks: walk a tree, honour ignore rules, classify each file by kind.

The walk is built to survive hostile trees (unreadable directories, symlink loops, names that are
not valid UTF-8 or contain newlines) without raising, and to stay cheap: one ``os.scandir`` per
directory, ignored directories pruned before they are listed, at most one ``stat`` per candidate
entry, and no file contents read except the first 256 bytes of extension-less files (to spot a
shebang).

Ignore rules follow git: ``.gitignore`` files at every walked level (plus those above the scanned
root up to the enclosing work tree's top), ``.git/info/exclude``, later and deeper patterns win, and
nothing inside an ignored directory can be re-included.  Patterns are parsed by ``pathspec``; each
pattern is then matched against a path *itself* (not against the path's parent directories, which
the walk has already decided), which is how git evaluates a tree walk.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from preflight.model import FileKind

if TYPE_CHECKING:  # pragma: no cover
    from preflight.gitfacts import TrackedFiles

__all__ = [
    "DEFAULT_EXCLUDES",
    "Discovery",
    "FileRef",
    "GitIgnore",
    "Skipped",
    "classify",
    "discover",
    "sniff_yaml_kind",
]


@dataclass(frozen=True)
class FileRef:
    """A file to check."""

    path: str  # relative to root, '/' separators
    abspath: str  # absolute path to open
    kind: FileKind
    size: int
    # Modification and change times (ns) and inode, as the walk saw them: the cache's whole-run
    # shortcut compares them (preflight.cache.Replay). None where unknown (a base revision's file).
    stamp: tuple[int, int, int] | None = field(default=None, compare=False, repr=False)


class Skipped(NamedTuple):
    """A file or directory that would have been checked but was not, and why (one line)."""

    path: str  # relative, '/' separators (or the name as given when outside root)
    reason: str


@dataclass
class Discovery:
    """The result of :func:`discover`: files to check and what was skipped, both sorted by path."""

    files: list[FileRef]
    skipped: list[Skipped]


# Directory names never worth linting: VCS metadata, dependency trees, caches, build output.
# Gitignore-style and directory-only (trailing '/'), so a *file* named e.g. `build` is still seen.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    ".bzr/",
    "node_modules/",
    "bower_components/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    "__pycache__/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".hypothesis/",
    ".terraform/",
    ".terragrunt-cache/",
    ".eggs/",
    "*.egg-info/",
    "build/",
    "dist/",
    "_build/",
    "buck-out/",
    "site-packages/",
    ".direnv/",
    ".idea/",
    ".vscode/",
    ".preflight_cache/",
    "vendor/",
    "third_party/",
)

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
_SNIFF_BYTES = 256
# A .gitignore larger than this is truncated: a hostile tree must not make us read gigabytes.
_IGNORE_FILE_LIMIT = 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------

_YAML_EXTS = frozenset({"yml", "yaml"})
_SHELL_EXTS = frozenset({"sh", "bash", "ksh", "zsh"})
_TERRAFORM_EXTS = frozenset({"tf", "tfvars", "hcl"})
_MAKEFILE_NAMES = frozenset({"makefile", "gnumakefile"})
_INI_NAMES = frozenset({"tox.ini", "setup.cfg", "alembic.ini"})
_SHELL_INTERPRETERS = frozenset({"sh", "bash", "dash", "ksh", "zsh", "ash"})

# `Dockerfile.<x>` is a variant (Dockerfile.prod) unless <x> says it is something else: a backup,
# a template that will not parse as a Dockerfile, notes, or BuildKit's per-Dockerfile ignore file.
_NOT_DOCKERFILE_SUFFIXES = frozenset(
    {
        "md", "markdown", "txt", "rst", "adoc", "html",
        "bak", "backup", "orig", "old", "swp", "swo", "rej", "tmp", "temp", "log", "patch", "diff",
        "j2", "jinja", "jinja2", "tpl", "tmpl", "template", "erb", "mustache", "hbs", "in",
        "dockerignore", "json", "yml", "yaml", "toml", "lock", "sh", "py", "cfg", "ini",
    }
)  # fmt: skip

# Every extension, and every name prefix allowing an arbitrary extension, that some rule below
# can accept.  Anything else is rejected at once; keep these in step with the rules.
_CANDIDATE_EXTS = frozenset(
    {
        "yml", "yaml", "md", "markdown", "sh", "bash", "ksh", "zsh", "py", "mk", "mak",
        "tf", "tfvars", "hcl", "toml", "lock", "txt", "in", "env", "conf", "template", "j2",
        "nginx", "dockerfile", "containerfile", "ini", "cfg",
    }
)  # fmt: skip
_CANDIDATE_PREFIXES = ("dockerfile", "containerfile", "procfile", ".env")

_COMPOSE_RE = re.compile(r"(?:docker-compose(?:[._-].+)?|compose(?:\..+)?)\.ya?ml")
_PULUMI_RE = re.compile(r"pulumi(?:\..+)?\.ya?ml")
_FLY_RE = re.compile(r"fly(?:\..+)?\.toml")
_REQUIREMENTS_RE = re.compile(
    r"requirements(?:[-_.].*)?\.txt"  # requirements.txt, requirements-dev.txt, requirements_x.txt
    r"|.+[-_.]requirements\.txt"  # dev-requirements.txt, test.requirements.txt
    r"|requirements.*\.in"  # requirements.in, requirements-dev.in (pip-tools)
    r"|constraints.*\.txt"
)
_NGINX_NAME_RE = re.compile(r"(?:nginx.*\.conf|.+\.nginx\.conf|.+\.nginx)(?:\.template|\.j2)?")
_NGINX_DIR_SUFFIXES = (".conf", ".conf.template", ".template", ".conf.j2")
_PYTHON_INTERPRETER_RE = re.compile(r"python[0-9.]*")


def classify(relpath: str, first_line: bytes | None = None) -> FileKind | None:
    """Return the kind of the file at ``relpath`` (relative to the scanned root), or None.

    Decided from the path alone, except for extension-less names, whose ``first_line`` (the first
    bytes of the file, at most 256) is checked for a shell or Python shebang.  Generic YAML is
    reported as ``FileKind.YAML``; whether it is Kubernetes is decided later from its content by
    :func:`sniff_yaml_kind`.  Names are matched case-insensitively.
    """
    if os.sep != "/":
        relpath = relpath.replace(os.sep, "/")
    head, _, name = relpath.rpartition("/")
    low = name.lower()
    stem, dot, ext = low.rpartition(".")
    if not (dot and stem):  # no extension; a leading dot (".env") does not start one
        ext = ""
    if ext and ext not in _CANDIDATE_EXTS and not low.startswith(_CANDIDATE_PREFIXES):
        return None  # fast path: most files in a tree (.js, .png, .gz...) are nothing we check
    if not name:
        return None
    dirs = [p for p in head.split("/") if p not in ("", ".")]

    # Order matters: the specific names first, so that docs/docker-compose.md is Markdown and
    # Dockerfile.sh is a shell script.
    if ext in _YAML_EXTS and dirs == [".github", "workflows"]:
        return FileKind.WORKFLOW
    if low in ("action.yml", "action.yaml"):
        return FileKind.ACTION
    if ext in ("md", "markdown"):
        return FileKind.MARKDOWN
    if _is_dockerfile(low, ext):
        return FileKind.DOCKERFILE
    if _COMPOSE_RE.fullmatch(low):
        return FileKind.COMPOSE
    if _PULUMI_RE.fullmatch(low):
        return FileKind.PULUMI
    if ext in _SHELL_EXTS:
        return FileKind.SHELL
    if ext == "py":
        return FileKind.PYTHON
    if low in _MAKEFILE_NAMES or ext in ("mk", "mak"):
        return FileKind.MAKEFILE
    if ext in _TERRAFORM_EXTS:
        return FileKind.TERRAFORM
    if ext == "toml":
        if low == "pyproject.toml":
            return FileKind.PYPROJECT
        if _FLY_RE.fullmatch(low):
            return FileKind.FLY_TOML
        return FileKind.TOML
    if low == "poetry.lock":
        return FileKind.POETRY_LOCK
    if _REQUIREMENTS_RE.fullmatch(low) or (
        ext == "txt" and dirs and dirs[-1].lower() == "requirements"
    ):
        return FileKind.REQUIREMENTS
    if low in (".python-version", "runtime.txt"):
        return FileKind.PYTHON_VERSION
    if low == ".env" or low.startswith(".env.") or ext == "env":
        return FileKind.DOTENV
    if _is_nginx(low, dirs):
        return FileKind.NGINX
    if low == "procfile" or low.startswith("procfile."):
        return FileKind.PROCFILE
    if low in _INI_NAMES:
        return FileKind.INI
    if ext in _YAML_EXTS:
        return FileKind.YAML
    if first_line is not None and _wants_first_line(name):
        return _shebang_kind(first_line)
    return None


def _wants_first_line(name: str) -> bool:
    """Whether a name is extension-less, so only its shebang can tell what it is."""
    return "." not in name


def _is_dockerfile(low: str, ext: str) -> bool:
    if low in ("dockerfile", "containerfile"):
        return True
    if low.endswith((".dockerfile", ".containerfile")):
        return True
    for prefix in ("dockerfile", "containerfile"):
        # Dockerfile.prod, Dockerfile-dev, Dockerfile_ci (but not Dockerfile.md, Dockerfile.bak)
        if low.startswith(prefix) and low[len(prefix) : len(prefix) + 1] in (".", "-", "_"):
            return ext not in _NOT_DOCKERFILE_SUFFIXES
    return False


def _is_nginx(low: str, dirs: list[str]) -> bool:
    if _NGINX_NAME_RE.fullmatch(low):
        return True
    if not low.endswith(_NGINX_DIR_SUFFIXES):
        return False
    # A .conf under an nginx-named directory (nginx/, deploy/nginx-proxy/, nginx/conf.d/) or in
    # Debian's sites-available / sites-enabled layout.  A bare conf.d/ is not enough: many daemons
    # use one.
    # Apache's Debian layout has sites-available too: under an apache/httpd directory it is Apache's.
    lowered = [d.lower() for d in dirs]
    if any("nginx" in dl for dl in lowered):
        return True
    if any("apache" in dl or "httpd" in dl for dl in lowered):
        return False
    return any(dl in ("sites-available", "sites-enabled") for dl in lowered)


def _shebang_kind(first_line: bytes) -> FileKind | None:
    """SHELL or PYTHON for a ``#!`` line naming such an interpreter (directly or through env)."""
    if not first_line.startswith(b"#!"):
        return None
    line = first_line[2:].split(b"\n", 1)[0].split(b"\r", 1)[0]
    words = line.decode("utf-8", "replace").split()
    if not words:
        return None
    interpreter = words[0].rsplit("/", 1)[-1]
    if interpreter == "env":
        interpreter = _env_target(words[1:])
    if interpreter in _SHELL_INTERPRETERS:
        return FileKind.SHELL
    if _PYTHON_INTERPRETER_RE.fullmatch(interpreter):
        return FileKind.PYTHON
    return None


def _env_target(args: list[str]) -> str:
    """The command `/usr/bin/env ARGS` runs: skip options (-S, -i, -u NAME) and NAME=value."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-S") and len(arg) > 2:  # `-Sbash -e`
            return arg[2:].rsplit("/", 1)[-1]
        if arg in ("-u", "--unset", "-C", "--chdir"):
            i += 2
            continue
        if arg.startswith("-") or "=" in arg:
            i += 1
            continue
        return arg.rsplit("/", 1)[-1]
    return ""


# Documents are separated by `---` (optionally followed by a comment or content) or ended by `...`.
_YAML_DOC_SEPARATOR = re.compile(r"^(?:---|\.\.\.)(?:[ \t].*)?$", re.MULTILINE)
# Top-level keys start in column 0; a value must follow on the same line (templated values count).
_API_VERSION_KEY = re.compile(r"""^["']?apiVersion["']?[ \t]*:[ \t]*[^\s#]""", re.MULTILINE)
_KIND_KEY = re.compile(r"""^["']?kind["']?[ \t]*:[ \t]*[^\s#]""", re.MULTILINE)


def sniff_yaml_kind(text: str) -> FileKind | None:
    """KUBERNETES if some YAML document in ``text`` has top-level ``apiVersion:`` and ``kind:``.

    A cheap line-start check, no YAML parsing, so Helm templates (``{{ ... }}`` lines around the
    manifest) are recognised too.  Returns None for anything else.
    """
    for document in _YAML_DOC_SEPARATOR.split(text):
        if _API_VERSION_KEY.search(document) and _KIND_KEY.search(document):
            return FileKind.KUBERNETES
    return None


# ---------------------------------------------------------------------------------------------
# Ignore rules
# ---------------------------------------------------------------------------------------------


class _Rule(NamedTuple):
    regex: str  # valid (checked when the line was read); compiled when first needed, see _Rules
    ignore: bool  # False for a negated (`!`) pattern
    dir_only: bool  # pattern ended in '/'


def _git_pattern():  # type: ignore[no-untyped-def]
    """pathspec's gitignore pattern class, imported when a first pattern is compiled (a tree
    without ignore files does not pay for the import)."""
    try:
        from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern
        return GitIgnoreBasicPattern
    except ImportError:  # pathspec < 1.0
        from pathspec.patterns.gitwildmatch import GitWildMatchPattern
        return GitWildMatchPattern


# Most ignore lines are plain names, extensions and paths (`.venv/`, `*.pyc`, `/build`, `docs/_site/`):
# those are compiled here, to the regex pathspec would give them, so a tree whose ignore files hold
# nothing else does not import pathspec at all (about 15 ms of every run's start). Anything else
# (`**`, character classes, escapes, trailing spaces, a bare `*`) goes to pathspec.
_SIMPLE_SEGMENT = r"(?:[A-Za-z0-9._-]+|[A-Za-z0-9._-]*\*[A-Za-z0-9._-]+|[A-Za-z0-9._-]+\*)"
_SIMPLE = re.compile(rf"!?/?{_SIMPLE_SEGMENT}(?:/{_SIMPLE_SEGMENT})*/?")


def _simple_rule(line: str) -> _Rule | None:
    """The rule of a plain ignore line (see _SIMPLE), or None when pathspec must compile it."""
    if not _SIMPLE.fullmatch(line):
        return None
    include = not line.startswith("!")
    body = line[1:] if not include else line
    dir_only = body.endswith("/")
    body = body.rstrip("/")
    anchored = "/" in body
    parts = [re.escape(part).replace(r"\*", "[^/]*") for part in body.lstrip("/").split("/")]
    regex = ("^" if anchored else "^(?:.+/)?") + "/".join(parts) + "$"  # valid by construction
    return _Rule(regex, include, dir_only)


def _compile_rule(line: str) -> _Rule | None:
    """Compile one gitignore line into a rule matching a path *itself*, or None for blanks/comments.

    pathspec's regexes also match everything below a matched directory (it checks flat file
    lists); a walk has already decided each parent directory, and git evaluates each path on its
    own, so the "or anything below" tail is cut off.  Without this, per-path checks get the
    common whitelist idiom (`*`, `!*/`, `!*.py`) wrong: `!*/` would not re-include directories.
    Raises ValueError for an invalid pattern.
    """
    simple = _simple_rule(line)
    if simple is not None:
        return simple
    regex, include = _git_pattern().pattern_to_regex(line)
    if include is None or regex is None:
        return None
    body = line.rstrip()
    body = body[1:] if body.startswith("!") else body
    dir_only = body.endswith("/")
    # `**`, `x/**` (everything below) and `x/**/` (directories below) already describe the
    # paths they match, not "a path or anything below it"; their regexes are used as they are.
    below = body == "**" or body.endswith(("/**", "**/"))
    if not below:
        regex = _match_self_only(regex, dir_only)
    re.compile(regex)  # raises re.error for an unusable pattern now, not when a path is decided
    return _Rule(regex, bool(include), dir_only)


def _match_self_only(regex: str, dir_only: bool) -> str:
    # pathspec ends its regexes with an "or anything below" tail: `(?:/|$)` (1.x) or
    # `(?:(?P<ps_d>/).*)?$` (0.12) for plain patterns, `/` or `(?P<ps_d>/).*$` for directory-only
    # ones.  A regex of unknown shape is left alone (it then also matches below, like pathspec).
    for tail in _SELF_TAILS:
        if regex.endswith(tail):
            return regex[: -len(tail)] + "$"
    if dir_only:
        for tail in _DIR_SELF_TAILS:
            if regex.endswith(tail):
                return regex[: -len(tail)] + "$"
    return regex


_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")
_SELF_TAILS = ("(?:/|$)", "(?:(?P<ps_d>/).*)?$", "(?:/.*)?$")
_DIR_SELF_TAILS = ("(?P<ps_d>/).*$", "/.*$", "/")


class _Rules:
    """The compiled patterns of one ignore source; the last matching pattern decides."""

    __slots__ = ("_rules", "_any", "_compiled")

    def __init__(self, rules: Sequence[_Rule]) -> None:
        self._rules = tuple(reversed(rules))  # reversed once: the last pattern is tried first
        # Each pattern is compiled when a path first reaches it. Most paths match no pattern: one
        # search of all of them at once says so, instead of one search per pattern (a tenth of the
        # walk's time on a 5,000-file tree), and most patterns (the built-in excludes: `.git/`,
        # `node_modules/`, ...) then never need their own regex (7 ms of every run's start).
        self._compiled: list[re.Pattern[str] | None] = [None] * len(self._rules)
        self._any: re.Pattern[str] | None = None
        if len(self._rules) > 1:
            try:
                self._any = re.compile("|".join(
                    f"(?:{_NAMED_GROUP.sub('(?:', rule.regex)})" for rule in self._rules))
            except re.error:  # an unusual pattern: each is tried on its own
                self._any = None

    @classmethod
    def from_lines(cls, lines: Iterable[str], *, strict: bool = False) -> _Rules:
        rules = []
        for line in lines:
            try:
                rule = _compile_rule(line)
            except (ValueError, re.error) as exc:
                if strict:
                    raise ValueError(f"invalid ignore pattern {line!r}: {exc}") from None
                continue  # git, too, skips a pattern it cannot use
            if rule is not None:
                rules.append(rule)
        return cls(rules)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def decide(self, path: str, is_dir: bool) -> bool | None:
        """True if ``path`` is ignored, False if re-included by a negation, None if no match."""
        if self._any is not None and self._any.search(path) is None:
            return None
        for i, rule in enumerate(self._rules):
            if rule.dir_only and not is_dir:
                continue
            regex = self._compiled[i]
            if regex is None:
                regex = self._compiled[i] = re.compile(rule.regex)
            if regex.search(path):
                return rule.ignore
        return None


class _Layer(NamedTuple):
    """Rules from one ignore file, with how to turn a root-relative path into one relative to it."""

    rules: _Rules
    base: str  # root-relative directory holding the file ('' for root or above)
    prefix: str  # for files above root: root's path relative to the file's directory, plus '/'

    def decide(self, relpath: str, is_dir: bool) -> bool | None:
        sub = relpath[len(self.base) + 1 :] if self.base else relpath
        return self.rules.decide(self.prefix + sub, is_dir)


_Layers = tuple[_Layer, ...]

_DEFAULT_RULES = _Rules.from_lines(DEFAULT_EXCLUDES, strict=True)
_PACKAGE_NAMES_EXCLUDED = frozenset({"build", "dist", "_build", "vendor", "third_party"})


def _read_small(path: str, limit: int, *, check_regular: bool = True) -> bytes | None:
    """Read at most ``limit`` bytes of a regular file without following a final symlink and
    without blocking on a FIFO; None when that is not possible."""
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_BINARY", 0)
        | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        if check_regular and not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        remaining = limit
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _load_rules(path: str) -> _Rules | None:
    data = _read_small(path, _IGNORE_FILE_LIMIT)
    if not data:
        return None
    text = data.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    rules = _Rules.from_lines(text.splitlines())
    return rules or None


def _git_info_exclude(worktree: str) -> str | None:
    """Path of the `info/exclude` file for the work tree at ``worktree``, if it has a `.git`."""
    dotgit = os.path.join(worktree, ".git")
    try:
        if os.path.isdir(dotgit):
            return os.path.join(dotgit, "info", "exclude")
        # A `.git` file (linked worktree, submodule) says `gitdir: <path>`; a linked worktree's
        # info/exclude lives in the common directory named by `<gitdir>/commondir`.
        data = _read_small(dotgit, 4096)
        if not data or not data.startswith(b"gitdir:"):
            return None
        gitdir = os.fsdecode(data[len(b"gitdir:") :].splitlines()[0].strip())
        gitdir = os.path.join(worktree, gitdir)
        common = _read_small(os.path.join(gitdir, "commondir"), 4096)
        if common and common.strip():
            gitdir = os.path.join(gitdir, os.fsdecode(common.splitlines()[0].strip()))
        return os.path.join(gitdir, "info", "exclude")
    except (OSError, ValueError, IndexError):
        return None


def _enclosing_work_tree(real_root: str) -> str | None:
    """The nearest directory at or above ``real_root`` that holds a `.git`, if any."""
    current = real_root
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _os_reason(exc: OSError) -> str:
    """A one-line reason without the path: 'permission denied', 'no such file or directory'."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    message = exc.strerror or type(exc).__name__
    message = " ".join(str(message).split())
    return message[:1].lower() + message[1:]


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _limit_text(size: int) -> str:
    text = _human_size(size)
    return text.replace(".0 ", " ")


def _is_valid_name(name: str) -> bool:
    """False for names carrying undecodable bytes (lone surrogates from os.fsdecode)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(name: str) -> str:
    """A name with undecodable bytes shown as \\xNN, safe to print or put in JSON."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _within(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([path, directory]) == directory
    except ValueError:  # different drives, or mixed absolute/relative
        return False


def _relative_to(path: str, directory: str) -> str | None:
    """'/'-separated ``path`` relative to ``directory`` ('' for itself), None when outside it."""
    if not _within(path, directory):
        return None
    rel = os.path.relpath(path, directory)
    if rel == os.curdir:
        return ""
    return rel.replace(os.sep, "/")


# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------


_UNREAD = object()


class _Walker:
    def __init__(
        self,
        root: str,
        exclude: Sequence[str],
        respect_gitignore: bool,
        max_file_size: int,
    ) -> None:
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(self.root)
        self.respect_gitignore = respect_gitignore
        self.max_file_size = max_file_size
        # User excludes are a hard rule: a negation in some .gitignore cannot undo them.
        self.user_rules = _Rules.from_lines(exclude, strict=True)
        self.files: dict[str, FileRef] = {}
        self.skipped: dict[tuple[str, str], Skipped] = {}
        self.visited: set[tuple[int, int]] = set()
        # Layers applying to the children of a root-relative directory (for explicit paths).
        self._layer_cache: dict[str, _Layers] = {}
        self._root_layers: _Layers | None = None
        self._real_dirs: dict[str, str] = {}  # realpath cache for the parents of explicit paths
        self._tracked: TrackedFiles | None | object = _UNREAD
        self.tracked_only: set[str] = set()  # gitignored directories walked for tracked files

    # -- results -------------------------------------------------------------------------------

    def skip(self, path: str, reason: str) -> None:
        self.skipped.setdefault((path, reason), Skipped(path, reason))

    def result(self) -> Discovery:
        files = sorted(self.files.values(), key=lambda f: f.path)
        # A path both found and reported (reached twice) counts as found.
        skipped = [s for _, s in sorted(self.skipped.items()) if s.path not in self.files]
        return Discovery(files=files, skipped=skipped)

    # -- ignore layers -------------------------------------------------------------------------

    def root_layers(self) -> _Layers:
        """Rules that apply to root before its own .gitignore: git's info/exclude and the
        .gitignore files between the enclosing work tree's top and root."""
        if self._root_layers is not None:
            return self._root_layers
        layers: list[_Layer] = []
        if self.respect_gitignore:
            top = _enclosing_work_tree(self.real_root)
            if top is not None:
                # info/exclude ranks below every .gitignore, so it goes first (tried last).
                info = _git_info_exclude(top)
                rules = _load_rules(info) if info else None
                if rules:
                    layers.append(_Layer(rules, "", self._prefix_from(top)))
                ancestor = top
                below = _relative_to(self.real_root, top) or ""
                for part in [p for p in below.split("/") if p]:
                    rules = _load_rules(os.path.join(ancestor, ".gitignore"))
                    if rules:
                        layers.append(_Layer(rules, "", self._prefix_from(ancestor)))
                    ancestor = os.path.join(ancestor, part)
        self._root_layers = tuple(layers)
        return self._root_layers

    def _prefix_from(self, directory: str) -> str:
        rel = _relative_to(self.real_root, directory) or ""
        return rel + "/" if rel else ""

    def enter(self, layers: _Layers, rel: str, abspath: str, names: set[str] | None) -> _Layers:
        """The layers for the children of directory ``rel``: its parent's, restarted if it is
        a nested repository, plus its own .gitignore.  ``names`` (its listing) saves a stat."""
        if not self.respect_gitignore:
            return layers

        def has(name: str) -> bool:
            if names is not None:
                return name in names
            return os.path.lexists(os.path.join(abspath, name))

        if rel and has(".git"):
            # A nested repository (submodule, vendored checkout) has its own ignore rules; the
            # outer repository's do not reach into it.
            layers = ()
            info = _git_info_exclude(abspath)
            rules = _load_rules(info) if info else None
            if rules:
                layers = (_Layer(rules, rel, ""),)
        if has(".gitignore"):
            rules = _load_rules(os.path.join(abspath, ".gitignore"))
            if rules:
                layers = (*layers, _Layer(rules, rel, ""))
        return layers

    def layers_inside(self, rel_dir: str) -> _Layers:
        """The layers applying to the entries of directory ``rel_dir`` (its own .gitignore
        included), computed from root down, for walks that start below root."""
        if rel_dir in self._layer_cache:
            return self._layer_cache[rel_dir]
        if rel_dir == "":
            layers = self.enter(self.root_layers(), "", self.root, None)
        else:
            parent = rel_dir.rpartition("/")[0]
            abspath = os.path.join(self.root, *rel_dir.split("/"))
            layers = self.enter(self.layers_inside(parent), rel_dir, abspath, None)
        self._layer_cache[rel_dir] = layers
        return layers

    def ignored(self, rel: str, is_dir: bool, layers: _Layers) -> bool:
        if is_dir and _DEFAULT_RULES.decide(rel, True) and not self.python_package(rel):
            return True
        if self.user_rules and self.user_rules.decide(rel, is_dir):
            return True
        if not self.git_ignored(rel, is_dir, layers):
            return False
        # Git ignores untracked files only: a tracked file (or a directory holding one) stays.
        tracked = self.tracked()
        if tracked is None:
            return True
        if is_dir:
            if rel in tracked.dirs:
                self.tracked_only.add(rel)  # walked for its tracked files alone
                return False
            return True
        return rel not in tracked.files

    def python_package(self, rel: str) -> bool:
        """`build/`, `dist/`, `vendor/` holding an __init__.py are source packages, not output
        (pip's `pip/_internal/operations/build/`); only a default exclude is waived for them."""
        name = rel.rpartition("/")[2]
        return name in _PACKAGE_NAMES_EXCLUDED and \
            os.path.isfile(os.path.join(self.root, *rel.split("/"), "__init__.py"))

    def git_ignored(self, rel: str, is_dir: bool, layers: _Layers) -> bool:
        """Whether git's ignore rules match ``rel`` (in a directory already judged not ignored,
        or ignored but walked for its tracked files)."""
        if self.tracked_only and rel.rpartition("/")[0] in self.tracked_only:
            return True
        for layer in reversed(layers):  # deeper .gitignore files take precedence
            decision = layer.decide(rel, is_dir)
            if decision is not None:
                return decision
        return False

    def tracked(self) -> TrackedFiles | None:
        """The tracked files below root, read from the git index on first need (None: unknown)."""
        if self._tracked is _UNREAD:
            from preflight.gitfacts import tracked_under

            self._tracked = tracked_under(self.root) if self.respect_gitignore else None
        return self._tracked  # type: ignore[return-value]

    def user_excluded(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` or one of its parent directories matches the user's excludes."""
        if not self.user_rules:
            return False
        parts = rel.split("/")
        for i in range(1, len(parts)):
            if self.user_rules.decide("/".join(parts[:i]), True):
                return True
        return bool(self.user_rules.decide(rel, is_dir))

    # -- walking -------------------------------------------------------------------------------

    def first_visit(self, st: os.stat_result) -> bool:
        """Record a directory; False if already walked (bind-mount loops, overlapping paths)."""
        if not st.st_ino:  # no inode numbers (some Windows paths): cannot tell, walk it
            return True
        key = (st.st_dev, st.st_ino)
        if key in self.visited:
            return False
        self.visited.add(key)
        return True

    def walk(self, abspath: str, rel: str, parent_layers: _Layers) -> None:
        """Walk the directory ``rel`` (already judged not ignored) and everything below it."""
        # An explicit stack, not recursion: deep trees must not hit the recursion limit.
        stack: list[tuple[str, str, _Layers, bool]] = [(abspath, rel, parent_layers, True)]
        while stack:
            dir_abs, dir_rel, layers, is_start = stack.pop()
            try:
                with os.scandir(dir_abs) as it:
                    entries = list(it)
            except OSError as exc:
                self.skip(dir_rel or ".", f"cannot read directory: {_os_reason(exc)}")
                continue
            names = {entry.name for entry in entries}
            if not is_start and "pyvenv.cfg" in names:
                continue  # a virtualenv under another name
            layers = self.enter(layers, dir_rel, dir_abs, names)
            for entry in entries:
                try:
                    child = self.visit_entry(entry, dir_rel, layers)
                except OSError as exc:  # an entry vanished or cannot be stat'ed
                    rel = f"{dir_rel}/{entry.name}" if dir_rel else entry.name
                    if classify(_printable(rel)) is not None:
                        self.skip(_printable(rel), _os_reason(exc))
                    continue
                if child is not None:
                    stack.append((child[0], child[1], layers, False))

    def visit_entry(
        self, entry: os.DirEntry[str], dir_rel: str, layers: _Layers
    ) -> tuple[str, str] | None:
        """Handle one directory entry; return (abspath, rel) of a subdirectory to walk."""
        rel = f"{dir_rel}/{entry.name}" if dir_rel else entry.name
        is_link = entry.is_symlink()
        is_dir = not is_link and entry.is_dir(follow_symlinks=False)
        if self.ignored(rel, is_dir, layers):
            return None
        if not _is_valid_name(entry.name):
            # Undecodable bytes would break every report format downstream; say so instead.
            shown = _printable(rel)
            if is_dir:
                self.skip(shown, "directory name is not valid UTF-8; its contents were not checked")
            elif classify(shown) is not None:
                self.skip(shown, "file name is not valid UTF-8")
            return None
        if is_dir:
            if self.first_visit(entry.stat(follow_symlinks=False)):
                return entry.path, rel
            return None
        if is_link:
            self.check_symlink(entry.path, rel, explicit=False)
        elif entry.is_file(follow_symlinks=False):
            self.check_file(entry.path, rel, entry)
        elif classify(rel) is not None:  # a FIFO, socket or device wearing a familiar name
            self.skip(rel, "not a regular file")
        return None

    def check_file(
        self,
        abspath: str,
        rel: str,
        entry: os.DirEntry[str] | None,
        st: os.stat_result | None = None,
    ) -> None:
        """Classify a regular file and record it (or why it is skipped)."""
        kind = classify(rel)
        if kind is None:
            name = rel.rpartition("/")[2]
            if not _wants_first_line(name):
                return
            # The file is known to be regular (d_type / lstat), so skip the extra fstat.
            head = _read_small(abspath, _SNIFF_BYTES, check_regular=False)
            if not head:
                return
            kind = classify(rel, head)
            if kind is None:
                return
        try:
            if st is None:
                st = entry.stat(follow_symlinks=False) if entry is not None else os.lstat(abspath)
        except OSError as exc:
            self.skip(rel, _os_reason(exc))
            return
        if st.st_size > self.max_file_size:
            self.skip(
                rel,
                f"file is larger than the {_limit_text(self.max_file_size)} limit "
                f"({_human_size(st.st_size)})",
            )
            return
        if not os.access(abspath, os.R_OK):
            self.skip(rel, "permission denied")
            return
        self.files[rel] = FileRef(path=rel, abspath=abspath, kind=kind, size=st.st_size,
                                  stamp=(st.st_mtime_ns, st.st_ctime_ns, st.st_ino))

    def check_symlink(self, abspath: str, rel: str, *, explicit: bool, shown: str = "") -> None:
        """Symlinks are never walked through.  A link to a file inside root is skipped silently
        (the target is checked under its own path) unless named explicitly, in which case its
        target is checked; a link leading outside root is reported if its name would classify."""
        shown = shown or rel
        kind = classify(rel)
        if kind is None and not explicit:
            return  # an unrelated link: nothing to check, nothing worth reporting
        try:
            st = os.stat(abspath)  # follows the link
        except OSError as exc:
            if kind is not None or explicit:
                reason = (
                    "broken symbolic link"
                    if exc.errno in (errno.ENOENT, errno.ENOTDIR)
                    else _os_reason(exc)
                )
                self.skip(shown, reason)
            return
        target_rel = _relative_to(os.path.realpath(abspath), self.real_root)
        if target_rel is None:
            if kind is not None or (explicit and stat.S_ISDIR(st.st_mode)):
                self.skip(shown, "symbolic link points outside the scanned root")
            return
        if explicit:
            self.add_explicit_rel(target_rel, shown, follow_links=False)

    # -- explicit paths ------------------------------------------------------------------------

    def walk_root(self) -> None:
        try:
            st = os.stat(self.root)
        except OSError as exc:
            self.skip(".", _os_reason(exc))
            return
        if not stat.S_ISDIR(st.st_mode):
            self.skip(".", "not a directory")
            return
        if self.first_visit(st):
            self.walk(self.root, "", self.root_layers())

    def add_explicit(self, given: str | os.PathLike[str]) -> None:
        name = os.fsdecode(os.fspath(given))
        abspath = os.path.normpath(os.path.join(self.root, name))
        if abspath == self.root:
            rel: str | None = ""
        else:
            # Compare real locations: `link/Dockerfile` with `link` pointing elsewhere is outside
            # root, and a path given through root's real location (root being a symlink) is in.
            # The last component is kept as is, so a symlink named explicitly stays a symlink.
            parent = os.path.dirname(abspath)
            if parent not in self._real_dirs:
                self._real_dirs[parent] = os.path.realpath(parent)
            real = os.path.join(self._real_dirs[parent], os.path.basename(abspath))
            rel = _relative_to(real, self.real_root)
        if rel is None:
            self.skip(_printable(name), "path is outside the scanned root")
            return
        self.add_explicit_rel(rel, _printable(rel) or ".", follow_links=True)

    def add_explicit_rel(self, rel: str, shown: str, *, follow_links: bool) -> None:
        if rel == "":
            self.walk_root()
            return
        if not _is_valid_name(rel):
            self.skip(shown, "file name is not valid UTF-8")
            return
        abspath = os.path.join(self.root, *rel.split("/"))
        try:
            st = os.lstat(abspath)
        except OSError as exc:
            self.skip(shown, _os_reason(exc))
            return
        is_dir = stat.S_ISDIR(st.st_mode)
        # Explicit paths bypass .gitignore and the default excludes, not the user's excludes.
        if self.user_excluded(rel, is_dir):
            return
        if stat.S_ISLNK(st.st_mode):
            if follow_links:
                self.check_symlink(abspath, rel, explicit=True, shown=shown)
            return
        if is_dir:
            if self.first_visit(st):
                self.walk(abspath, rel, self.layers_inside(rel.rpartition("/")[0]))
        elif stat.S_ISREG(st.st_mode):
            self.check_file(abspath, rel, None, st)
        elif classify(rel) is not None:
            self.skip(shown, "not a regular file")


class GitIgnore:
    """Whether paths below ``root`` match git's ignore rules, judged as discovery judges them
    (nested .gitignore files, .git/info/exclude, .gitignore files above root); a path inside an
    ignored directory is ignored.  Tracked or not is not considered here: see preflight.gitfacts."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._walker = _Walker(os.fsdecode(os.fspath(root)), (), True, DEFAULT_MAX_FILE_SIZE)
        self._dirs: dict[str, bool] = {"": False}

    def ignored(self, relpath: str, is_dir: bool = False) -> bool:
        """``relpath`` is '/'-separated and relative to root (it need not exist)."""
        parts = [p for p in relpath.split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            return False
        parent = "/".join(parts[:-1])
        return self._dir_ignored(parent) or self._decide(parent, "/".join(parts), is_dir)

    def _dir_ignored(self, rel: str) -> bool:
        if rel not in self._dirs:
            parent = rel.rpartition("/")[0]
            self._dirs[rel] = self._dir_ignored(parent) or self._decide(parent, rel, True)
        return self._dirs[rel]

    def _decide(self, parent: str, rel: str, is_dir: bool) -> bool:
        for layer in reversed(self._walker.layers_inside(parent)):
            decision = layer.decide(rel, is_dir)
            if decision is not None:
                return decision
        return False


def discover(
    root: str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
) -> Discovery:
    """Find and classify the files to check under ``root``.

    ``paths`` limits the scan to these files and directories; relative ones are taken relative
    to ``root`` (pass absolute paths for command-line arguments relative to the working
    directory).  ``None`` means the whole root; an empty sequence means nothing.

    Walked entries are dropped when they match ``DEFAULT_EXCLUDES`` (directories only), the
    gitignore-style ``exclude`` patterns (relative to root, always applied), or -- when
    ``respect_gitignore`` -- git's ignore rules: ``.gitignore`` files in walked directories and
    in the directories between the enclosing work tree's top and root, and ``.git/info/exclude``.
    Global git config (``core.excludesFile``) is deliberately not read, so results do not depend
    on who runs the scan.

    Explicitly named paths are taken even when gitignored or inside a default-excluded or
    virtualenv directory (the user asked for them; entries *below* an explicit directory are
    filtered as usual), but ``exclude`` is still honoured for them and their parents.  An
    explicit file that does not classify is ignored; an explicit path that does not exist or
    lies outside root is reported in ``skipped``.

    Symlinks to directories are never followed.  A symlink to a file inside root is skipped (its
    target is found under its own path; an explicitly named one is replaced by its target); one
    that points outside root, is broken or loops is reported if its name would classify.
    Classified files larger than ``max_file_size`` bytes, unreadable ones and unreadable
    directories are reported in ``skipped``.

    Never raises for problems in the tree.  Raises ValueError for an invalid ``exclude`` pattern.
    """
    walker = _Walker(os.fsdecode(os.fspath(root)), exclude, respect_gitignore, max_file_size)
    if paths is None:
        walker.walk_root()
    else:
        for path in paths:
            walker.add_explicit(path)
    return walker.result()
