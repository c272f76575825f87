"""Property-based tests: random and mutated documents of every kind never break a run.

Each example goes through discovery, parsing, every rule (including those off by default) and
every reporter; the only engine findings allowed are PF001 (could not read or parse a file) and
PF003. Examples are derandomized, so CI sees the same inputs every run; see conftest.py for
``PREFLIGHT_FUZZ_EXAMPLES`` and ``PREFLIGHT_FUZZ_SEED``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzing import KIND_PATHS, documents, fixture_trees, mutated, seeds, survives, tree_files
from preflight.discover import classify
from preflight.model import FileKind

KINDS = sorted(KIND_PATHS, key=lambda k: k.value)
TREES = fixture_trees()


def test_every_kind_has_seeds_and_a_path_of_its_kind() -> None:
    for kind in KINDS:
        assert seeds()[kind], kind
        path = KIND_PATHS[kind]
        expected = FileKind.YAML if kind is FileKind.KUBERNETES else kind  # told apart by content
        assert classify(path) is expected, path


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.value)
@given(data=st.data())
def test_any_document_of_a_kind(kind: FileKind, data: st.DataObject) -> None:
    survives({KIND_PATHS[kind]: data.draw(documents(kind), label="document")})


@st.composite
def mutated_tree(draw: st.DrawFn) -> dict[str, bytes]:
    """A fixture tree with one to three of its files mutated (cross-file rules see the rest)."""
    files = tree_files(draw(st.sampled_from(TREES)))
    names = sorted(n for n in files if classify(n, files[n][:256]) is not None)
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)) if names else []:
        kind = classify(name, files[name][:256])
        if kind is FileKind.YAML:
            kind = FileKind.KUBERNETES if b"apiVersion" in files[name] else FileKind.YAML
        files[name] = draw(mutated(files[name], kind))
    return files


@settings(max_examples=settings().max_examples * 4)
@given(files=mutated_tree())
def test_mutated_fixture_tree(files: dict[str, bytes]) -> None:
    survives(files)


_NAME_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="/\x00")


@given(stem=st.text(_NAME_CHARS, min_size=1, max_size=40).filter(lambda s: s not in (".", "..")),
       kind=st.sampled_from([FileKind.DOTENV, FileKind.DOCKERFILE, FileKind.SHELL, FileKind.COMPOSE]))
def test_any_file_name(stem: str, kind: FileKind) -> None:
    """Names with newlines, '::', '%', escapes or any Unicode: one finding per text line, valid JSON."""
    suffix = {FileKind.DOTENV: ".env", FileKind.DOCKERFILE: ".dockerfile", FileKind.SHELL: ".sh",
              FileKind.COMPOSE: ".docker-compose.yml"}[kind]
    name = stem + suffix
    if len(name.encode("utf-8")) > 255:
        name = stem[:20] + suffix
    plain = KIND_PATHS[kind].rpartition("/")[2]
    survives({name: seeds()[kind][0], f"{stem}/{plain}": seeds()[kind][-1]})
