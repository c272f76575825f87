"""What a command installs: ``pip install``, ``python -m pip install``, ``pipx install``,
``uv pip install`` and ``uv tool install``, each package argument with its version constraint.

Rules ask ``package_installs(cmd)`` instead of reading pip's argument syntax themselves.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from preflight.commands import Command
from preflight.documents.requirements import normalise
from preflight.shell import Word
from preflight.versions import version_set

# pip/pipx/uv options that take a value as the next word.
VALUE_OPTIONS = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--python",
    "--pip-args", "--suffix", "--spec", "--src", "--platform", "--python-version", "--implementation",
    "--abi", "--progress-bar", "--cache-dir", "--log", "--timeout", "--retries", "--trusted-host",
    "--proxy", "--index", "--default-index", "--with", "--with-requirements", "-p", "--upgrade-strategy",
    "--only-binary", "--no-binary", "--config-settings", "-C", "--global-option", "--report",
})
NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$", re.DOTALL)
PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
PIP = re.compile(r"^pip(\d+(\.\d+)?)?$")


class PackageArg(NamedTuple):
    word: Word  # the argument as written, e.g. "poetry>=1.8"
    name: str  # normalised (PEP 503): "poetry"
    specifier: str  # "" when none, ">=1.8", "==1.8.3", "@1.8.3" (pipx/uv tool syntax)
    installer: str  # "pip", "pipx", "uv"

    @property
    def is_exact(self) -> bool:
        """An exact pin: ``==X`` without a wildcard, ``===X``, or pipx/uv's ``name@X``."""
        spec = self.specifier.split(";")[0].strip()  # environment markers are not part of the pin
        if spec.startswith("@"):
            return bool(spec[1:].strip())
        if "$" in spec:  # a variable stands for the version: judged by the rule that knows the scope
            return spec.startswith("==") and "*" not in spec and "," not in spec
        parsed = version_set(spec)
        if parsed is None:
            return False
        clauses = tuple(parsed)
        return len(clauses) == 1 and clauses[0].operator in ("==", "===") and not clauses[0].version.endswith("*")

    @property
    def version(self) -> str | None:
        """The pinned version text, if exact."""
        if not self.is_exact:
            return None
        return self.specifier.lstrip("=@").split(";")[0].strip()


def _install_args(cmd: Command) -> tuple[str, list[Word]] | None:
    argv = cmd.argv
    program = cmd.program_name or ""
    words = [w.text for w in argv]
    if PIP.match(program) and len(argv) > 1 and words[1] == "install":
        return "pip", list(argv[2:])
    if PYTHON.match(program) and len(argv) > 3 and words[1] == "-m" and PIP.match(words[2]) and words[3] == "install":
        return "pip", list(argv[4:])
    if program == "pipx" and len(argv) > 1 and words[1] == "install":
        return "pipx", list(argv[2:])
    if program == "uv" and len(argv) > 2 and words[1] in ("pip", "tool") and words[2] == "install":
        return "uv", list(argv[3:])
    return None


def package_installs(cmd: Command) -> list[PackageArg]:
    """Package arguments of an install command (empty when ``cmd`` installs nothing)."""
    found = _install_args(cmd)
    if found is None:
        return []
    installer, args = found
    packages = []
    skip = False
    for word in args:
        text = word.text
        if skip:
            skip = False
            continue
        if text.startswith("-"):
            skip = text in VALUE_OPTIONS
            continue
        if "/" in text or text.startswith(".") or "://" in text or text.endswith((".whl", ".tar.gz", ".zip")):
            continue  # a path, URL or archive, not a package name
        match = NAME.match(text)
        if match is None:
            continue
        packages.append(PackageArg(word, normalise(match.group(1)), match.group(3).strip(), installer))
    return packages
