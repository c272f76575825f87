"""Python source, parsed with ``ast`` (never imported, never executed)."""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass

from preflight.documents.base import Document, ParseError
from preflight.model import FileKind, Severity, Span


_TEST_DIRS = frozenset({"tests", "test", "testing"})

# The node types rules ask :meth:`PythonDocument.nodes_of` for (the index holds only these).
_INDEXED = frozenset({ast.Assign, ast.Call, ast.ClassDef, ast.While, ast.keyword})


def is_test_path(path: str) -> bool:
    """Test code: under a tests/ directory, test_*.py, *_test.py, tests.py, test.py, conftest.py."""
    if "test" not in path.lower():  # every test path has it (most paths do not: answered at once)
        return False
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (any(p.lower() in _TEST_DIRS for p in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name in ("conftest.py", "tests.py", "test.py"))


@dataclass(eq=False)
class PythonDocument(Document):
    """A Python module and its syntax tree (None only for a document made without one)."""

    tree: ast.Module | None = None

    def walk(self) -> list[ast.AST]:
        """Every node of the tree, in ``ast.walk`` order, listed once and shared by all rules."""
        nodes = self.__dict__.get("_nodes")
        if nodes is None:
            nodes = _walk(self.tree) if self.tree is not None else []
            self.__dict__["_nodes"] = nodes
        return nodes

    def nodes_of(self, kind: type[ast.AST]) -> list[ast.AST]:
        """The nodes of :meth:`walk` whose type is exactly ``kind`` (a concrete node class such as
        ``ast.Call``), in walk order; the list is shared, not to be changed. One pass over the tree
        sorts out the node types rules ask for (``_INDEXED``), once per document: rules that look
        for classes, calls or keywords need not test every node. Other types are listed on first
        request. Only those types are kept: an index of every node would hold as many entries as
        the tree, for every module a cross-file fact keeps parsed."""
        index = self.__dict__.get("_by_type")
        if index is None:
            index = {}
            for node in self.walk():
                if type(node) in _INDEXED:
                    found = index.get(type(node))
                    if found is None:
                        index[type(node)] = [node]
                    else:
                        found.append(node)
            self.__dict__["_by_type"] = index
        found = index.get(kind)
        if found is None:
            if kind in _INDEXED:
                return []
            found = index[kind] = [node for node in self.walk() if type(node) is kind]
        return found

    def node_span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1)
        col = self._column(line, getattr(node, "col_offset", 0)) + 1
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_col is not None and end_line is not None:
            end_col = self._column(end_line, end_col) + 1
        return Span(self.path, line, col, end_line, end_col)

    def _column(self, line: int, byte_offset: int) -> int:
        """ast counts columns in UTF-8 bytes; findings count characters."""
        ascii_text = self.__dict__.get("_ascii")
        if ascii_text is None:  # most modules: no line to split out (``lines`` is not built for them)
            ascii_text = self.__dict__["_ascii"] = self.text.isascii()
        if ascii_text:
            return byte_offset
        text = self.line_text(line) if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_offset
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


# Rules may walk a tree recursively (scopes, string concatenations, visitors): the parser hands
# them no tree deeper than this, so none can exhaust the interpreter's stack (real code stays
# under 30 levels; rules were measured to cope with 440 at the default recursion limit).
MAX_DEPTH = 300


def _walk(tree: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(tree))``, same nodes in the same order, without a generator per node."""
    return _walk_levels(tree)[0]


def walk_list(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))`` for a part of a tree (a statement, an expression), built faster."""
    return _walk_levels(node)[0]


# Fields that hold a name, a number or a constant, never a node: the walk need not look at them
# (a third of all fields; the walk over every module is then a fifth cheaper). Per class, since
# the same field name holds a node elsewhere (``TypeAlias.name``, ``Expr.value``).
_LEAF_FIELDS: dict[type, frozenset[str]] = {
    ast.Name: frozenset({"id"}), ast.Attribute: frozenset({"attr"}),
    ast.Constant: frozenset({"value", "kind"}), ast.arg: frozenset({"arg", "type_comment"}),
    ast.keyword: frozenset({"arg"}), ast.alias: frozenset({"name", "asname"}),
    ast.ImportFrom: frozenset({"module", "level"}), ast.FunctionDef: frozenset({"name", "type_comment"}),
    ast.AsyncFunctionDef: frozenset({"name", "type_comment"}), ast.ClassDef: frozenset({"name"}),
    ast.Global: frozenset({"names"}), ast.Nonlocal: frozenset({"names"}),
    ast.comprehension: frozenset({"is_async"}), ast.FormattedValue: frozenset({"conversion"}),
    ast.ExceptHandler: frozenset({"name"}), ast.Assign: frozenset({"type_comment"}),
}
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}  # class -> its fields that may hold nodes (filled as met)


def _node_fields(cls: type) -> tuple[str, ...]:
    leaves = _LEAF_FIELDS.get(cls, frozenset())
    fields = _NODE_FIELDS[cls] = tuple(name for name in cls._fields if name not in leaves)  # type: ignore[attr-defined]
    return fields


def _walk_levels(tree: ast.AST) -> tuple[list[ast.AST], int]:
    """The nodes of ``_walk`` and how many levels deep the tree is (a breadth-first walk visits
    the levels in turn, so counting them costs one comparison per node)."""
    node_type = ast.AST
    node_fields = _NODE_FIELDS
    nodes = [tree]
    append = nodes.append
    i = 0
    depth, level_end = 1, 1
    while i < len(nodes):
        if i == level_end:  # every node of the previous level has been visited
            depth += 1
            level_end = len(nodes)
        node = nodes[i]
        i += 1
        fields = node_fields.get(node.__class__)
        for name in fields if fields is not None else _node_fields(node.__class__):
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
    return nodes, depth


def _deepest_line(nodes: list[ast.AST]) -> int:
    """The line of a node on the deepest level (the last nodes of a breadth-first walk)."""
    for node in reversed(nodes):
        line = getattr(node, "lineno", None)
        if line is not None:
            return line
    return 1


def parse(path: str, kind: FileKind, text: str) -> PythonDocument:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. are not our findings
            tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        # The file may use syntax newer than the Python preflight runs on (PEP 758's unparenthesised
        # `except A, B:` is 3.14): say which Python tried, and do not fail the run over it.
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        raise ParseError(f"Python {running} cannot parse it: {exc.msg} (newer syntax, or a syntax error)",
                         exc.lineno or 1, exc.offset or 1, severity=Severity.INFO) from None
    except MemoryError:  # CPython's parser says this, with no message, when its stack overflows
        raise ParseError("nesting too deep to parse (Python's parser ran out of stack)") from None
    except ValueError as exc:
        raise ParseError(f"invalid Python: {exc}") from None
    nodes, depth = _walk_levels(tree)
    if depth > MAX_DEPTH:
        raise ParseError(f"nesting too deep to check: {depth} levels of syntax tree, preflight reads "
                         f"up to {MAX_DEPTH}", _deepest_line(nodes))
    doc = PythonDocument(path, kind, text, tree)
    doc.__dict__["_nodes"] = nodes  # the walk rules ask for, done once here
    return doc
