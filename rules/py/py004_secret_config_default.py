"""## What it catches
A critical secret or connection setting read with a fallback value in application code:

- `os.getenv("SECRET_KEY", "dev")`, `os.environ.get("DATABASE_URL", "postgresql://...")`,
  `os.environ.setdefault("JWT_SECRET", "...")`, `getenv` / `environ` imported from `os`, and
  `os.getenv("SECRET_KEY") or "dev"`;
- python-decouple `config("SECRET_KEY", default="...")`, django-environ
  `env("SECRET_KEY", default="...")` / `env.db("DATABASE_URL", default="...")` and its
  `environ.Env(SECRET_KEY=(str, "..."))` scheme, environs `env.str("SECRET_KEY", "...")`;
- a pydantic `BaseSettings` field with a default: `secret_key: str = "changeme"`,
  `database_url: str = "postgresql://..."`, `Field("...")`, `Field(default="...")`,
  `SecretStr("...")`.

Critical means a secret-like name (`SECRET_KEY`, `JWT_SECRET`, `DB_PASSWORD`, `STRIPE_API_KEY`,
... judged by whole name tokens, as every preflight rule does) or a connection setting
(`DATABASE_URL`, `SQLALCHEMY_DATABASE_URI`, `REDIS_URL`, `CELERY_BROKER_URL`, `VAULT_ADDR`, ...).

A fallback is a non-empty string, a module constant holding one, or a value generated at start-up (`secrets.token_urlsafe(32)`,
`get_random_secret_key()`: every worker and every restart gets a different key). Not a fallback:
`None`, no default at all (`os.environ["SECRET_KEY"]`, `Field(...)`), the value of another
variable (`os.getenv("DATABASE_URL", os.getenv("DB_URL"))`; a literal at the end of such a chain
is flagged), a yes/no word (`os.getenv("ATHENA_OPTIONAL_CREDENTIALS", "true")` is a switch, not a
credential), and, unless `flag-empty-default = true`, an empty string: in real projects `""` is
how an optional integration says "not configured" (`SENTRY_DSN`, `EMAIL_HOST_PASSWORD`,
`LDAP_BIND_PASSWORD`), and a required secret left empty usually stops the app on its own.

Not checked: tests (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`), test and development
settings modules (`settings/test.py`, `settings/local.py`, `settings/dev.py`, `settings_test.py`,
`test_settings.py`, `local_settings.py`), and code under `if DEBUG:` / `if settings.TESTING:`.
Settings classes are recognised when they derive from pydantic's `BaseSettings` in the same
module; a base class imported from elsewhere in the project is not followed.

## Why it matters
Seed 001, rule 2 ("Fail Fast on Missing Configuration"): critical secrets and configuration such
as `SECRET_KEY` and `DATABASE_URL` must not have default fallbacks in the code; the application
must raise an exception on start-up if they are not provided. With a fallback, a deployment that
forgot the variable does not fail: it starts, signs sessions and tokens with a key everyone can
read in the repository, or connects to the database a developer had on a laptop, and the mistake
surfaces as a breach or as missing data instead of as a crash at deploy time.

## Example
```python
# app/config.py
import os

SECRET_KEY = os.getenv("SECRET_KEY", "dev-secret")
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres:postgres@localhost/app")
```

```python
# app/settings.py
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    secret_key: str = "changeme"
    debug: bool = False
```

## Use instead
```python
# app/config.py
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DATABASE_URL = os.environ["DATABASE_URL"]
LOG_LEVEL = os.getenv("LOG_LEVEL", "info")
```

```python
# app/settings.py
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    secret_key: str
    debug: bool = False
```

## Fix
Read the value without a default (`os.environ["SECRET_KEY"]`, a settings field without a
default) so a missing variable stops the app at start-up with a clear error; keep development
values in a git-ignored `.env` or in a test/dev settings module.

Options, under `[tool.preflight.rules.PY004]`:

```toml
[tool.preflight.rules.PY004]
extend-critical-settings = ["KAFKA_BOOTSTRAP_SERVERS"]  # more connection settings (see rules/data/critical_settings.toml)
extend-secret-names = ["signature"]                     # more secret-like name tokens (rules/data/secret_names.toml)
flag-empty-default = true                               # also report "" defaults
```

`critical-settings` / `secret-names` replace the built-in lists instead of extending them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from preflight.data import data_options, load_data, merged
from preflight.documents.python import PythonDocument, is_test_path
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import Names, names_of
from preflight.rule import Context, Option, RuleMeta
from preflight.secretnames import SECRET_NAME_OPTIONS, is_secret_name, secret_words, tokens
from preflight_rules.py.bindings import Scope, guarded_nodes
from preflight_rules.py.envreads import ConfigRead, config_reads, unwrap_secret

RULE = RuleMeta(
    id="PY004",
    name="secret-config-default",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A critical secret or connection setting has a fallback default in code",
    source='seed 001 rule 2 "Fail Fast on Missing Configuration"',
    lesson="Critical secrets and connection settings must not fall back to defaults in code; the app "
           "must refuse to start when they are missing.",
    symptoms=('connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused',
              "jwt.exceptions.InvalidSignatureError: Signature verification failed"),
    options=(*data_options("critical-settings", "list of critical connection setting names"),
             *SECRET_NAME_OPTIONS,
             Option("flag-empty-default", False, "also report an empty-string default")),
    tags=("python", "configuration", "secrets"),
)

SWITCH_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1"})
DEV_SETTINGS = re.compile(r"(^|/)(settings|config|conf)/(test|tests|testing|dev|development|local)\.py$"
                          r"|(^|/)(test|testing|dev|development|local)_settings\.py$"
                          r"|(^|/)settings_(test|testing|dev|development|local)\.py$")
DEBUG_WORDS = frozenset({"debug", "testing", "test", "dev", "development", "local"})
GENERATED = frozenset({"secrets.token_hex", "secrets.token_urlsafe", "secrets.token_bytes", "secrets.choice",
                       "uuid.uuid4", "uuid.uuid1", "os.urandom",
                       "django.core.management.utils.get_random_secret_key",
                       "cryptography.fernet.Fernet.generate_key"})


def _critical_matcher(ctx: Context):  # type: ignore[no-untyped-def]
    data = load_data("critical_settings")
    settings = [tokens(n) for n in merged(list(data["critical-settings"]), ctx.options, "critical-settings")]
    skip = frozenset(data["not-critical-tokens"])
    words = secret_words(ctx.options)

    def critical(name: str) -> bool:
        parts = tokens(name)
        if not parts or skip.intersection(parts):
            return False
        if is_secret_name(name, words):
            return True
        return any(s and parts[-len(s):] == s for s in settings)

    return critical


def _is_debug_guard(test: ast.expr) -> bool:
    for node in ast.walk(test):
        word = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if word is not None and word.lower() in DEBUG_WORDS:
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in DEBUG_WORDS:
            return True
    return False


def _fallback(node: ast.expr | None, scope: Scope, names: Names, doc: PythonDocument, depth: int = 0) -> str | None:
    """What kind of fallback ``node`` is ("hard-coded", "empty", "generated"), or None."""
    node = unwrap_secret(node, doc)
    if node is None or depth > 4:
        return None
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            if node.value.strip().lower() in SWITCH_WORDS:
                return None  # "true"/"false": the setting is a switch, whatever its name says
            return "empty" if node.value == "" else "hard-coded"
        return None
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod))):
        return "hard-coded"
    if isinstance(node, ast.Call):
        qualname = names.qualname(node.func)
        if qualname in GENERATED or (qualname or "").startswith("secrets."):
            return "generated"
        return None
    if isinstance(node, ast.Name):
        bindings = scope.bindings(node.id)
        if bindings and all(b.kind == "assign" and isinstance(b.value, ast.Constant) for b in bindings):
            return _fallback(bindings[0].value, scope, names, doc, depth + 1)
    return None


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None or is_test_path(doc.path) or DEV_SETTINGS.search(doc.path):
        return
    reads = config_reads(doc)
    if not reads:
        return
    critical = _critical_matcher(ctx)
    names = names_of(doc)
    guarded = guarded_nodes(doc.tree, _is_debug_guard)
    by_node = {id(r.node): r for r in reads}
    inner_reads = {id(r.default) for r in reads if r.default is not None and id(r.default) in by_node}
    flag_empty = bool(ctx.options.get("flag-empty-default", False))
    for read in reads:
        if read.default is None or id(read.node) in guarded:
            continue
        chain = [read]
        default = read.default
        while id(default) in by_node and len(chain) < 8:  # getenv("A", getenv("B", "x"))
            chain.append(by_node[id(default)])
            default = chain[-1].default
        if id(read.node) in inner_reads:
            continue  # judged as part of the outer read
        name = next((n for r in chain for n in (r.name, *r.aliases) if critical(n)), None)
        if name is None:
            continue
        kind = _fallback(default, read.scope, names, doc)
        if kind is None or (kind == "empty" and not flag_empty):
            continue
        assert default is not None
        yield ctx.finding(doc.node_span(unwrap_secret(default, doc) or default), _message(read, name, kind))


def _message(read: ConfigRead, name: str, kind: str) -> str:
    what = {"hard-coded": "a hard-coded default", "empty": "an empty-string default",
            "generated": "a default generated at start-up (a different value in every process)"}[kind]
    if read.how == "settings field":
        return (f"settings field {read.name} has {what}; declare it without a default so the app refuses "
                "to start when it is not configured")
    how = f' (os.environ["{name}"])' if read.how.startswith("os.") or read.how == "or" else ""
    return (f"{name} falls back to {what} when the environment does not set it; read it without a default"
            f"{how} so a missing value stops the app at start-up")
