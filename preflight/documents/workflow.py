"""GitHub workflows and actions: jobs, steps, `env:` layers and the true lines of `run:` blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.documents.yamldoc import YamlDocument, load_documents, scalar_text
from preflight.model import FileKind, Span
from preflight.shell import Snippet

# Shells whose `run:` text is not POSIX-like shell: nothing to tokenise.
NON_SHELLS = ("python", "node", "ruby", "perl")


@dataclass(eq=False)
class Job:
    id: str
    node: Mapping[str, Any]
    env: dict[str, str]
    span: Span


@dataclass(eq=False)
class Step:
    doc: WorkflowDocument
    job: Job | None  # None for a composite action's steps
    index: int
    node: Mapping[str, Any]
    span: Span
    env: dict[str, str]  # workflow, job and step `env:` merged, innermost last
    shell: str | None

    @property
    def uses(self) -> str | None:
        value = self.node.get("uses")
        return value if isinstance(value, str) else None

    @property
    def run(self) -> str | None:
        value = self.node.get("run")
        return value if isinstance(value, str) else None

    @property
    def with_(self) -> Mapping[str, Any]:
        value = self.node.get("with")
        return value if isinstance(value, Mapping) else {}

    @property
    def name(self) -> str | None:
        return scalar_text(self.node.get("name"))

    def key_span(self, key: str) -> Span:
        return self.doc.key_span(self.node, key)

    def value_span(self, key: str) -> Span:
        return self.doc.value_span(self.node, key)

    def run_snippet(self) -> Snippet | None:
        """The `run:` text with each line mapped to its true line and column in the file."""
        if self.run is None or (self.shell or "").split(" ")[0] in NON_SHELLS:
            return None
        return run_snippet(self.doc, self.node)


@dataclass(eq=False)
class WorkflowDocument(YamlDocument):
    env: dict[str, str] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


def _env(node: Any) -> dict[str, str]:
    env = node.get("env") if isinstance(node, Mapping) else None
    if not isinstance(env, Mapping):
        return {}
    # A non-scalar value is not a valid env value; skip it rather than print it (aliases).
    return {scalar_text(k) or "?": scalar_text(v) or "" for k, v in env.items() if not isinstance(v, (dict, list))}


def _shell(*nodes: Any) -> str | None:
    shell = None
    for node in nodes:
        defaults = node.get("defaults") if isinstance(node, Mapping) else None
        run = defaults.get("run") if isinstance(defaults, Mapping) else None
        if isinstance(run, Mapping) and isinstance(run.get("shell"), str):
            shell = run["shell"]
    return shell


def parse(path: str, kind: FileKind, text: str) -> WorkflowDocument:
    documents = load_documents(path, text)
    doc = WorkflowDocument(path, kind, text, documents)
    root = doc.root
    if not isinstance(root, Mapping):
        return doc
    doc.env = _env(root)
    if kind is FileKind.ACTION:
        runs = root.get("runs")
        if isinstance(runs, Mapping):
            _add_steps(doc, None, runs.get("steps"), doc.env, None)
        return doc
    jobs = root.get("jobs")
    if not isinstance(jobs, Mapping):
        return doc
    for job_id, job_node in jobs.items():
        if not isinstance(job_node, Mapping):
            continue
        job = Job(scalar_text(job_id) or "?", job_node, {**doc.env, **_env(job_node)}, doc.key_span(jobs, job_id))
        doc.jobs.append(job)
        _add_steps(doc, job, job_node.get("steps"), job.env, _shell(root, job_node))
    return doc


def _add_steps(doc: WorkflowDocument, job: Job | None, steps: Any, env: dict[str, str],
               default_shell: str | None) -> None:
    if not isinstance(steps, list):
        return
    for index, node in enumerate(steps):
        if not isinstance(node, Mapping):
            continue
        shell = node.get("shell") if isinstance(node.get("shell"), str) else default_shell
        doc.steps.append(Step(doc, job, index, node, doc.item_span(steps, index),
                              {**env, **_env(node)}, shell))


def run_snippet(doc: YamlDocument, node: Any, key: str = "run") -> Snippet | None:
    value = node.get(key)
    if not isinstance(value, str):
        return None
    try:
        line0, col0 = node.lc.value(key)
    except (AttributeError, KeyError, TypeError):
        return Snippet(doc.path, value, ((1, 0),))
    source = doc.line_text(line0 + 1)
    indicator = source[col0:col0 + 1]
    if indicator in ("|", ">"):
        return _block_snippet(doc, line0 + 2, indicator == ">")
    quoted = indicator in ("'", '"')
    return Snippet(doc.path, value, ((line0 + 1, col0 + (1 if quoted else 0)),))


def _block_snippet(doc: YamlDocument, first_line: int, folded: bool) -> Snippet:
    """Raw lines of a block scalar starting at ``first_line`` (1-based), dedented."""
    lines = doc.lines
    indent = None
    body: list[str] = []
    origins: list[tuple[int, int]] = []
    for number in range(first_line, len(lines) + 1):
        text = lines[number - 1]
        if text.strip() == "":
            body.append("")
            origins.append((number, 0))
            continue
        current = len(text) - len(text.lstrip(" "))
        if indent is None:
            indent = current
        if current < indent:
            break
        body.append(text[indent:])
        origins.append((number, indent))
    while body and body[-1] == "":
        body.pop()
        origins.pop()
    return Snippet(doc.path, "\n".join(body), tuple(origins) or ((first_line, 0),), fold_newlines=folded)
