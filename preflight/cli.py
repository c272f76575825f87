"""The command line: ``preflight check``, ``rules``, ``explain``.

Exit codes: 0 nothing at or above the fail level, 1 findings at or above it, 2 usage,
configuration or internal error.
"""

from __future__ import annotations

import os
import sys

import click

from preflight import __version__
from preflight.model import Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values: tuple[str, ...]) -> list[str]:
    """``--select A,B --select C`` -> [A, B, C]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _fail(message: str) -> None:
    click.echo(f"preflight: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _root_and_paths(paths: tuple[str, ...]) -> tuple[str, list[str] | None]:
    """The scanned root (paths in output are relative to it) and what to walk inside it."""
    given = list(paths) or ["."]
    for path in given:
        if not os.path.lexists(path):
            _fail(f"path does not exist: {path}")
    if len(given) == 1 and os.path.isdir(given[0]):
        return os.path.abspath(given[0]), None
    cwd = os.getcwd()
    absolute = [os.path.abspath(p) for p in given]
    if all(os.path.commonpath([cwd, p]) == cwd for p in absolute):
        return cwd, absolute
    parents = [p if os.path.isdir(p) else os.path.dirname(p) for p in absolute]
    return os.path.commonpath(parents), absolute


class _Group(click.Group):
    """The command group; the team-rule commands are imported only when one of them runs (or help
    lists them), so ``preflight check`` does not pay for their imports at start."""

    LAZY = {"new-rule": "new_rule", "test-rules": "test_rules"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY and name not in self.commands:
            from preflight.declarative import cli as declarative_cli  # team rules: preflight/declarative/

            self.add_command(getattr(declarative_cli, self.LAZY[name]), name)
        return super().get_command(ctx, name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="preflight", message="%(prog)s %(version)s")
def main() -> None:
    """Deployment lessons as static checks: catch what broke someone's deploy before it breaks yours."""


def run() -> None:
    """The ``preflight`` command (console script and ``python -m preflight``): :func:`main`, then
    the process ends as soon as its output is flushed. A normal interpreter exit frees every
    object the run made, one by one: 0.7 to 1.9 s after a check of the 5,000-file benchmark
    repository has already printed everything. Tests call :func:`main` and are not affected."""
    try:
        main(prog_name="preflight")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        click.echo(str(code), err=True)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken pipe: let the interpreter say so as usual
        raise SystemExit(code) from None
    os._exit(code)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github", "gitlab"]), default=None,
              help="Output format [default: github when GITHUB_ACTIONS=true and no --output, else text].")
@click.option("--select", multiple=True, metavar="IDS", help="Run only these rules (ids or prefixes, comma-separated).")
@click.option("--extend-select", multiple=True, metavar="IDS", help="Run these rules in addition (e.g. off-by-default ones).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Do not run these rules (ids or prefixes).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files matching this gitignore-style pattern.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Read settings from this TOML file.")
@click.option("--color/--no-color", default=None, help="Colour the output [default: on a terminal, unless NO_COLOR].")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--base", "base", metavar="REF", help="Compare with git revision REF: report what the change brought.")
@click.option("--all", "show_all", is_flag=True, help="With --base: report every finding, marking the new ones.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes and report what is left.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print the safe fixes as a unified diff; change no file (exit 1 if there are any).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (report only); errors still exit 2.")
@click.option("--no-inline-ignores", is_flag=True, help="Suppression comments count for nothing.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report only findings not recorded in this baseline.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record the current findings in FILE and exit 0.")
@click.option("--changed-files", is_flag=True,
              help="PATHS are changed files (pre-commit): check the whole project, report only for them.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Check files in this many processes when there are enough of them [default: CPU count].")
