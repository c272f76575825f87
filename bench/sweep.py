"""The precision sweep: run preflight over a corpus of well-known public repositories.

    python bench/sweep.py --mirror /work/.mirror --dest /tmp/sweep
    python bench/sweep.py --dest /tmp/sweep --only traefik --json /tmp/sweep.json

The corpus is ``bench/sweep.toml`` (owner/name, commit, why). Nothing is fetched from the
network: each repository is expected at ``DEST/<owner>+<name>``; with ``--mirror`` (or
``PREFLIGHT_SWEEP_MIRROR``) a missing or outdated copy is extracted with ``git archive`` from the
bare repository ``MIRROR/<owner>+<name>`` (or ``.../repo``), and its git index is written too, so
rules that ask git what is tracked see what a clone would show.

Each repository is checked by its own ``python -m preflight check --format json`` subprocess
(with a timeout) using the default rule selection unless ``--select``/``--extend-select`` say
otherwise. The table gives files by kind (from preflight's own discovery), findings per rule,
PF001/PF002 counts, exit code and wall time. ``--json`` writes every finding, for review.
A crash (exit code 2, no JSON, a timeout) is reported and makes the exit code 1, as does any PF002.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without an install

MARKER = ".preflight-sweep-commit"  # written into each extracted copy: the commit it holds


@dataclass(frozen=True)
class Repo:
    name: str  # owner/name
    commit: str
    why: str

    @property
    def slug(self) -> str:
        return self.name.replace("/", "+")


@dataclass
class Outcome:
    repo: Repo
    status: str  # ok, missing, crash, timeout
    seconds: float = 0.0
    exit_code: int | None = None
    kinds: Counter = field(default_factory=Counter)
    by_rule: Counter = field(default_factory=Counter)
    findings: list[dict] = field(default_factory=list)
    detail: str = ""


def read_toml(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib  # Python 3.11+

        return tomllib.loads(text)
    except ModuleNotFoundError:  # Python 3.10: tomlkit is a preflight dependency
        import tomlkit

        return tomlkit.parse(text).unwrap()


def load_corpus(path: Path) -> list[Repo]:
    data = read_toml(path)
    repos = [Repo(str(r["name"]), str(r["commit"]), str(r.get("why", ""))) for r in data.get("repo", [])]
    seen = Counter(r.name for r in repos)
    twice = sorted(n for n, c in seen.items() if c > 1)
    if twice:
        raise SystemExit(f"sweep: {path}: listed twice: {', '.join(twice)}")
    return repos


def _mirror_git_dir(mirror: Path, repo: Repo) -> Path | None:
    for candidate in (mirror / repo.slug / "repo", mirror / repo.slug):
        if (candidate / "HEAD").is_file() or (candidate / ".git").is_dir():
            return candidate / ".git" if (candidate / ".git").is_dir() else candidate
    return None


def missing_blobs(git: list[str], commit: str) -> list[str]:
    """Paths at ``commit`` whose blob the repository does not hold."""
    listing = subprocess.run([*git, "ls-tree", "-r", "-z", commit], capture_output=True, check=True).stdout
    entries = [entry.split(b"\t", 1) for entry in listing.split(b"\0") if entry]
    blobs = [(meta.split()[2].decode(), path.decode("utf-8", "surrogateescape"))
             for meta, path in entries if meta.split()[1] == b"blob"]
    check = subprocess.run([*git, "cat-file", "--batch-check"], input="".join(f"{sha}\n" for sha, _ in blobs),
                           capture_output=True, text=True, check=True).stdout.splitlines()
    return [path for (_, path), answer in zip(blobs, check, strict=True) if answer.endswith(" missing")]


def extract(repo: Repo, mirror: Path, dest: Path) -> str:
    """Put ``repo`` at its commit into ``dest/<slug>``; '' on success, else why not."""
    target = dest / repo.slug
    marker = target / MARKER
    if marker.is_file() and marker.read_text().strip() == repo.commit:
        return ""
    git_dir = _mirror_git_dir(mirror, repo)
    if git_dir is None:
        return f"no mirror at {mirror / repo.slug}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    git = ["git", f"--git-dir={git_dir}"]
    # Snapshots may lack their largest blobs (preflight skips files that size anyway): leave them out.
    absent = missing_blobs(git, repo.commit)
    archive = subprocess.Popen([*git, "archive", repo.commit, "--", ".", *(f":(exclude,literal){p}" for p in absent)],
                               stdout=subprocess.PIPE)
    untar = subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, capture_output=True)
    assert archive.stdout is not None
    archive.stdout.close()
    if archive.wait() != 0 or untar.returncode != 0:
        return f"git archive {repo.commit[:12]} failed: {untar.stderr.decode(errors='replace').strip()[:200]}"
    # A git index listing the commit's files: SEC001/SEC002 ask whether a file is tracked.
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    env = dict(os.environ, GIT_INDEX_FILE=str(target / ".git" / "index"))
    subprocess.run([*git, "read-tree", repo.commit], check=True, env=env, stderr=subprocess.DEVNULL)
    marker.write_text(repo.commit + "\n")
    return ""


def files_by_kind(root: Path) -> Counter:
    from preflight.discover import discover

    return Counter(ref.kind.value for ref in discover(str(root)).files)


def run_one(repo: Repo, dest: Path, args: argparse.Namespace) -> Outcome:
    root = dest / repo.slug
    if not (root / MARKER).is_file() and not root.is_dir():
        return Outcome(repo, "missing", detail=f"not at {root}; give --mirror to extract it")
    command = [sys.executable, "-m", "preflight", "check", str(root), "--format", "json", "--no-color"]
    for option in ("select", "extend_select", "ignore"):
        for value in getattr(args, option) or ():
            command += [f"--{option.replace('_', '-')}", value]
    env = dict(os.environ, PYTHONPATH=str(HERE.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, env=env,
                              cwd=str(HERE.parent))
    except subprocess.TimeoutExpired:
        return Outcome(repo, "timeout", seconds=time.perf_counter() - started,
                       detail=f"no result after {args.timeout} s")
    seconds = time.perf_counter() - started
    outcome = Outcome(repo, "ok", seconds=seconds, exit_code=proc.returncode, kinds=files_by_kind(root))
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        outcome.status, outcome.detail = "crash", (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return outcome
    if proc.returncode not in (0, 1):
        outcome.status = "crash"
        outcome.detail = "; ".join(e["message"] for e in report.get("errors", []))[:300] or proc.stderr[-300:]
    outcome.findings = report["findings"]
    outcome.by_rule = Counter(f["rule"] for f in outcome.findings)
    return outcome


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def render(outcomes: list[Outcome]) -> str:
    total_kinds: Counter = Counter()
    total_rules: Counter = Counter()
    for o in outcomes:
        total_kinds.update(o.kinds)
        total_rules.update(o.by_rule)
    kinds = [k for k, _ in sorted(total_kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
    rules = sorted(total_rules)

    summary = [[o.repo.name, o.status, "" if o.exit_code is None else str(o.exit_code),
                str(sum(o.kinds.values())), str(sum(o.by_rule.values())), str(o.by_rule.get("PF001", 0)),
                str(o.by_rule.get("PF002", 0)), f"{o.seconds:.1f}"] for o in outcomes]
    summary.append(["total", "", "", str(sum(total_kinds.values())), str(sum(total_rules.values())),
                    str(total_rules.get("PF001", 0)), str(total_rules.get("PF002", 0)),
                    f"{sum(o.seconds for o in outcomes):.1f}"])
    parts = ["## Repositories",
             _table(["repository", "status", "exit", "files", "findings", "PF001", "PF002", "seconds"], summary)]

    parts += ["## Files by kind",
              _table(["repository", *kinds],
                     [[o.repo.name, *(str(o.kinds.get(k, "")) for k in kinds)] for o in outcomes]
                     + [["total", *(str(total_kinds[k]) for k in kinds)]])]
    if rules:
        parts += ["## Findings per rule",
                  _table(["repository", *rules],
                         [[o.repo.name, *(str(o.by_rule.get(r, "")) for r in rules)]
                          for o in outcomes if o.by_rule]
                         + [["total", *(str(total_rules[r]) for r in rules)]])]
    problems = [o for o in outcomes if o.status != "ok" or o.detail]
    if problems:
        parts += ["## Problems", "\n".join(f"- {o.repo.name}: {o.status}: {o.detail}" for o in problems)]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=HERE / "sweep.toml", help="the corpus list (TOML)")
    parser.add_argument("--dest", type=Path, default=Path(os.environ.get("PREFLIGHT_SWEEP_DEST", "/tmp/preflight-sweep")),
                        help="where the repositories are (or are extracted to) [env PREFLIGHT_SWEEP_DEST]")
    parser.add_argument("--mirror", type=Path, default=os.environ.get("PREFLIGHT_SWEEP_MIRROR") or None,
                        help="bare git mirrors to extract missing repositories from [env PREFLIGHT_SWEEP_MIRROR]")
    parser.add_argument("--only", action="append", metavar="TEXT", help="only repositories whose name contains TEXT")
    parser.add_argument("--select", action="append", metavar="IDS", help="passed to preflight check")
    parser.add_argument("--extend-select", action="append", metavar="IDS", help="passed to preflight check")
    parser.add_argument("--ignore", action="append", metavar="IDS", help="passed to preflight check")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per repository [600]")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every outcome and finding to FILE")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the table to FILE as well")
    args = parser.parse_args(argv)

    repos = load_corpus(args.corpus)
    if args.only:
        repos = [r for r in repos if any(text.lower() in r.name.lower() for text in args.only)]
    outcomes = []
    for repo in repos:
        if args.mirror is not None:
            failed = extract(repo, args.mirror, args.dest)
            if failed:
                outcomes.append(Outcome(repo, "missing", detail=failed))
                print(f"{repo.name:45s} missing: {failed}", file=sys.stderr, flush=True)
                continue
        outcome = run_one(repo, args.dest, args)
        print(f"{repo.name:45s} {outcome.status:8s} {outcome.seconds:6.1f}s "
              f"{sum(outcome.by_rule.values()):5d} findings", file=sys.stderr, flush=True)
        outcomes.append(outcome)

    table = render(outcomes)
    print(table, end="")
    if args.output:
        args.output.write_text(table, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps([{
            "repo": o.repo.name, "commit": o.repo.commit, "status": o.status, "exit_code": o.exit_code,
            "seconds": round(o.seconds, 2), "files_by_kind": dict(sorted(o.kinds.items())),
            "detail": o.detail, "findings": o.findings,
        } for o in outcomes], indent=1) + "\n", encoding="utf-8")
    bad = [o for o in outcomes if o.status in ("crash", "timeout") or o.by_rule.get("PF002")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
