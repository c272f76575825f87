"""nginx configuration: a tree of directives (``name args... ;`` or ``name args... { ... }``), each
with its line and column.

A small tokenizer for nginx's own syntax: words, single- and double-quoted strings with backslash
escapes, ``#`` comments, ``;``, ``{`` and ``}``; ``${VAR}`` envsubst placeholders (the official
image's ``*.conf.template`` files) and nginx ``$variables`` stay part of their word.  ``*_by_lua_block``
bodies are skipped as opaque.  Unbalanced braces, an unterminated string or a directive without
``;`` raise :class:`ParseError` with the position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from preflight.documents.base import Document, ParseError
from preflight.model import FileKind, Severity, Span


@dataclass(frozen=True)
class Word:
    text: str  # quotes removed, escapes resolved
    line: int
    column: int
    end_column: int  # exclusive, on ``line`` (quoted words spanning lines end on their first line)
    quoted: bool = False


@dataclass(eq=False)
class Directive:
    name: str
    args: tuple[Word, ...]
    line: int
    column: int
    name_word: Word
    children: list[Directive] | None = None  # None for a simple directive; a list for a block
    parent: Directive | None = field(default=None, repr=False)

    @property
    def arg_texts(self) -> list[str]:
        return [a.text for a in self.args]

    def walk(self) -> Iterator[Directive]:
        """This directive and every directive inside it, in source order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node.children:
                stack.extend(reversed(node.children))

    def find(self, name: str) -> list[Directive]:
        """Direct children called ``name``."""
        return [c for c in self.children or () if c.name == name]


@dataclass(eq=False)
class NginxDocument(Document):
    directives: list[Directive] = field(default_factory=list)

    def walk(self) -> Iterator[Directive]:
        for directive in self.directives:
            yield from directive.walk()

    def word_span(self, word: Word) -> Span:
        return Span(self.path, word.line, word.column, word.line, word.end_column)

    def directive_span(self, directive: Directive) -> Span:
        last = directive.args[-1] if directive.args else directive.name_word
        end = last.end_column if last.line == directive.line else len(self.line_text(directive.line).rstrip()) + 1
        return Span(self.path, directive.line, directive.column, directive.line, end)


_SPECIAL = frozenset(";{}")
_SPACE = frozenset(" \t\r\n")


def tokenize(text: str) -> Iterator[tuple[str, Word]]:
    """("word", w) and ("punct", w) tokens; comments are dropped."""
    i, n, line, col0 = 0, len(text), 1, 0  # col0: offset of the current line's start

    while i < n:
        ch = text[i]
        if ch == "\n":
            line, col0, i = line + 1, i + 1, i + 1
            continue
        if ch in _SPACE:
            i += 1
            continue
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        start_line, start_col = line, i - col0 + 1
        if ch in _SPECIAL:
            yield "punct", Word(ch, line, start_col, start_col + 1)
            i += 1
            continue
        parts: list[str] = []
        quoted = False
        end_col = None
        while i < n and text[i] not in _SPACE and text[i] not in _SPECIAL:
            c = text[i]
            if c in ("'", '"') and (not parts or quoted):
                quoted = True
                j = i + 1
                while True:
                    if j >= n:
                        raise ParseError("unterminated quoted string", start_line, start_col)
                    if text[j] == "\\" and j + 1 < n:
                        parts.append(text[j + 1] if text[j + 1] in (c, "\\") else text[j:j + 2])
                        j += 2
                        continue
                    if text[j] == c:
                        break
                    if text[j] == "\n":
                        if end_col is None:
                            end_col = j - col0 + 1
                        line, col0 = line + 1, j + 1
                    parts.append(text[j])
                    j += 1
                i = j + 1
                continue
            if c == "$" and i + 1 < n and text[i + 1] == "{":  # ${VAR}: envsubst or nginx variable
                close = text.find("}", i)
                if close < 0:
                    raise ParseError("unterminated ${...}", line, i - col0 + 1)
                parts.append(text[i:close + 1])
                i = close + 1
                continue
            if c == "\\" and i + 1 < n:  # nginx unescapes quotes and backslashes, keeps `\.` as is
                nxt = text[i + 1]
                parts.append(nxt if nxt in "\"'\\" else text[i:i + 2])
                i += 2
                continue
            parts.append(c)
            i += 1
        if end_col is None or line == start_line:
            end_col = i - col0 + 1
        yield "word", Word("".join(parts), start_line, start_col, end_col, quoted)


def _skip_lua_block(text_tokens: Iterator[tuple[str, Word]], opener: Word) -> None:
    depth = 1
    for kind, word in text_tokens:
        if kind == "punct" and word.text == "{":
            depth += 1
        elif kind == "punct" and word.text == "}":
            depth -= 1
            if depth == 0:
                return
    raise ParseError("unbalanced '{' in *_by_lua_block", opener.line, opener.column)


def parse_directives(text: str) -> list[Directive]:
    top: list[Directive] = []
    stack: list[tuple[Directive | None, list[Directive]]] = [(None, top)]
    pending: list[Word] = []
    tokens = tokenize(text)
    for kind, word in tokens:
        if kind == "word":
            pending.append(word)
            continue
        parent, siblings = stack[-1]
        if word.text == "}":
            if pending:
                raise ParseError(f'directive "{pending[0].text}" is not terminated by ";"', pending[0].line,
                                 pending[0].column)
            if len(stack) == 1:
                raise ParseError('unexpected "}"', word.line, word.column)
            stack.pop()
            continue
        if not pending:
            if word.text == ";":
                continue  # a stray `;` is accepted by nginx
            raise ParseError('unexpected "{"', word.line, word.column)
        name = pending[0]
        directive = Directive(name.text, tuple(pending[1:]), name.line, name.column, name, parent=parent)
        siblings.append(directive)
        pending = []
        if word.text == "{":
            directive.children = []
            if name.text.endswith("_by_lua_block"):
                _skip_lua_block(tokens, word)
                continue
            stack.append((directive, directive.children))
    if pending:
        raise ParseError(f'unexpected end of file, expecting ";" or "}}" after "{pending[0].text}"',
                         pending[0].line, pending[0].column)
    if len(stack) > 1:
        opener = stack[-1][0]
        assert opener is not None
        raise ParseError('unexpected end of file, expecting "}"', opener.line, opener.column)
    return top


# An Apache httpd section tag alone on its line (`<VirtualHost *:80>`, `</IfModule>`): Debian's
# sites-available/ layout, which names a file nginx, is Apache's too.
_APACHE_SECTION = re.compile(r"^[ \t]*</?[A-Za-z][\w-]*(?:[ \t][^>\n]*)?>[ \t]*$", re.MULTILINE)


def parse(path: str, kind: FileKind, text: str) -> NginxDocument:
    try:
        return NginxDocument(path, kind, text, parse_directives(text))
    except ParseError as exc:
        apache = _APACHE_SECTION.search(text)
        if apache is None:
            raise
        line = text.count("\n", 0, apache.start()) + 1
        raise ParseError(f"looks like an Apache httpd configuration, not nginx; not checked ({exc.message})",
                         line, severity=Severity.INFO) from None