@click.option("--no-cache", is_flag=True, help="Neither read nor write .preflight_cache/.")
def check(paths: tuple[str, ...], fmt: str | None, select: tuple[str, ...], extend_select: tuple[str, ...],
          ignore: tuple[str, ...], fail_on: str | None, output: str | None, exclude: tuple[str, ...],
          config_path: str | None, color: bool | None, quiet: bool, statistics: bool,
          base: str | None = None, show_all: bool = False, fix: bool = False, show_diff: bool = False,
          exit_zero: bool = False, no_inline_ignores: bool = False, baseline_path: str | None = None,
          write_baseline: str | None = None, changed_files: bool = False,
          jobs: int | None = None, no_cache: bool = False) -> None:
    """Check PATHS (default: the current directory) for deployment problems."""
    from preflight.config import ConfigError, find_config, load_settings
    from preflight.engine import run_check
    from preflight.registry import load_registry
    from preflight.report import ReportOptions, render

    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" and not output else "text"
    changed: set[str] | None = None
    if changed_files:
        from preflight.changed import project_root, relative_paths

        root, walk = project_root(os.getcwd()), None
        changed = relative_paths(root, list(paths))
    else:
        root, walk = _root_and_paths(paths)
    if show_all and base is None:
        _fail("--all needs --base REF")
    try:
        settings = load_settings(config_path or find_config(root))
        if select:
            settings.select = _split(select)
        settings.extend_select += _split(extend_select)
        settings.ignore += _split(ignore)
        settings.exclude += list(exclude)
        if fail_on:
            settings.fail_on = Severity.parse(fail_on)
        if no_inline_ignores:
            settings.inline_ignores = False
        fixed = None
        if (fix or show_diff) and base:
            raise ConfigError("--fix and --diff fix the working tree as a whole; they cannot be combined with --base")
        if fix or show_diff:  # --diff wins: nothing is written
            from preflight.fixes import fix_repository
            fixed = fix_repository(root, settings, load_registry(root=root, settings=settings), walk,
                                   write=not show_diff)
            if show_diff:
                sys.exit(_show_diff(fixed))
        if jobs is None:
            from preflight.parallel import default_jobs

            jobs = default_jobs()
        result = fixed.result if fixed else run_check(root, settings, load_registry(root=root, settings=settings),
                                                      walk, base=base, show_all=show_all,
                                                      jobs=jobs, use_cache=not no_cache)
        if write_baseline or baseline_path:
            from preflight.baseline import apply_baseline, load_baseline, write_baseline as write

            if write_baseline:
                count = write(write_baseline, result)
                click.echo(f"preflight: wrote {count} findings to baseline {write_baseline}", err=True)
                sys.exit(EXIT_ERROR if result.errors else EXIT_CLEAN)
            result = apply_baseline(result, load_baseline(baseline_path))  # type: ignore[arg-type]
        if changed is not None:
            from preflight.changed import only_changed

            result = only_changed(result, changed)
    except ConfigError as exc:
        _fail(str(exc))
        return
    except Exception as exc:  # a bug in the engine itself: one line, exit 2, never a traceback
        _fail(f"internal error: {type(exc).__name__}: {exc}; please report this")
        return

    to_terminal = output is None and sys.stdout.isatty()
    if color is None:
        color = to_terminal and not os.environ.get("NO_COLOR")
    options = ReportOptions(color=bool(color) and output is None, grouped=to_terminal, quiet=quiet,
                            statistics=statistics, fail_on=settings.fail_on)
    report = render(fmt, result, options)
    if output:
        with open(output, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(report)
    else:
        click.echo(report, nl=False, color=options.color)
    if fixed is not None:
        for note in fixed.notes:
            click.echo(f"preflight: warning: {note}", err=True)
        if not quiet or fixed.fixed_count:
            click.echo("\n".join(fixed.summary_lines()), err=fmt == "json" or output is not None)
    if fmt == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        from preflight.report.github import append_step_summary

        problem = append_step_summary(os.environ["GITHUB_STEP_SUMMARY"], result)
        if problem:
            click.echo(f"preflight: warning: {problem}", err=True)
    for error in result.errors:
        click.echo(f"preflight: error: {error.message}", err=True)
    if result.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.failing(settings.fail_on) and not exit_zero else EXIT_CLEAN)


