"""The commands for team rules: ``preflight new-rule`` and ``preflight test-rules``.

They are click commands added to the main group by :mod:`preflight.cli`.
"""

from __future__ import annotations

import os
import sys

import click

from preflight.registry import Registry

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"preflight: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def project_registry(root: str = ".") -> Registry:
    """Built-in rules, plugins and the declarative rules of the project at ``root`` (for ``rules``,
    ``explain`` and friends, which take no paths): a bad configuration exits 2."""
    from preflight.config import ConfigError, find_config, load_settings
    from preflight.registry import load_registry

    root = os.path.abspath(root)
    try:
        settings = load_settings(find_config(root))
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable
    return load_registry(root=root, settings=settings)


def _settings_here():
    from preflight.config import ConfigError, find_config, load_settings

    try:
        return load_settings(find_config(os.getcwd()))
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable


@click.command("new-rule")
@click.argument("name")
@click.option("--id", "rule_id", metavar="ID", help="Rule id (default: the next free X-NNN, or a prefix from NAME "
                                                    "with --python).")
@click.option("--python", "python", is_flag=True,
              help="Scaffold a plugin package (pyproject entry point, rule module, fixtures, a test) instead.")
@click.option("--dir", "directory", type=click.Path(file_okay=False),
              help="Where to write [default: the rules directory; with --python, ./NAME].")
def new_rule(name: str, rule_id: str | None, python: bool, directory: str | None) -> None:
    """Scaffold a rule called NAME (kebab-case): a declarative YAML rule in the rules directory,
    or with --python a plugin package that pip installs."""
    from preflight.declarative import rules_dir
    from preflight.declarative.scaffold import ScaffoldError, python_plugin, yaml_rule

    try:
        if python:
            written = python_plugin(name, rule_id, directory or os.path.join(os.getcwd(), name))
        else:
            target = directory or rules_dir(os.getcwd(), _settings_here())
            written = yaml_rule(name, rule_id, target)
    except ScaffoldError as exc:
        _fail(str(exc))
        return
    for path in written:
        click.echo(f"created {os.path.relpath(path)}")
    if python:
        click.echo(f"next: pip install -e {os.path.relpath(os.path.dirname(written[0]))} && preflight rules")
    else:
        click.echo(f"next: edit it, then run `preflight test-rules {os.path.relpath(os.path.dirname(written[0]))}`")


@click.command("test-rules")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--quiet", "-q", is_flag=True, help="Print failures only.")
def test_rules(directory: str | None, quiet: bool) -> None:
    """Run each rule of DIRECTORY (default: the rules directory) against the bad and good examples
    in its `tests:`; exit 1 if any rule finds other than what a bad case expects, or anything in a
    good case, 2 if a rule file is not valid."""
    from preflight.declarative import rules_dir
    from preflight.declarative.testing import run_rule_tests

    target = directory or rules_dir(os.getcwd(), _settings_here())
    if not os.path.isdir(target):
        _fail(f"no rules directory {target}; create one with `preflight new-rule NAME`")
        return
    report = run_rule_tests(target)
    for line in report.lines(quiet=quiet):
        click.echo(line)
    for error in report.errors:
        click.echo(f"preflight: error: {error}", err=True)
    if report.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_CLEAN)
