"""--jobs and the cache: the same output as one uncached process, whatever changed in between."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, write
from preflight import parallel
from preflight.cache import CACHE_DIR, KEEP_FINGERPRINTS
from preflight.config import ConfigError, Settings, from_mapping
from preflight.depends import RepoView
from preflight.engine import CheckResult, run_check
from preflight.facts import Repository
from preflight.model import FileKind, Severity
from preflight.registry import load_registry
from preflight.report import ReportOptions, render
from preflight.rule import Rule, RuleMeta

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


def _run(root: Path, jobs: int = 1, cache: bool = False, **settings: object) -> CheckResult:
    return run_check(str(root), Settings(**settings), load_registry(plugins=False), jobs=jobs,  # type: ignore[arg-type]
                     use_cache=cache)


def _output(result: CheckResult) -> str:
    options = ReportOptions(statistics=True)
    return render("json", result, options) + render("text", result, options)


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("monorepo")
    generate(str(root), files=500, seed=7, fixtures=True)  # every rule's bad fixture is in it too
    return root


@pytest.fixture
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Use the pool whatever the size, and record how each run used it: "groups" (rules split
    into groups, one process each), "chunks" (files cut into chunks) or "one" (this process only)."""
    used: list[str] = []
    real_start, real_groups = parallel.start, parallel.run_groups
    monkeypatch.setattr(parallel, "MIN_FILES", 1)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1)

    def start(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        pending = real_start(*args, **kwargs)
        used.append("chunks" if pending.parallel else "one")
        return pending

    def run_groups(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        used.append("groups")
        return real_groups(*args, **kwargs)

    monkeypatch.setattr(parallel, "start", start)
    monkeypatch.setattr(parallel, "run_groups", run_groups)
    return used


# -- parallelism -----------------------------------------------------------------------------------
@pytest.mark.skipif(not parallel.can_fork(), reason="the pool needs fork")
def test_workers_give_byte_identical_output(monorepo: Path, always_parallel: list[str]) -> None:
    one = _run(monorepo, jobs=1)
    two = _run(monorepo, jobs=2)
    three = _run(monorepo, jobs=3)
    assert always_parallel == ["one", "one", "groups", "groups"]  # one job: Python, then the rest
    assert len(one.findings) > 300
    assert {f.rule_id for f in one.findings} >= {"PF001", "DC001", "TOOL002", "PY013", "MIG002", "SEC003", "TF001"}
    assert _output(two) == _output(one)
    assert _output(three) == _output(one)


@pytest.mark.skipif(not parallel.can_fork(), reason="the pool needs fork")
def test_file_chunks_give_byte_identical_output(monorepo: Path, always_parallel: list[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """When the rules make one group (say, a repository of Python only), files are cut into chunks."""
    one = _output(_run(monorepo, jobs=1))
    monkeypatch.setattr(parallel, "plan_groups", lambda rule_kinds, kind_cost, jobs: [list(rule_kinds)])
    assert _output(_run(monorepo, jobs=2)) == one
    assert always_parallel == ["one", "one", "chunks"]


def _held_documents(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Filled, as the run parses each document, with how many documents this process holds then."""
    held: list[int] = []
    real = Repository.document

    def document(self, ref):  # noqa: ANN001, ANN202
        if ref.path not in self._documents:
            held.append(sum(1 for d in self._documents.values() if d is not None))
        return real(self, ref)

    monkeypatch.setattr(Repository, "document", document)
    return held


def test_one_process_lets_go_of_python_trees_before_it_parses_the_other_kinds(  # peak memory
        monorepo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    held = _held_documents(monkeypatch)
    python = sum(1 for p in monorepo.rglob("*.py"))
    assert python > 100
    _run(monorepo, jobs=1)
    # Held at most: the Python modules and what the Python rules read besides (TOML, locks, shell),
    # or the other kinds with the few modules facts keep; not every document of the run at once
    # (465 of 480 on this repository when every kind was parsed before any was let go).
    assert max(held) < 0.7 * len(held)


@pytest.mark.skipif(not parallel.can_fork(), reason="the pool needs fork")
def test_a_rule_group_lets_go_of_python_trees_before_it_parses_the_other_kinds(  # peak memory, -jN
        monorepo: Path, monkeypatch: pytest.MonkeyPatch, always_parallel: list[str]) -> None:
    held = _held_documents(monkeypatch)
    # Every rule but the last in the group this process runs; the last one in a worker.
    monkeypatch.setattr(parallel, "plan_groups", lambda rule_kinds, kind_cost, jobs: [list(rule_kinds)[:-1],
                                                                                      list(rule_kinds)[-1:]])
    _run(monorepo, jobs=2)
    assert always_parallel == ["groups"]
    assert len(held) > 400  # this process parsed Python and the other kinds
    assert max(held) < 0.7 * len(held)


def test_rule_groups_keep_a_kind_in_one_group_when_they_can() -> None:
    py, ini, lock, shell, yml, tf = "python", "ini", "lock", "shell", "workflow", "terraform"
    rule_kinds = {"A": frozenset({shell, yml}), "P1": frozenset({py}), "M": frozenset({py, ini}),
                  "P2": frozenset({py, lock}), "D": frozenset({lock}), "T": frozenset({tf}),
                  "S": frozenset({shell}), "B": frozenset()}
    cost = {py: 50.0, ini: 2.0, lock: 8.0, shell: 20.0, yml: 15.0, tf: 10.0}
    groups = parallel.plan_groups(rule_kinds, cost, 2)
    assert groups == [["P1", "M", "P2", "D"], ["A", "T", "S", "B"]]  # 60 and 45: Python is parsed once
    assert parallel.plan_groups(rule_kinds, cost, 2) == groups  # deterministic
    assert parallel.plan_groups(rule_kinds, cost, 1) == [list(rule_kinds)]
    three = parallel.plan_groups(rule_kinds, cost, 3)
    assert sorted(r for g in three for r in g) == sorted(rule_kinds)
    assert max(sum(cost[k] for k in set().union(*(rule_kinds[r] for r in g))) for g in three) <= 60.0


@pytest.mark.skipif(not parallel.can_fork(), reason="the pool needs fork")
def test_workers_on_the_fixtures_with_suppressions_and_a_crashing_rule(tmp_path: Path,
                                                                      always_parallel: list[str]) -> None:
    shutil.copytree(REPO / "fixtures", tmp_path / "fixtures")
    write(tmp_path, {"deploy.sh": "# preflight: ignore[DC001]\ndocker-compose up\n# preflight: ignore[TOOL001]\n",
                     "broken.yml": "services: [\n", ".github/workflows/x.yml": "on: [push\n"})

    def check_command(cmd, ctx):  # noqa: ANN001, ANN202
        if cmd.path.endswith("deploy.sh"):
            raise KeyError("boom")
        yield from ()

    def results(jobs: int) -> str:
        registry = load_registry(plugins=False)
        meta = RuleMeta("XT001", "crashes", Severity.ERROR, frozenset({FileKind.SHELL}), "Crashes", "tests", "none")
        registry.add_rule(Rule(meta, "", "tests.crashing", {"check_command": check_command}))
        return _output(run_check(str(tmp_path), Settings(), registry, jobs=jobs))

    single = results(1)
    assert results(2) == single
    assert always_parallel == ["one", "one", "groups"]
    assert "PF002" in single and "PF003" in single and "PF001" in single


def test_small_work_stays_in_process() -> None:
    assert not parallel.worth_it(2, [100] * 10)
    assert not parallel.worth_it(1, [10_000] * 1000)
    assert parallel.worth_it(2, [10_000] * 1000) == parallel.can_fork()


def test_chunks_are_contiguous_balanced_and_complete() -> None:
    items = list(range(100))
    sizes = [1] * 50 + [10] * 50
    chunks = parallel._chunks(items, sizes, 8)
    assert [i for chunk in chunks for i in chunk] == items
    assert len(chunks) == 8
    weights = [sum(sizes[i] for i in chunk) for chunk in chunks]
    assert max(weights) <= 2 * sum(sizes) / 8


# -- the cache -------------------------------------------------------------------------------------
def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = Repository.document

    def document(self, ref):  # noqa: ANN001, ANN202
        if ref.path not in self._documents:
            parsed.append(ref.path)
        return real(self, ref)

    monkeypatch.setattr(Repository, "document", document)
    return parsed


def test_an_unchanged_rerun_is_served_from_the_cache(monorepo: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    shutil.copytree(monorepo, root)
    cold = _run(root, cache=True)
    assert (root / CACHE_DIR / ".gitignore").read_text().endswith("*\n")
    assert (root / CACHE_DIR / "CACHEDIR.TAG").exists()
    parsed = _parses(monkeypatch)
    warm = _run(root, cache=True)
    # SEC001 and SEC002 ask git whether a file is ignored. The files (.gitignore among them) were
    # written just now, too close to the run to be told apart by their stamps: those results are
    # not stored, they are computed again, and only the files they need are parsed.
    assert 0 < len(parsed) < 50
    assert warm.stats.files_cached > 300
    assert _output(warm) == _output(cold) == _output(_run(root))
    _run(root, cache=True, ignore=["SEC001", "SEC002"])
    parsed.clear()
    assert _run(root, cache=True, ignore=["SEC001", "SEC002"]).stats.files_cached > 300
    assert parsed == []  # nothing read but the bytes to hash


def _mutate(root: Path, rnd: random.Random) -> list[str]:
    """Edit, delete and add a few files of several kinds; the paths touched."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and CACHE_DIR not in p.parts)
    touched = []
    for path in rnd.sample(files, 16):
        rel = path.relative_to(root).as_posix()
        touched.append(rel)
        text = path.read_text(encoding="utf-8", errors="replace")
        choice = rnd.randrange(4)
        if choice == 0:
            path.unlink()
        elif choice == 1:
            lines = text.split("\n")
            del lines[rnd.randrange(len(lines))]
            path.write_text("\n".join(lines), encoding="utf-8")
        elif choice == 2:
            path.write_text(text.replace("1", "2").replace("poetry", "poetry==1.7.1", 1), encoding="utf-8")
        else:
            copy = path.with_name("copy_" + path.name)
            copy.write_text(text, encoding="utf-8")
    return touched


@pytest.mark.parametrize("seed", [1])
def test_after_changes_the_cached_run_equals_an_uncached_one(monorepo: Path, tmp_path: Path, seed: int) -> None:
    root = tmp_path / "repo"
    shutil.copytree(monorepo, root)
    _run(root, cache=True)
    rnd = random.Random(seed)
    for _ in range(2):
        _mutate(root, rnd)
        assert _output(_run(root, cache=True)) == _output(_run(root))


def test_changing_poetry_lock_alone_changes_tool002_and_tool001(tmp_path: Path) -> None:
    shutil.copytree(REPO / "fixtures" / "TOOL002" / "bad", tmp_path / "repo")
    root = tmp_path / "repo"
    before = _run(root, cache=True, select=["TOOL"])
    lock = root / "poetry.lock"
    text = lock.read_text(encoding="utf-8")
    assert "Poetry 2.3.0" in text
    lock.write_text(text.replace("Poetry 2.3.0", "Poetry 1.8.3"), encoding="utf-8")
    after = _run(root, cache=True, select=["TOOL"])
    uncached = _run(root, select=["TOOL"])
    assert _output(after) == _output(uncached)
    assert [f.message for f in after.findings if f.rule_id == "TOOL002"] != \
           [f.message for f in before.findings if f.rule_id == "TOOL002"]
    assert after.stats.files_cached > 0  # the files poetry.lock does not concern were served


def test_cache_off_by_flag_or_config(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": "docker-compose up\n"})
    run_check(str(tmp_path), Settings(cache=False), load_registry(plugins=False), use_cache=True)
    assert not (tmp_path / CACHE_DIR).exists()
    _run(tmp_path)  # the API default: no cache
    assert not (tmp_path / CACHE_DIR).exists()
    assert from_mapping({"cache": False}, "x").cache is False
    with pytest.raises(ConfigError, match="'cache' must be true or false"):
        from_mapping({"cache": "no"}, "x")


def test_a_damaged_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": "docker-compose up\n", "compose.yml": "services:\n  a:\n    image: x\n"})
    first = _output(_run(tmp_path, cache=True))
    (cache_file,) = (tmp_path / CACHE_DIR).glob("v*.json")
    for damage in ("{not json", json.dumps({"fingerprint": cache_file.stem[3:], "files": {"deploy.sh": []},
                                            "cross": {"DC003": {"deps": 99}}, "depsets": "x"})):
        cache_file.write_text(damage)
        assert _output(_run(tmp_path, cache=True)) == first
        json.loads(cache_file.read_text())


def test_old_fingerprints_are_pruned(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": "docker-compose up\npip install poetry\n"})
    for select in (["DC"], ["TOOL"], ["DC001"], ["TOOL001"], ["PF"], ["DC", "TOOL"]):
        _run(tmp_path, cache=True, select=select)
    names = sorted(p.name for p in (tmp_path / CACHE_DIR).iterdir())
    assert len([n for n in names if n.startswith("v")]) == KEEP_FINGERPRINTS
    assert not [n for n in names if n.startswith(".tmp-")]


def test_a_result_that_reads_outside_the_tracked_api_is_opaque(tmp_path: Path) -> None:
    write(tmp_path, {"a.sh": "echo\n"})
    from preflight.discover import discover

    view = RepoView(Repository(str(tmp_path), discover(str(tmp_path), None).files))
    view.begin()
    assert view.files_of(FileKind.SHELL)
    deps = view.end()
    assert (deps.files, deps.lists, deps.opaque) == (set(), {"shell"}, False)
    view.begin()
    assert view.root == str(tmp_path)
    assert view.end().opaque


def test_a_fact_adds_what_it_read_to_every_hook_asking_for_it(tmp_path: Path) -> None:
    write(tmp_path, {"a.sh": "echo a\n", "b.sh": "echo b\n"})
    from preflight.discover import discover

    view = RepoView(Repository(str(tmp_path), discover(str(tmp_path), None).files))

    def words(repo):  # noqa: ANN001, ANN202
        return [c.argv[0].text for c in repo.all_commands(FileKind.SHELL)]

    for _ in range(2):  # computed the first time, remembered the second: the same dependencies
        view.begin()
        assert view.fact(words) == ["echo", "echo"]
        deps = view.end()
        assert deps.flat() == ({"a.sh", "b.sh"}, {"shell"})


def test_a_forgotten_fact_is_computed_again_with_the_same_dependencies(tmp_path: Path) -> None:
    write(tmp_path, {"a.sh": "echo a\n"})
    from preflight.discover import discover

    view = RepoView(Repository(str(tmp_path), discover(str(tmp_path), None).files))
    calls = []

    def words(repo):  # noqa: ANN001, ANN202
        calls.append(1)
        return [c.argv[0].text for c in repo.all_commands(FileKind.SHELL)]

    for forget in (False, True, False):
        if forget:
            view.forget_facts()
        view.begin()
        assert view.fact(words) == ["echo"]
        assert view.end().flat() == ({"a.sh"}, {"shell"})
    assert len(calls) == 2  # once, and once more after it was let go


def test_concurrent_runs_share_the_cache_safely(tmp_path: Path) -> None:
    shutil.copytree(REPO / "fixtures" / "TOOL002" / "bad", tmp_path / "repo")
    root = tmp_path / "repo"
    argv = [sys.executable, "-m", "preflight", "check", "--format", "json", "--jobs", "1", str(root)]
    expected = subprocess.run([*argv, "--no-cache"], capture_output=True, text=True).stdout
    env = dict(os.environ)
    processes = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env) for _ in range(4)]
    outputs = [p.communicate()[0] for p in processes]
    assert outputs == [expected] * 4
    (cache_file,) = (root / CACHE_DIR).glob("v*.json")
    json.loads(cache_file.read_text())
    assert subprocess.run(argv, capture_output=True, text=True).stdout == expected


def test_cli_jobs_and_no_cache(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": "docker-compose up\n"})
    base = [sys.executable, "-m", "preflight", "check", str(tmp_path)]
    assert subprocess.run([*base, "--jobs", "0"], capture_output=True).returncode == 2
    done = subprocess.run([*base, "--jobs", "2", "--no-cache"], capture_output=True, text=True)
    assert done.returncode == 1 and "DC001" in done.stdout
    assert not (tmp_path / CACHE_DIR).exists()
    assert subprocess.run(base, capture_output=True).returncode == 1
    assert (tmp_path / CACHE_DIR).is_dir()


@pytest.mark.skipif(not parallel.can_fork(), reason="the pool needs fork")
def test_a_dead_workers_chunks_are_done_again_here() -> None:
    parent = os.getpid()

    def task(chunk):  # noqa: ANN001, ANN202
        if os.getpid() != parent and 0 in chunk:
            os._exit(3)  # as the kernel's OOM killer would end it
        return [x * 2 for x in chunk]

    pending = parallel.start(task, list(range(200)), [10_000] * 200, 2)
    assert pending.parallel
    assert [x for result in pending.get() for x in result] == [x * 2 for x in range(200)]


@pytest.mark.skipif(not parallel.can_fork(), reason="the pool needs fork")
def test_rule_groups_come_back_in_order_through_files_and_a_dead_workers_group_is_done_here(monkeypatch) -> None:  # noqa: ANN001
    import tempfile

    parent = os.getpid()
    big = {f"file{i}.py": ("x" * 50, i) for i in range(20_000)}  # more than a pipe's buffer
    real_file, written = tempfile.TemporaryFile, []

    class Recording:  # the worker's file, with how much was in it when the main process closed it
        def __init__(self) -> None:
            self._file = real_file()

        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(self._file, name)

        def close(self) -> None:
            written.append(os.fstat(self._file.fileno()).st_size)
            self._file.close()

    monkeypatch.setattr(tempfile, "TemporaryFile", Recording)

    def task(group):  # noqa: ANN001, ANN202
        if group == "dies" and os.getpid() != parent:
            os._exit(3)
        return group, os.getpid() == parent, big if group == "big" else None

    results = parallel.run_groups(task, ["first", "big", "last"])
    assert [(name, here) for name, here, _ in results] == [("first", True), ("big", False), ("last", False)]
    assert results[1][2] == big
    assert written[0] > 100_000 and 0 < written[1] < 1_000  # each worker's result went through its file
    assert [(name, here) for name, here, _ in parallel.run_groups(task, ["first", "dies"])] == [
        ("first", True), ("dies", True)]  # as the kernel's OOM killer would end it: done again here


@pytest.mark.skipif(not parallel.can_fork(), reason="the pool needs fork")
def test_rule_groups_without_a_temporary_file_or_room_in_it_come_back_as_messages(monkeypatch) -> None:  # noqa: ANN001
    import tempfile

    parent = os.getpid()

    def task(group):  # noqa: ANN001, ANN202
        return group, os.getpid() == parent

    def no_temporary_directory(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError(30, "Read-only file system")

    with monkeypatch.context() as patched:
        patched.setattr(tempfile, "TemporaryFile", no_temporary_directory)
        assert parallel.run_groups(task, ["first", "second"]) == [("first", True), ("second", False)]

    class Full:  # a file on a full disk
        def write(self, data):  # noqa: ANN001, ANN202
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            pass

    monkeypatch.setattr(tempfile, "TemporaryFile", Full)
    assert parallel.run_groups(task, ["first", "second"]) == [("first", True), ("second", False)]


@pytest.mark.skipif(not parallel.can_fork(), reason="the pool needs fork")
def test_a_workers_exception_reaches_the_caller() -> None:
    def task(chunk):  # noqa: ANN001, ANN202
        raise ConfigError("bad option")

    with pytest.raises(ConfigError, match="bad option"):
        parallel.start(task, list(range(200)), [10_000] * 200, 2).get()

    def group_task(group):  # noqa: ANN001, ANN202
        if group == "worker":
            raise ConfigError("bad option in a group")
        return group

    with pytest.raises(ConfigError, match="bad option in a group"):
        parallel.run_groups(group_task, ["main", "worker"])


def test_a_cache_directory_that_is_a_link_is_neither_read_nor_written(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    decoys = {f"v1-{i:024x}.json": "keep me" for i in range(6)}
    write(elsewhere, decoys)
    root = write(tmp_path / "repo", {"deploy.sh": "docker-compose up\n"})
    (root / CACHE_DIR).symlink_to(elsewhere, target_is_directory=True)
    first, second = _run(root, cache=True), _run(root, cache=True)
    assert _output(first) == _output(second) and second.stats.files_cached == 0
    assert sorted(p.name for p in elsewhere.iterdir()) == sorted(decoys)
    assert all(p.read_text() == "keep me" for p in elsewhere.iterdir())


def test_a_well_formed_but_wrong_cache_entry_is_not_served(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": "docker-compose up\n"})
    first = _output(_run(tmp_path, cache=True))
    (cache_file,) = (tmp_path / CACHE_DIR).glob("v*.json")
    data = json.loads(cache_file.read_text())
    entry = data["files"]["deploy.sh"]
    for stored in entry["rules"].values():
        if stored and stored["findings"]:
            stored["findings"][0][2] = 12345  # a message that is not a string
    entry["suppressions"] = [["x", 1, [], False, 2]]
    cache_file.write_text(json.dumps(data))
    assert _output(_run(tmp_path, cache=True)) == first


# -- the whole-run shortcut (Cache.replay) and git's state ------------------------------------------
def _settle(root: Path) -> None:
    """Give every file a distinct modification time well in the past. (Their change times are now:
    tests that want a replay set RACY_NS to 0, so that a stamp counts as soon as the run starts.)"""
    old = 1_600_000_000
    for n, path in enumerate(sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)):
        os.utime(path, (old + n, old + n))


def _reads(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The files a run will parse, and those it will hash (a replayed run does neither)."""
    from preflight import cache as cache_module

    hashed = _paths_given(monkeypatch, cache_module.Cache, "hash_of", lambda args: args[1])  # (self, path)
    return _parses(monkeypatch), hashed


def _paths_given(monkeypatch: pytest.MonkeyPatch, owner: object, name: str,
                 path_of: Callable[[tuple], str]) -> list[str]:
    """Filled with the path of every call of ``owner.name`` from now on (the call goes through)."""
    paths: list[str] = []
    real = getattr(owner, name)

    def recording(*args):  # noqa: ANN002, ANN202
        paths.append(path_of(args))
        return real(*args)

    monkeypatch.setattr(owner, name, recording)
    return paths


@pytest.fixture
def trusted_now(monkeypatch: pytest.MonkeyPatch) -> None:
    from preflight import cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_NS", 0)


def test_an_unchanged_tree_is_replayed_without_reading_a_file(monorepo: Path, tmp_path: Path, trusted_now: None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    shutil.copytree(monorepo, root)
    _settle(root)
    cold = _run(root, cache=True)
    assert len(list((root / CACHE_DIR).glob("run-v*.json"))) == 1
    parsed, hashed = _reads(monkeypatch)
    warm = _run(root, cache=True)
    assert parsed == hashed == []
    assert _output(warm) == _output(cold)
    assert warm.stats.files_cached > 300
    assert warm.sources == cold.sources  # fingerprints (SARIF, baselines) read the same text


def test_the_text_for_fingerprints_is_read_only_when_a_report_asks_for_it(monorepo: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import preflight.documents

    result = _run(monorepo, jobs=1)  # every document is let go once checked: sources are read again
    read = _paths_given(monkeypatch, preflight.documents, "read_text", lambda args: args[0])  # (path, abspath)
    sources = result.sources  # what SARIF, GitLab and baselines ask for
    assert len(read) > 50 and read == sorted(read)
    assert set(read) <= set(sources) <= {f.path for f in result.findings}
    assert result.sources is sources  # read once


def _edit(path: Path, text: str, when: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (when, when))


@pytest.mark.parametrize("change", ["edit", "touch", "add", "delete", "gitignore", "setting"])
def test_any_change_stops_the_replay_and_the_result_is_that_of_a_fresh_run(
        tmp_path: Path, trusted_now: None, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    root = write(tmp_path / "repo", {
        "deploy.sh": "docker-compose up -d\n", "compose.yml": "services:\n  api:\n    image: app\n",
        "prod.env": "DATABASE_PASSWORD=s3cr3t-value-123\n", "app/prod.env": "API_TOKEN=tok-abcdef-123456\n",
        ".gitignore": "/prod.env\n", "Dockerfile": "FROM python:3.12\nRUN pip install poetry\n"})
    _settle(root)
    # With respect-gitignore off, discovery finds app/prod.env whatever .gitignore says: only SEC001's
    # question to git (is it ignored?) sees the new app/.gitignore.
    settings: dict[str, object] = {"respect_gitignore": False} if change == "gitignore" else {}
    _run(root, cache=True, **settings)
    if change == "edit":
        _edit(root / "deploy.sh", "docker compose up -d\n", 1_700_000_000)
    elif change == "touch":  # same bytes: not replayed, but every result still comes from the cache
        os.utime(root / "deploy.sh", (1_700_000_000, 1_700_000_000))
    elif change == "add":
        _edit(root / "ci.sh", "docker-compose build\n", 1_700_000_000)
    elif change == "delete":
        (root / "deploy.sh").unlink()
    elif change == "gitignore":  # SEC001 asks git whether app/prod.env is ignored
        _edit(root / "app" / ".gitignore", "prod.env\n", 1_700_000_000)
    else:
        settings = {"per_file_ignores": {"deploy.sh": ["DC001"]}}
    parsed, hashed = _reads(monkeypatch)
    warm = _run(root, cache=True, **settings)
    assert hashed  # not replayed: the files were hashed at least
    if change == "touch":
        assert "deploy.sh" in hashed and parsed == []
    assert _output(warm) == _output(_run(root, **settings))


def test_a_file_changed_just_before_the_recorded_run_is_not_trusted_by_its_stamp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path, {"deploy.sh": "docker-compose up\n"})  # written now: within RACY_NS of the run
    first = _run(root, cache=True)
    parsed, hashed = _reads(monkeypatch)
    assert _output(_run(root, cache=True)) == _output(first)
    assert (parsed, set(hashed)) == ([], {"deploy.sh"})  # served file by file, by content


def test_results_that_ask_git_are_cached_with_its_state(tmp_path: Path, trusted_now: None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from gitrepo import git, init

    root = init(tmp_path / "repo", {".gitignore": "*.log\n", "README.md": "x\n"})
    write(root, {".env": "DATABASE_PASSWORD=s3cr3t-value-123\n", "deploy.sh": "docker-compose up\n"})
    _settle(root)
    first = _run(root, cache=True, select=["SEC001", "DC001"])
    assert [f.rule_id for f in first.findings].count("SEC001") == 1  # not ignored
    for name in (n for n in os.listdir(root / CACHE_DIR) if n.startswith("run-")):
        os.unlink(root / CACHE_DIR / name)  # no replay: the per-file cache alone
    parsed = _parses(monkeypatch)
    again = _run(root, cache=True, select=["SEC001", "DC001"])
    assert parsed == [] and _output(again) == _output(first)
    git(root, "add", "-f", ".env")  # now tracked: git's index changed, nothing else did
    index = root / ".git" / "index"
    os.utime(index, (1_600_000_000, 1_600_000_000))
    tracked = _run(root, cache=True, select=["SEC001", "DC001"])
    assert _output(tracked) == _output(_run(root, select=["SEC001", "DC001"]))
    assert "tracked" in " ".join(f.message for f in tracked.findings if f.rule_id == "SEC001")
    assert ".env" in parsed


def test_a_damaged_run_record_is_ignored(tmp_path: Path, trusted_now: None) -> None:
    root = write(tmp_path, {"deploy.sh": "docker-compose up\n", "compose.yml": "services:\n  a:\n    image: x\n"})
    _settle(root)
    first = _output(_run(root, cache=True))
    (record,) = (root / CACHE_DIR).glob("run-v*.json")
    data = json.loads(record.read_text())
    for damage in ("{not json", json.dumps({**data, "findings": [["DC001", "x"]]}),
                   json.dumps({**data, "counts": None}), json.dumps({**data, "started": "soon"})):
        record.write_text(damage)
        assert _output(_run(root, cache=True)) == first