def _show_diff(fixed) -> int:  # type: ignore[no-untyped-def]
    """``check --diff``: the diff on stdout, the count on stderr; 1 if anything would change (like ruff)."""
    diff = fixed.diff()
    if diff:
        click.echo(diff, nl=False)
    for note in fixed.notes:
        click.echo(f"preflight: warning: {note}", err=True)
    click.echo("\n".join(fixed.summary_lines(would=True)), err=True)
    if fixed.result.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if diff else EXIT_CLEAN


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List every registered rule: id, name, severity and summary (`--format json` adds kinds, source)."""
    from preflight.declarative.cli import project_registry

    registry = project_registry()
    loaded = registry.load_all()
    if fmt == "json":
        import json

        click.echo(json.dumps([{
            "id": r.id, "name": r.name, "severity": str(r.severity), "kinds": sorted(k.value for k in r.kinds),
            "summary": r.meta.summary, "source": r.meta.source, "default_enabled": r.meta.default_enabled,
            "fixable": r.meta.fixable, "builtin": registry.entries[r.id].builtin,
        } for r in loaded], indent=2))
    else:
        width = max((len(r.name) for r in loaded), default=0)
        for r in loaded:
            off = "" if r.meta.default_enabled else " (off by default)"
            click.echo(f"{r.id:<8} {r.name:<{width}}  {str(r.severity):<7}  {r.meta.summary}{off}")
    for error in registry.errors:
        click.echo(f"preflight: error: {error.message}", err=True)
    sys.exit(EXIT_ERROR if registry.errors else EXIT_CLEAN)


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Print the docs page of RULE_ID: what it catches, why, examples and the fix."""
    from preflight.declarative.cli import project_registry
    from preflight.docs import rule_page

    registry = project_registry()
    wanted = rule_id.strip().upper()
    match = next((i for i in registry.ids() if i == wanted), None)
    if match is None:  # also accept the rule's name
        match = next((r.id for r in registry.load_all() if r.name == rule_id.strip().lower()), None)
    if match is None:
        _fail(f"no rule '{rule_id}'; 'preflight rules' lists them")
        return
    rule = registry.load(match)
    if rule is None:
        _fail(registry.errors[-1].message)
        return
    click.echo(rule_page(rule), nl=False)


@main.command()
@click.argument("message")
@click.option("--check", "check_path", type=click.Path(exists=True, file_okay=False), default=None,
              help="Also say whether this repository has findings of the matching rules.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True, help="Show at most this many.")
def why(message: str, check_path: str | None, fmt: str, limit: int) -> None:
    """Which lessons explain MESSAGE, an error seen in production ('-' reads it from stdin).

    Exit codes: 0 some lesson matches, 1 none does, 2 usage or internal error.
    """
    from preflight.config import ConfigError, find_config, load_settings
    from preflight.registry import load_registry
    from preflight.why import Index, attach_findings, render_json, render_text

    if message == "-":
        message = sys.stdin.read()
    if not message.strip():
        _fail("give the error message to look up, e.g. preflight why \"KeyError: 'ContainerConfig'\"")
    root = os.path.abspath(check_path or ".")
    try:
        settings = load_settings(find_config(root))
    except ConfigError as exc:
        _fail(str(exc))
        return
    registry = load_registry(root=root, settings=settings)  # the project's own rules have symptoms too
    matches = Index(registry.load_all()).search(message, limit=limit)
    if check_path is not None:
        try:
            attach_findings(matches, root, settings, registry)
        except ConfigError as exc:
            _fail(str(exc))
    render = render_json if fmt == "json" else render_text
    click.echo(render(message, matches, check_path is not None), nl=False)
    for error in registry.errors:
        click.echo(f"preflight: error: {error.message}", err=True)
    sys.exit(EXIT_ERROR if registry.errors else EXIT_CLEAN if matches else EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
