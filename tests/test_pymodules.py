"""The repository's module map: roots, what modules define, and what PY013 reports with it."""

from __future__ import annotations

from pathlib import Path

from conftest import check, write
from preflight.discover import discover
from preflight.facts import Repository
from preflight.pymodules import module_map


def _map(root: Path):  # type: ignore[no-untyped-def]
    return module_map(Repository(str(root), discover(root).files))


def test_roots_are_above_the_topmost_package_and_include_src(tmp_path: Path) -> None:
    write(tmp_path, {"app/__init__.py": "", "app/api/__init__.py": "", "app/api/routes.py": "",
                     "app/ns/view.py": "", "src/lib/__init__.py": "", "scripts/run.py": ""})
    modules = _map(tmp_path)
    assert modules.roots_of("app/api/routes.py") == ("", "src")
    assert modules.roots_of("app/ns/view.py") == ("", "app/ns", "src")
    assert modules.roots_of("scripts/run.py") == ("scripts", "", "src")


def test_resolution_needs_a_regular_top_level_package_that_is_not_stdlib(tmp_path: Path) -> None:
    write(tmp_path, {"app/__init__.py": "", "app/models.py": "", "redis/health.py": "", "queue.py": "",
                     "main.py": ""})
    modules = _map(tmp_path)
    found, tops = modules.resolve("main.py", "app.models")
    assert [m.path for m in found] == ["app/models.py"] and [t.path for t in tops] == ["app/__init__.py"]
    assert modules.resolve("main.py", "app.missing") == ([], tops)
    assert modules.resolve("main.py", "redis.asyncio") == ([], [])  # namespace portion: may be installed
    assert modules.resolve("main.py", "queue") == ([], [])  # the standard library wins


def test_names_cover_assignments_branches_globals_and_star_imports(tmp_path: Path) -> None:
    write(tmp_path, {
        "pkg/__init__.py": "from .core import *\nimport os.path\n",
        "pkg/core.py": "__all__ = ['a']\na = 1\nb = 2\n",
        "pkg/mod.py": ("(x, [y, *z]) = 1, [2, 3]\nt: int = 1\nif C:\n    import json as js\nelse:\n    js = None\n"
                       "try:\n    from ujson import dumps\nexcept ImportError:\n    dumps = None\n"
                       "def f():\n    global late\n    late = 1\nclass K: pass\nfor i in (): pass\n"),
        "pkg/lazy.py": "def __getattr__(name):\n    return name\n",
        "pkg/other.py": "from typing import *\n",
    })
    modules = _map(tmp_path)
    [package], _ = modules.resolve("main.py", "pkg")
    assert modules.names(package).names == {"a", "os"}
    [mod], _ = modules.resolve("main.py", "pkg.mod")
    assert modules.names(mod).names == {"x", "y", "z", "t", "js", "dumps", "f", "late", "K", "i"}
    assert not modules.names(mod).open
    assert modules.defines(package, "mod") and modules.defines(package, "__path__")
    assert not modules.defines(package, "b")
    [lazy], _ = modules.resolve("main.py", "pkg.lazy")
    [other], _ = modules.resolve("main.py", "pkg.other")
    assert modules.names(lazy).open and modules.names(other).open


def test_all_entries_follow_extension(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "__all__ = ['a']\n__all__ += ['b']\n__all__.append('c')\na = b = 1\n"})
    modules = _map(tmp_path)
    [package], _ = modules.resolve("x.py", "pkg")
    assert [c.value for c in modules.names(package).all_entries] == ["a", "b", "c"]
    [finding] = check(tmp_path, select=["PY013"]).findings
    assert (finding.path, finding.span.line, finding.span.column) == ("pkg/__init__.py", 3, 16)
    assert finding.message.startswith("__all__ lists `c`, which pkg/__init__.py does not define")


def test_py013_names_the_module_file_and_the_python_error(tmp_path: Path) -> None:
    write(tmp_path, {"app/__init__.py": "", "app/shared/__init__.py": "", "app/shared/security.py": "x = 1\n",
                     "app/auth.py": "from .shared.security import get_api_key\nimport app.shared.gone\n"})
    first, second = check(tmp_path, select=["PY013"]).findings
    assert first.message == ("`get_api_key` is not defined in app/shared/security.py; this fails with ImportError: "
                             "cannot import name 'get_api_key' from 'app.shared.security'; import it from where "
                             "it is defined now, or restore it")
    assert (second.span.line, second.span.column, second.span.end_column) == (2, 8, 23)
    assert "No module named 'app.shared.gone'" in second.message


def test_py013_skips_declared_dependencies_and_generated_modules(tmp_path: Path) -> None:
    write(tmp_path, {"alembic/__init__.py": "", "alembic/env.py": "from alembic import context\n",
                     "requirements.txt": "alembic==1.13\n", "app/__init__.py": "", "app/protos/__init__.py": "",
                     "app/main.py": "from app._version import version\nfrom app.protos import api_pb2\n"})
    assert check(tmp_path, select=["PY013"]).findings == []
    result = check(tmp_path, select=["PY013"], rules={"PY013": {"generated-modules": []}})
    found = [f.span.line for f in result.findings]
    assert found == [1, 2]


def test_namespace_portions_are_never_judged_missing(tmp_path) -> None:
    from conftest import check, located, write

    write(tmp_path, {
        # python-poetry: `poetry` is a namespace package shared with poetry-core's `poetry.core`
        "src/poetry/poetry.py": "class Poetry: ...\n",
        "src/poetry/console/__init__.py": "",
        "src/poetry/console/application.py": "def main(): ...\n",
        "src/poetry/utils/__init__.py": "",
        "src/poetry/utils/build.py": ("from poetry.console.application import main\n"
                                      "from poetry.core.packages.dependency import Dependency\n"
                                      "from poetry.console.application import missing\n"),
    })
    assert located(check(tmp_path, select=["PY013"])) == ["src/poetry/utils/build.py:3:40 PY013"]
