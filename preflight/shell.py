"""A forgiving POSIX-shell lexer that finds simple commands and their exact source positions.

Rules use it to spot commands (``docker-compose up``, ``pip install poetry``) inside shell scripts,
Makefile recipes, workflow ``run:`` blocks, Dockerfile ``RUN`` and Markdown code. It never raises on
any input: unterminated constructs run to the end of the snippet (``${{`` to the end of its line).

Design: a lexer turns a range of a source into tokens (words keep, for every character of their
text, the source range it came from); a small parser groups tokens into simple commands, skips
compound syntax, strips wrappers and assignments, and re-parses nested scripts (``$(...)``,
backticks, ``sh -c STR``, ``ssh host STR``, heredocs fed to a shell) up to ``MAX_DEPTH`` levels.
Every scan moves forward, so the work is linear in the input for each nesting level.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate
from typing import NamedTuple, TypeVar

from preflight.model import Span

__all__ = ["Snippet", "Word", "ShellCommand", "parse_script", "MAX_DEPTH", "SHELLS"]

MAX_DEPTH = 8  # nesting levels of re-parsed scripts ($(...), sh -c, heredocs) we follow
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh"})

_T = TypeVar("_T")

# Raise internal errors instead of returning a partial result (tests switch it on).
_STRICT = False


# --------------------------------------------------------------------------- public model


@dataclass(frozen=True)
class Snippet:
    """Shell text cut out of a file, with where each of its lines sits in that file."""

    path: str
    text: str
    origins: tuple[tuple[int, int], ...]
    dialect: str = "sh"  # "sh" or "make" (a Makefile recipe)
    fold_newlines: bool = False  # YAML folded scalar: a lone newline between text lines is a space


@dataclass(frozen=True)
class Word:
    """One shell word: its text after quote removal, its source and where it stands."""

    text: str
    raw: str
    span: Span
    quoted: bool = False
    variables: tuple[str, ...] = ()
    has_substitution: bool = False
    make_refs: tuple[str, ...] = ()  # inner text of Make references $(X) / ${X}; dialect "make"
    defaults: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # ${NAME:-x} -> (NAME, x)

    def default_of(self, name: str) -> str | None:
        """The default given by ``${NAME:-x}``, ``${NAME-x}``, ``${NAME:=x}`` or ``${NAME=x}``."""
        for var, default in self.defaults:
            if var == name:
                return default
        return None


# The shell layer makes a Word and a Span for every word and a ShellCommand for every command.
# The generated ``__init__`` of a frozen dataclass sets each field through ``object.__setattr__``,
# which makes these three the largest cost of parsing a script; the helpers below build the same
# objects by filling the instance ``__dict__`` (fields left out read their dataclass default from
# the class). Equality, hashing, ordering and repr are the dataclass's, unchanged.


def _build(cls: type[_T], **fields: object) -> _T:
    """``cls(**fields)`` for a frozen dataclass, without its generated ``__init__``."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _plain_word(text: str, span: Span) -> Word:
    """``Word(text, text, span)``: nine words in ten are plain literals."""
    word = object.__new__(Word)
    fields = word.__dict__
    fields["text"] = fields["raw"] = text
    fields["span"] = span
    return word


def _new_span(path: str, line: int, column: int, end_line: int, end_column: int) -> Span:
    """``Span(path, line, column, end_line, end_column)``."""
    span = object.__new__(Span)
    fields = span.__dict__
    fields["path"] = path
    fields["line"] = line
    fields["column"] = column
    fields["end_line"] = end_line
    fields["end_column"] = end_column
    return span


if hasattr(Span, "__slots__"):  # no instance __dict__ to fill: use the constructor
    _new_span = Span  # type: ignore[assignment]  # noqa: F811


@dataclass(frozen=True, eq=False)
class ShellCommand:
    """One simple command, with what was stripped off its front and how it connects to others."""

    argv: tuple[Word, ...]
    words: tuple[Word, ...]
    assignments: tuple[tuple[str, Word], ...]
    wrappers: tuple[str, ...]
    span: Span
    pipe_from: ShellCommand | None = field(default=None, repr=False)
    comment_above: str | None = None
    nested_in: ShellCommand | None = field(default=None, repr=False)
    # File redirections as (operator as written, target word): ("2>", errors.log), (">>", out.txt).
    redirects: tuple[tuple[str, Word], ...] = ()
    # What the command reads on standard input from the script itself: the bodies of its heredocs and
    # its here-strings, each a Snippet whose lines keep their file positions (see snippet_span).
    stdin: tuple[Snippet, ...] = ()

    @property
    def program(self) -> str | None:
        return self.argv[0].text if self.argv else None

    def arg_texts(self) -> list[str]:
        return [w.text for w in self.argv[1:]]


def snippet_span(snippet: Snippet, start: int, end: int) -> Span:
    """The file span of characters ``start:end`` of ``snippet`` (a heredoc body, a run: block)."""
    return _Context(snippet).span(start, end)


def parse_script(snippet: Snippet) -> list[ShellCommand]:
    """Every simple command in the snippet, in source order, outer before nested."""
    ctx = _Context(snippet)
    make = snippet.dialect == "make"
    src = _Source(str(snippet.text), "make" if make else "sh", fold=bool(snippet.fold_newlines))
    try:
        _parse(ctx, src, 0, len(src.text), 0, None, None, make_prefix=make)
    except Exception:  # last resort: a linter must not crash on odd input; keep what we found
        if _STRICT:
            raise
    return ctx.out


# --------------------------------------------------------------------------- sources, positions


@dataclass
class _Source:
    """Text being lexed. Either the snippet itself (identity offsets) or a string built from a
    word's text (``sh -c STR``), whose characters map to snippet ranges through starts/ends."""

    text: str
    dialect: str  # "sh" or "make"
    starts: list[int] | None = None
    ends: list[int] | None = None
    # Make references left in a word's text: local start -> (local end, inner text). Kept opaque.
    opaque: dict[int, tuple[int, str]] = field(default_factory=dict)
    fold: bool = False

    def abs_start(self, i: int) -> int:
        if self.starts is None:
            return i
        if i < len(self.starts):
            return self.starts[i]
        return self.ends[-1] if self.ends else 0

    def abs_end(self, i: int) -> int:
        """Snippet offset just past local character ``i - 1``."""
        if self.ends is None:
            return i
        return self.ends[i - 1] if 0 < i <= len(self.ends) else self.abs_start(i)


class _Context:
    """Per-call state: snippet-offset to file-position mapping, the output, parsed substitutions."""

    def __init__(self, snippet: Snippet) -> None:
        self.path = str(snippet.path)
        text = str(snippet.text)
        # offsets of line starts: 0, then just past each newline
        self.line_starts = list(accumulate((len(line) + 1 for line in text.split("\n")[:-1]), initial=0))
        self.origins: list[tuple[int, int]] = []
        for item in snippet.origins or ():
            try:
                self.origins.append((int(item[0]), int(item[1])))
            except (TypeError, ValueError, IndexError):
                break
        if not self.origins:
            self.origins.append((1, 0))
        self.out: list[ShellCommand] = []
        # Snippet offsets of $(...) bodies already parsed: `sh -c "a $(b)"` must not list b twice.
        self.seen: set[int] = set()

    def position(self, off: int) -> tuple[int, int, int]:
        """(file line, file column, snippet line index) of snippet offset ``off``."""
        i = bisect_right(self.line_starts, off) - 1
        col = off - self.line_starts[i] + 1
        if i < len(self.origins):
            line, offset = self.origins[i]
        else:
            last_line, offset = self.origins[-1]
            line = last_line + i - (len(self.origins) - 1)
        return line, offset + col, i

    def span(self, start: int, end: int) -> Span:
        # self.position(start), inlined: a span is made for every word
        starts = self.line_starts
        i = bisect_right(starts, start) - 1
        col = start - starts[i] + 1
        if i < len(self.origins):
            line, offset = self.origins[i]
        else:
            line, offset = self.origins[-1]
            line += i - (len(self.origins) - 1)
        col += offset
        if end <= start:
            return _new_span(self.path, line, col, line, col)
        if i + 1 >= len(self.line_starts) or end <= self.line_starts[i + 1]:
            return _new_span(self.path, line, col, line, col + end - start)  # on one line
        end_line, end_col, _ = self.position(end - 1)
        return _new_span(self.path, line, col, end_line, end_col + 1)


# --------------------------------------------------------------------------- tokens


class _WordTok:
    """A word under construction: text characters, each with the local source range it came from."""

    __slots__ = ("lo", "hi", "chars", "starts", "ends", "quoted", "special", "variables",
                 "defaults", "subst_at", "substs", "make_refs", "conts", "text", "eq")

    def __init__(self, lo: int) -> None:
        self.lo = lo
        self.hi = lo
        self.chars: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.quoted = False
        self.special: int | None = None  # text index of the first quoted/expanded character
        self.variables: list[tuple[int, str]] = []  # (text index, name)
        self.defaults: list[tuple[int, str, str]] = []
        self.subst_at: list[int] = []  # text indexes of $(...), `...`, ${{ }}
        self.substs: list[tuple[int, int]] = []  # local ranges of command substitution bodies
        self.make_refs: list[tuple[int, int, str]] = []  # (text start, text end, inner)
        self.conts: list[tuple[int, int]] = []  # local ranges of removed backslash-newlines
        self.text = ""
        self.eq = -1  # text index of '=' when the word is a NAME=value assignment

    def mark(self) -> None:
        if self.special is None:
            self.special = len(self.chars)

    def lit(self, text: str, lo: int) -> None:
        n = len(text)
        self.chars.extend(text)
        self.starts.extend(range(lo, lo + n))
        self.ends.extend(range(lo + 1, lo + n + 1))

    def char(self, ch: str, lo: int, hi: int) -> None:
        self.chars.append(ch)
        self.starts.append(lo)
        self.ends.append(hi)

    @property
    def plain(self) -> bool:
        return self.special is None

    @classmethod
    def literal(cls, lo: int, hi: int, text: str) -> _WordTok:
        """A finished word of plain characters ``text`` = ``s[lo:hi]`` (nine words in ten).

        Built without ``__init__``'s per-character lists: ``chars`` is the text itself and
        ``starts``/``ends`` are ranges (read-only sequences; a finished word is never appended to),
        the other lists shared empty tuples."""
        w = cls.__new__(cls)
        w.lo, w.hi, w.text = lo, hi, text
        w.chars = text  # type: ignore[assignment]
        w.starts = range(lo, hi)  # type: ignore[assignment]
        w.ends = range(lo + 1, hi + 1)  # type: ignore[assignment]
        w.quoted = False
        w.special = None
        w.variables = w.defaults = w.subst_at = w.substs = w.make_refs = w.conts = ()  # type: ignore[assignment]
        eq = text.find("=")
        w.eq = eq if eq > 0 and _ASSIGN_NAME.fullmatch(text, 0, eq) else -1
        return w


@dataclass
class _Heredoc:
    """A here-document the lexer has seen the ``<<DELIM`` of and has yet to read to its end."""

    delim: str
    strip_tabs: bool
    body: tuple[int, int] | None = None  # local range, filled when the lexer reaches the body


class _Tok:
    __slots__ = ("kind", "lo", "hi", "text", "word", "heredoc", "full_line")

    def __init__(self, kind: str, lo: int, hi: int, text: str = "", word: _WordTok | None = None,
                 full_line: bool = False) -> None:
        self.kind = kind  # "word" | "op" | "redir" | "nl" | "comment" | "arith"
        self.lo = lo
        self.hi = hi
        self.text = text
        self.word = word
        self.heredoc: _Heredoc | None = None
        self.full_line = full_line


_BLANKS = " \t\r\f\v"
_META = frozenset(" \t\r\f\v\n;&|<>()")
_OP_START = frozenset(";&|<>()")
_PLAIN_RUN = re.compile(r"[^ \t\r\f\v\n;&|<>()\\'\"$`]+")
_DQ_RUN = re.compile(r'[^"\\$`]+')
_SQ_RUN = re.compile(r"[^'$]+")
_NAME_RUN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAM = re.compile(r"[#!]?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])")
_DEFAULT_OP = re.compile(r":?[-=]")
_VAR_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_ASSIGN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?")
_FD_REDIR = re.compile(r"[0-9]+(?=[<>])")
_CONT = re.compile(r"\\\r?\n")
_ANSI_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b",
                "f": "\f", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}
_ANSI_HEX = {"x": 2, "u": 4, "U": 8}


def _scan_balanced(s: str, i: int, hi: int, stack: list[str]) -> int:
    """Index of the closer that empties ``stack`` (``)`` or ``}``), quote-aware; ``hi`` if none.

    Iterative with an explicit stack, so 10,000 nested parentheses cost nothing special."""
    while i < hi:
        c = s[i]
        top = stack[-1]
        if c == "\\":
            i += 2
            continue
        if top == '"':
            if c == '"':
                stack.pop()
            elif c == "$" and i + 1 < hi and s[i + 1] in "({":
                stack.append(")" if s[i + 1] == "(" else "}")
                i += 1
            elif c == "`":
                i = _backtick_close(s, i, hi) + 1
                continue
            i += 1
            continue
        if c == "'":
            j = s.find("'", i + 1, hi)
            i = hi if j < 0 else j + 1
            continue
        if c == '"':
            stack.append('"')
        elif c == "`":
            i = _backtick_close(s, i, hi) + 1
            continue
        elif c == "$" and i + 1 < hi and s[i + 1] in "({":
            stack.append(")" if s[i + 1] == "(" else "}")
            i += 1
        elif c == "(" and top == ")":
            stack.append(")")
        elif top in (")", "esac") and (i == 0 or s[i - 1] in " \t\n;|&("):
            # At a word start in a command list: comments, and case...esac whose pattern
            # parentheses `x)` must not close the substitution.
            if c == "#":
                j = s.find("\n", i, hi)
                i = hi if j < 0 else j
                continue
            if c in "ce" and s[i + 4:i + 5] in ("", " ", "\t", "\n", ";", ")"):
                if s.startswith("case", i, hi):
                    stack.append("esac")
                elif top == "esac" and s.startswith("esac", i, hi):
                    stack.pop()
                i += 4 if s.startswith(("case", "esac"), i, hi) else 1
                continue
            if c == ")" and top == ")":
                stack.pop()
                if not stack:
                    return i
        elif c == top:
            stack.pop()
            if not stack:
                return i
        i += 1
    return hi


def _backtick_close(s: str, i: int, hi: int) -> int:
    """Index of the backtick closing the one at ``i`` (``hi`` if unterminated)."""
    j = i + 1
    while j < hi:
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "`":
            return j
        j += 1
    return hi


def _scan_make_ref(s: str, i: int, hi: int, opener: str) -> int:
    """Index of the closer of a Make reference ``$(...)``/``${...}`` (Make counts only its own
    kind of bracket and knows nothing of shell quotes); ``hi`` if unterminated."""
    closer = ")" if opener == "(" else "}"
    depth = 1
    while i < hi:
        c = s[i]
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return hi


def _unquote(text: str) -> str:
    """Rough quote removal for ``${VAR:-default}`` defaults."""
    out: list[str] = []
    quote = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = ""
            else:
                out.append(c)
        elif c == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 1
        elif c in "'\"" and (not quote or c == quote):
            quote = "" if quote else c
        else:
            out.append(c)
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- lexer


class _Lexer:
    """Turns ``src.text[lo:hi]`` into tokens; reads heredoc bodies as it meets them."""

    def __init__(self, src: _Source, hi: int, make_prefix: bool) -> None:
        self.s = src.text
        self.hi = hi
        self.make = src.dialect == "make"
        self.gh = not self.make  # GitHub ${{ }} expressions (in Makefiles ${ is Make's)
        self.opaque = src.opaque
        self.fold = src.fold
        self.make_prefix = make_prefix

    def _at(self, i: int) -> str:
        return self.s[i] if i < self.hi else ""

    def _cont_len(self, i: int) -> int:
        """Length of a backslash-newline continuation starting at ``i`` (0 if none)."""
        s = self.s
        if i + 1 < self.hi and s[i + 1] == "\n":
            return 2
        if i + 2 < self.hi and s[i + 1] == "\r" and s[i + 2] == "\n":
            return 3
        return 0

    def run(self, lo: int) -> list[_Tok]:
        s, hi = self.s, self.hi
        toks: list[_Tok] = []
        pending: list[_Heredoc] = []
        line_clean = True  # nothing but blanks so far on this line: '#' starts a full-line comment
        i = self._skip_make_prefix(lo)
        while i < hi:
            c = s[i]
            if c == "\n":
                i += 1
                if self.fold and self._folded(i - 1):
                    continue
                toks.append(_Tok("nl", i - 1, i))
                if pending:
                    i = self._read_heredocs(i, pending)
                    pending = []
                line_clean = True
                i = self._skip_make_prefix(i)
                continue
            if c in _BLANKS:
                i += 1
                continue
            if c == "\\" and self._cont_len(i):
                i += self._cont_len(i)
                continue
            if c == "#":
                end = self._line_end(i)
                if line_clean and not (i == 0 and s.startswith("#!")):  # a shebang is no comment
                    text = s[i:end].lstrip("#").strip()
                    toks.append(_Tok("comment", i, end, text=text, full_line=True))
                i = end
                continue
            line_clean = False
            if c in "<>" and self._at(i + 1) == "(":  # process substitution <(cmd) is a word
                w = self._word(i)
                toks.append(_Tok("word", w.lo, w.hi, word=w))
                i = w.hi
                continue
            if c == "(" and self._at(i + 1) == "(":  # ((arithmetic)) command: opaque, no commands inside
                close = _scan_balanced(s, i + 2, hi, [")", ")"])
                end = min(close + 1, hi)
                toks.append(_Tok("arith", i, end))
                i = end
                continue
            start = i
            if c in "0123456789":  # 2>file, 2>&1: the fd number belongs to the operator
                m = _FD_REDIR.match(s, i, hi)
                if m and self._at(m.end() + 1) != "(":
                    i = m.end()
            op = self._operator(i) if s[i] in _OP_START else None
            if op is None:
                w = self._word(start)
                toks.append(_Tok("word", w.lo, w.hi, "", w))
                i = w.hi
                continue
            kind, text = op
            i += len(text)
            tok = _Tok(kind, start, i, text=s[start:i])
            if text in ("<<", "<<-"):
                i = self._heredoc_delimiter(i, tok, pending)
            toks.append(tok)
        return toks

    def _operator(self, i: int) -> tuple[str, str] | None:
        c, nxt, nxt2 = self._at(i), self._at(i + 1), self._at(i + 2)
        if c == ";":
            if nxt == ";":
                return ("op", ";;&" if nxt2 == "&" else ";;")
            return ("op", ";&" if nxt == "&" else ";")
        if c == "&":
            if nxt == ">":
                return ("redir", "&>>" if nxt2 == ">" else "&>")
            return ("op", "&&" if nxt == "&" else "&")
        if c == "|":
            return ("op", c + nxt if nxt in ("|", "&") else "|")
        if c == "<":
            if nxt == "<":
                return ("redir", "<<" + nxt2 if nxt2 in ("<", "-") else "<<")
            return ("redir", c + nxt if nxt in (">", "&") else "<")
        if c == ">":
            return ("redir", c + nxt if nxt in (">", "|", "&") else ">")
        if c in ("(", ")"):
            return ("op", c)
        return None

    def _skip_make_prefix(self, i: int) -> int:
        """Skip Make's recipe-line prefixes ``@``, ``-``, ``+`` (and blanks between them)."""
        if self.make_prefix:
            while i < self.hi and self.s[i] in " \t@-+":
                i += 1
        return i

    def _folded(self, i: int) -> bool:
        """Whether the newline at ``i`` is folded into a space (YAML ``>``: a single line break
        between two non-blank lines that do not start with whitespace, i.e. not more-indented)."""
        s = self.s
        prev = s[s.rfind("\n", 0, i) + 1:i]
        if not prev.strip() or prev[0] in " \t":
            return False
        end = s.find("\n", i + 1)
        nxt = s[i + 1:] if end < 0 else s[i + 1:end]
        return bool(nxt.strip()) and nxt[0] not in " \t"

    def _line_end(self, i: int) -> int:
        """Index of the newline ending the (possibly folded) line containing ``i``."""
        while True:
            e = self.s.find("\n", i, self.hi)
            if e < 0:
                return self.hi
            if not (self.fold and self._folded(e)):
                return e
            i = e + 1

    def _heredoc_delimiter(self, i: int, tok: _Tok, pending: list[_Heredoc]) -> int:
        s, hi = self.s, self.hi
        while i < hi and s[i] in " \t":
            i += 1
        if i >= hi or s[i] in _META:
            return i  # no delimiter word: leave it as a plain redirection
        w = self._word(i)
        tok.heredoc = _Heredoc("".join(w.chars), tok.text == "<<-")
        pending.append(tok.heredoc)
        tok.hi = w.hi
        return w.hi

    def _read_heredocs(self, i: int, pending: list[_Heredoc]) -> int:
        """Read the bodies of the heredocs opened on the line that just ended, starting at ``i``."""
        s, hi = self.s, self.hi
        for doc in pending:
            body_lo = i
            doc.body = (body_lo, hi)
            while i < hi:
                end = s.find("\n", i, hi)
                end = hi if end < 0 else end
                line = s[i:end]
                if line.endswith("\r"):
                    line = line[:-1]
                if doc.strip_tabs:
                    line = line.lstrip("\t")
                if line == doc.delim:
                    doc.body = (body_lo, i)
                    i = min(end + 1, hi)
                    break
                i = end + 1
            i = min(i, hi)
        return i

    # ---- words

    def _word(self, i: int) -> _WordTok:
        s, hi, opaque = self.s, self.hi, self.opaque
        if not opaque:  # fast path: a run of plain characters up to a separator
            m = _PLAIN_RUN.match(s, i, hi)
            if m is not None:
                end = m.end()
                if end >= hi or (s[end] in _META and not (s[end] == "(" and s[end - 1] == "=")):
                    return _WordTok.literal(i, end, m.group())
        w = _WordTok(i)
        if s[i] in "<>" and self._at(i + 1) == "(":
            i = self._substitution(w, i, i + 2)
        while i < hi:
            c = s[i]
            if opaque and i in opaque:
                i = self._opaque(w, i)
                continue
            if c == "(" and self._array_start(w):
                close = _scan_balanced(s, i + 1, hi, [")"])
                end = min(close + 1, hi)
                w.mark()
                self._copy(w, i, end)
                i = end
                continue
            if c in _META:
                break
            if c == "\\":
                n = self._cont_len(i)
                if n:
                    w.conts.append((i, i + n))
                    i += n
                elif i + 1 < hi:
                    w.mark()
                    w.quoted = True
                    w.char(s[i + 1], i, i + 2)
                    i += 2
                else:
                    w.lit("\\", i)  # a lone trailing backslash is literal
                    i += 1
            elif c == "'":
                i = self._single(w, i)
            elif c == '"':
                w.mark()
                w.quoted = True
                i = self._double(w, i + 1)
            elif c == "`":
                i = self._backtick(w, i)
            elif c == "$":
                i = self._dollar(w, i, in_dq=False)
            else:
                m = _PLAIN_RUN.match(s, i, hi)
                end = m.end() if m else i + 1
                w.lit(s[i:end], i)
                i = end
        # A continuation right before the terminator is not part of the word's span.
        for c0, c1 in reversed(w.conts):
            if c1 != i:
                break
            i = c0
        w.hi = i
        w.text = "".join(w.chars)
        eq = w.text.find("=")
        name_is_literal = w.special is None or w.special > eq
        if eq > 0 and name_is_literal and _ASSIGN_NAME.fullmatch(w.text, 0, eq):
            w.eq = eq
        return w

    def _array_start(self, w: _WordTok) -> bool:
        """``NAME=(`` or ``NAME+=(``: an array assignment whose parenthesised list is one word."""
        if not w.chars or w.chars[-1] != "=" or w.special is not None:
            return False
        text = "".join(w.chars[:-1])
        return bool(_ASSIGN_NAME.fullmatch(text))

    def _opaque(self, w: _WordTok, i: int) -> int:
        end, inner = self.opaque[i]
        w.mark()
        w.make_refs.append((len(w.chars), len(w.chars) + end - i, inner))
        w.lit(self.s[i:end], i)
        return end

    def _copy(self, w: _WordTok, lo: int, hi: int) -> None:
        """Append ``s[lo:hi]`` literally, minus backslash-newline continuations."""
        s = self.s
        j = lo
        for m in _CONT.finditer(s, lo, hi):
            a = m.start()
            run = 0
            while a - 1 - run >= lo and s[a - 1 - run] == "\\":
                run += 1
            if run % 2 == 0:  # the backslash is not itself escaped
                w.lit(s[j:a], j)
                w.conts.append((a, m.end()))
                j = m.end()
        w.lit(s[j:hi], j)

    def _single(self, w: _WordTok, i: int) -> int:
        s, hi = self.s, self.hi
        w.mark()
        w.quoted = True
        j = i + 1
        while j < hi:
            c = s[j]
            if c == "'":
                return j + 1
            if c == "$":
                j = self._dollar_in_single(w, j)
                continue
            m = _SQ_RUN.match(s, j, hi)
            end = m.end() if m else j + 1
            w.lit(s[j:end], j)
            j = end
        return hi

    def _dollar_in_single(self, w: _WordTok, j: int) -> int:
        """``$`` inside single quotes: literal for the shell, but Make and GitHub Actions
        substitute before the shell sees the quotes."""
        s = self.s
        if j in self.opaque:
            return self._opaque(w, j)
        nxt = self._at(j + 1)
        if self.make:
            if nxt == "$":
                w.char("$", j, j + 2)
                return j + 2
            if nxt in ("(", "{"):
                return self._make_ref(w, j, nxt)
        elif self.gh and s.startswith("{{", j + 1):
            return self._gh_expression(w, j)
        w.lit("$", j)
        return j + 1

    def _double(self, w: _WordTok, i: int) -> int:
        """Body of a double-quoted string starting at ``i``; returns the index past the quote."""
        s, hi = self.s, self.hi
        while i < hi:
            c = s[i]
            if c == '"':
                return i + 1
            if i in self.opaque:
                i = self._opaque(w, i)
            elif c == "\\":
                n = self._cont_len(i)
                if n:
                    w.conts.append((i, i + n))
                    i += n
                elif i + 1 < hi and s[i + 1] in '"\\$`':
                    w.char(s[i + 1], i, i + 2)
                    i += 2
                else:
                    w.lit("\\", i)
                    i += 1
            elif c == "$":
                i = self._dollar(w, i, in_dq=True)
            elif c == "`":
                i = self._backtick(w, i)
            else:
                m = _DQ_RUN.match(s, i, hi)
                end = m.end() if m else i + 1
                w.lit(s[i:end], i)
                i = end
        return hi

    def _backtick(self, w: _WordTok, i: int) -> int:
        close = _backtick_close(self.s, i, self.hi)
        return self._substitution(w, i, i + 1, close=close, end=min(close + 1, self.hi))

    def _substitution(self, w: _WordTok, start: int, body: int,
                      close: int | None = None, end: int | None = None) -> int:
        """Record a command substitution whose body starts at ``body``; copy it literally."""
        if close is None:
            close = _scan_balanced(self.s, body, self.hi, [")"])
            end = min(close + 1, self.hi)
        assert end is not None
        w.mark()
        w.subst_at.append(len(w.chars))
        w.substs.append((body, close))
        self._copy(w, start, end)
        return end

    def _dollar(self, w: _WordTok, i: int, in_dq: bool) -> int:
        if self.make:
            nxt = self._at(i + 1)
            if nxt == "$":  # $$ is the shell's $
                return self._shell_dollar(w, i, i + 2, in_dq)
            if nxt in ("(", "{"):
                return self._make_ref(w, i, nxt)
            if nxt and nxt not in _META and nxt not in "\"'\\`\n":
                w.mark()
                w.lit(self.s[i:i + 2], i)  # $@ $< $^ $* and other one-letter Make variables
                return i + 2
            w.lit("$", i)
            return i + 1
        return self._shell_dollar(w, i, i + 1, in_dq)

    def _make_ref(self, w: _WordTok, i: int, opener: str) -> int:
        close = _scan_make_ref(self.s, i + 2, self.hi, opener)
        end = min(close + 1, self.hi)
        w.mark()
        start = len(w.chars)
        self._copy(w, i, end)
        w.make_refs.append((start, len(w.chars), self.s[i + 2:close]))
        return end

    def _gh_expression(self, w: _WordTok, i: int) -> int:
        """``${{ ... }}`` up to ``}}`` on the same line (GitHub strings use single quotes);
        unterminated, it runs to the end of its line."""
        s, hi = self.s, self.hi
        j = i + 3
        in_string = False
        end = hi
        while j < hi:
            c = s[j]
            if c == "\n":
                end = j
                break
            if c == "'":
                in_string = not in_string
            elif c == "}" and not in_string and s.startswith("}}", j):
                end = j + 2
                break
            j += 1
        w.mark()
        w.subst_at.append(len(w.chars))
        self._copy(w, i, end)
        return end

    def _shell_dollar(self, w: _WordTok, a: int, b: int, in_dq: bool) -> int:
        """A shell ``$`` written as ``s[a:b]`` (``$``, or ``$$`` in Make); the rest starts at b."""
        s, hi = self.s, self.hi
        nxt = self._at(b)
        if nxt == "{" and self.gh and s.startswith("{{", b):
            return self._gh_expression(w, a)
        if nxt in ("'", '"') and not in_dq:  # $'ANSI-C' and $"locale" strings
            w.mark()
            w.quoted = True
            return self._ansi(w, b + 1) if nxt == "'" else self._double(w, b + 1)
        index = len(w.chars)
        w.mark()
        if nxt == "{":
            close = _scan_balanced(s, b + 1, hi, ["}"])
            end = min(close + 1, hi)
            self._parameter(w, index, s[b + 1:close])
        elif nxt == "(":
            if s.startswith("((", b):  # $((arithmetic)): variables only, no commands
                close = _scan_balanced(s, b + 2, hi, [")", ")"])
                end = min(close + 1, hi)
                for ref in _VAR_REF.finditer(s, b, close):
                    w.variables.append((index, ref.group(1)))
            else:
                w.char("$", a, b)
                return self._substitution(w, b, b + 1)
        elif nxt and (nxt.isascii() and (nxt.isalpha() or nxt == "_")):
            m = _NAME_RUN.match(s, b, hi)
            assert m is not None
            end = m.end()
            w.variables.append((index, m.group()))
        elif nxt and nxt in "0123456789@*#?$!-":
            end = b + 1
        else:
            end = b  # a lone '$' is literal
        w.char("$", a, b)
        self._copy(w, b, end)
        return end

    def _parameter(self, w: _WordTok, index: int, inner: str) -> None:
        m = _PARAM.match(inner)
        if not m:
            return
        name = m.group(1)
        if _NAME_RUN.fullmatch(name):
            w.variables.append((index, name))
        rest = inner[m.end():]
        op = _DEFAULT_OP.match(rest)
        if op and _NAME_RUN.fullmatch(name):
            w.defaults.append((index, name, _unquote(rest[op.end():])))
        for ref in _VAR_REF.finditer(rest):
            w.variables.append((index, ref.group(1)))

    def _ansi(self, w: _WordTok, i: int) -> int:
        """Body of ``$'...'`` from ``i``: escapes decoded, each mapped to its whole escape."""
        s, hi = self.s, self.hi
        while i < hi:
            c = s[i]
            if c == "'":
                return i + 1
            if c != "\\" or i + 1 >= hi:
                w.lit(c, i)
                i += 1
                continue
            e = s[i + 1]
            if e in _ANSI_SIMPLE:
                w.char(_ANSI_SIMPLE[e], i, i + 2)
                i += 2
            elif e in _ANSI_HEX or e in "01234567":
                digits, base, j = (_ANSI_HEX[e], 16, i + 2) if e in _ANSI_HEX else (3, 8, i + 1)
                k = j
                valid = "0123456789abcdefABCDEF" if base == 16 else "01234567"
                while k < hi and k - j < digits and s[k] in valid:
                    k += 1
                code = int(s[j:k], base) if k > j else -1
                if 0 <= code <= 0x10FFFF:
                    w.char(chr(code), i, k)
                    i = k
                else:
                    w.lit(s[i:i + 2], i)
                    i += 2
            elif e == "c" and i + 2 < hi:
                w.char(chr(ord(s[i + 2]) & 0x1F), i, i + 3)
                i += 3
            else:
                w.lit(s[i:i + 2], i)
                i += 2
        return hi


# --------------------------------------------------------------------------- wrappers and nesting


class _Wrapper(NamedTuple):
    arg_opts: str = ""  # short options that take an argument
    long_arg_opts: frozenset[str] = frozenset()  # long options taking the next word (no '=')
    operands: int = 0  # positional words before the command (timeout's DURATION)
    assignments: bool = False  # NAME=VALUE words set the command's environment


_WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _Wrapper("ugpCDrtTUR", frozenset({
        "--user", "--group", "--prompt", "--close-from", "--chdir", "--role", "--type",
        "--command-timeout", "--other-user", "--host", "--chroot"}), assignments=True),
    "doas": _Wrapper("uC"),
    "exec": _Wrapper("a"),
    "env": _Wrapper("uCP", frozenset({"--unset", "--chdir"}), assignments=True),
    "nohup": _Wrapper(),
    "time": _Wrapper("fo", frozenset({"--format", "--output"})),
    "nice": _Wrapper("n", frozenset({"--adjustment"})),
    "ionice": _Wrapper("cnpPu", frozenset({"--class", "--classdata", "--pid", "--pgid", "--uid"})),
    "timeout": _Wrapper("sk", frozenset({"--signal", "--kill-after"}), operands=1),
    "stdbuf": _Wrapper("ioe", frozenset({"--input", "--output", "--error"})),
    "command": _Wrapper(),
    "builtin": _Wrapper(),
}
_CONTAINER_TOOLS = frozenset({"docker", "podman", "nerdctl", "docker-compose", "kubectl", "oc"})
# Programs whose arguments or standard input may hold a script (see _script_arguments).
_SCRIPT_RUNNERS = SHELLS | _CONTAINER_TOOLS | {"su", "runuser", "ssh"}
_SSH_ARG_OPTS = frozenset("bcDEeFIiJLlmOopQRSWw")
_RESERVED_SKIP = frozenset({"if", "then", "elif", "else", "fi", "do", "done", "while", "until",
                            "!", "{", "}", "coproc"})
_CASE_ENDERS = frozenset({";;", ";&", ";;&"})
_TEST_ENDERS = _CASE_ENDERS | {";", "&", "|", "|&"}  # operators that still end `[[ ... ]]`


def _basename(text: str) -> str:
    return text.rsplit("/", 1)[-1]


def _option_end(texts: list[str], j: int, arg_opts: str | frozenset[str]) -> int:
    """Index past the option word at ``j`` (a cluster like ``-xo``) and its argument, if any."""
    word = texts[j]
    for pos in range(1, len(word)):
        if word[pos] in arg_opts:
            return j + 2 if pos == len(word) - 1 else j + 1
    return j + 1


def _skip_wrapper(toks: list[_WordTok], k: int, spec: _Wrapper) -> tuple[int, list[int]]:
    """Index of the wrapped command after wrapper ``toks[k]``, and indexes of NAME=VALUE words."""
    texts = [t.text for t in toks]
    n = len(toks)
    j = k + 1
    assigns: list[int] = []
    while j < n:
        text = texts[j]
        if spec.assignments and toks[j].eq >= 0:
            assigns.append(j)
            j += 1
        elif text == "--":
            j += 1
            break
        elif text.startswith("--"):
            j += 2 if text in spec.long_arg_opts else 1
        elif len(text) > 1 and text[0] == "-":
            j = _option_end(texts, j, spec.arg_opts)
        else:
            break
    while spec.assignments and j < n and toks[j].eq >= 0:
        assigns.append(j)
        j += 1
    return j + spec.operands, assigns


def _shell_mode(texts: list[str], k: int) -> tuple[str, int]:
    """How the shell ``texts[k]`` gets its script: ("c", index of the string), ("stdin", -1) or
    ("file", -1)."""
    n = len(texts)
    j = k + 1
    has_c = has_s = False
    while j < n:
        t = texts[j]
        if t in ("--", "-"):
            j += 1
            break
        if t in ("--rcfile", "--init-file"):
            j += 2
        elif t.startswith("--"):
            j += 1
        elif len(t) > 1 and t[0] in "-+":
            if t[0] == "-":
                has_c = has_c or "c" in t
                has_s = has_s or "s" in t
            j = _option_end(texts, j, "oO")
        else:
            break
    if has_c:
        return ("c", j) if j < n else ("file", -1)
    if has_s or j >= n:
        return ("stdin", -1)
    return ("file", -1)


def _ssh_remote(texts: list[str]) -> int | None:
    """Index of the first remote-command word of ``ssh`` (may be len(texts)); None: no host."""
    n = len(texts)
    j = 1
    while j < n:
        t = texts[j]
        if t == "--":
            j += 1
            break
        if len(t) > 1 and t[0] == "-":
            j = _option_end(texts, j, _SSH_ARG_OPTS)
        else:
            break
    return j + 1 if j < n else None


def _su_command(texts: list[str]) -> int | None:
    j, n = 1, len(texts)
    while j < n:
        t = texts[j]
        if t in ("-c", "--command") or (t[:1] == "-" and t[1:2] != "-" and t.endswith("c")):
            return j + 1 if j + 1 < n else None
        j += 2 if t in ("-s", "--shell", "-g", "--group", "-G", "--supp-group") else 1
    return None


def _script_arguments(texts: list[str]) -> tuple[list[list[int]], bool]:
    """Which argv words hold a script to re-parse (lists of indexes, joined with spaces), and
    whether the command reads a script from stdin (so heredocs fed to it are commands)."""
    if not texts:
        return [], False
    prog = _basename(texts[0])
    shell_at = 0 if prog in SHELLS else None
    if prog in ("su", "runuser"):
        j = _su_command(texts)
        return ([[j]] if j is not None else []), False
    if prog == "ssh":
        r = _ssh_remote(texts)
        if r is None:
            return [], False
        if r >= len(texts):
            return [], True
        stdin = _basename(texts[r]) in SHELLS and _shell_mode(texts, r)[0] == "stdin"
        return [list(range(r, len(texts)))], stdin
    if prog in _CONTAINER_TOOLS:
        shell_at = _embedded_shell(texts)
    if shell_at is None:
        return [], False
    mode, j = _shell_mode(texts, shell_at)
    return ([[j]] if mode == "c" else []), mode == "stdin"


def _embedded_shell(texts: list[str]) -> int | None:
    """``docker exec c sh -c STR``, ``docker run img bash``, ``kubectl exec pod -- sh -c STR``:
    index of the shell after the exec/run subcommand (one with ``-c`` preferred)."""
    start = next((i for i in range(1, len(texts)) if texts[i] in ("exec", "run")), None)
    if start is None:
        return None
    fallback = None
    for i in range(start + 1, len(texts)):
        if _basename(texts[i]) in SHELLS:
            mode = _shell_mode(texts, i)[0]
            if mode == "c":
                return i
            if mode == "stdin" and fallback is None:
                fallback = i
    return fallback


def _string_source(src: _Source, toks: list[_WordTok]) -> _Source:
    """A source made of the words' texts joined by spaces, each character mapped to the snippet."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    opaque: dict[int, tuple[int, str]] = {}
    for t in toks:
        if chars:
            chars.append(" ")
            starts.append(ends[-1])
            ends.append(ends[-1])
        base = len(chars)
        chars.extend(t.chars)
        starts.extend(src.abs_start(x) for x in t.starts)
        ends.extend(src.abs_end(x) for x in t.ends)
        for ts, te, inner in t.make_refs:
            opaque[base + ts] = (base + te, inner)
    # $$ became $ already, so the string is plain shell; Make references stay opaque.
    return _Source("".join(chars), "sh", starts, ends, opaque)


# --------------------------------------------------------------------------- parser


def _parse(ctx: _Context, src: _Source, lo: int, hi: int, depth: int,
           nested_in: ShellCommand | None, comment: str | None, make_prefix: bool = False) -> None:
    toks = _Lexer(src, hi, make_prefix).run(lo)
    _Parser(ctx, src, depth, nested_in, comment).run(toks)


def _op_word(tok: _Tok) -> _WordTok:
    """An operator inside ``[[ ... ]]`` (``&&``, ``<``, ``(``) is an argument of ``[[``."""
    w = _WordTok(tok.lo)
    w.lit(tok.text, tok.lo)
    w.hi = tok.hi
    w.text = tok.text
    return w


class _Parser:
    """Groups tokens into simple commands, skipping compound-command syntax."""

    def __init__(self, ctx: _Context, src: _Source, depth: int,
                 nested_in: ShellCommand | None, comment: str | None) -> None:
        self.ctx = ctx
        self.src = src
        self.depth = depth
        self.nested_in = nested_in
        self.comment = comment
        self.words: list[_WordTok] = []
        self.targets: list[_WordTok] = []  # redirection targets (their substitutions still run)
        self.redirects: list[tuple[str, _WordTok]] = []  # (operator, target) of this command
        self.redir_op = ""  # the operator of want_target, as written (`2>`, `>>`)
        self.herestrings: list[_WordTok] = []
        self.heredocs: list[_Heredoc] = []
        self.want_target: str | None = None  # the redirection operator waiting for its target
        self.pipe_from: ShellCommand | None = None
        self.piped_heredocs: list[_Heredoc] = []  # `cat <<EOF | sh`: cat's heredoc feeds sh
        self.after_pipe = False
        self.expect: str | None = None  # compound-syntax state: what the next token should be
        self.case_depth = 0
        self.in_test = False  # inside [[ ... ]]

    def run(self, toks: list[_Tok]) -> None:
        n = len(toks)
        idx = 0
        while idx < n:
            t = toks[idx]
            idx += 1
            if t.kind == "comment":
                self.comment = t.text
                continue
            if self.in_test and self._test_token(t):
                continue
            if self.expect and self._expected(t):
                continue
            if t.kind == "word":
                w = t.word
                assert w is not None
                if self.want_target is not None:
                    (self.herestrings if self.want_target == "<<<" else self.targets).append(w)
                    if self.want_target != "<<<":
                        self.redirects.append((self.redir_op, w))
                    self.want_target = None
                    continue
                if not self.words and not self.targets and not self.heredocs:
                    if w.plain and self._reserved(w.text):
                        continue
                    if (idx + 1 < n and toks[idx].text == "(" and toks[idx + 1].text == ")"
                            and toks[idx].kind == "op" and toks[idx + 1].kind == "op"):
                        idx += 2  # name() { ...: a function definition, not a command
                        continue
                    self.in_test = w.plain and w.text == "[["
                self.words.append(w)
            elif t.kind == "redir":
                if t.heredoc is not None:
                    self.heredocs.append(t.heredoc)
                    self.want_target = None
                else:
                    self.want_target = t.text.lstrip("0123456789")
                    self.redir_op = t.text
            elif t.kind == "op":
                if t.text in ("|", "|&"):
                    self._end(pipe=True)
                elif t.text == "(" and not self.words:
                    continue  # a subshell: its commands are ordinary commands
                else:
                    self._end()
                    if t.text in _CASE_ENDERS and self.case_depth:
                        self.expect = "pattern"
            elif t.kind == "nl":
                self._end(newline=True)
            # "arith" tokens (( ... )) hold no commands
        self._end()

    def _test_token(self, t: _Tok) -> bool:
        """Inside ``[[ ... ]]`` operators are arguments; True if the token was consumed."""
        if t.kind == "word" and t.word is not None:
            self.words.append(t.word)
            if t.word.plain and t.word.text == "]]":
                self.in_test = False
            return True
        if t.kind in ("op", "redir") and t.text not in _TEST_ENDERS:
            self.words.append(_op_word(t))
            return True
        return False

    def _reserved(self, word: str) -> bool:
        """Handle a reserved word at command position; True if it is one (not a command)."""
        if word in _RESERVED_SKIP:
            return True
        if word == "esac":
            self.case_depth = max(0, self.case_depth - 1)
            return True
        if word in ("for", "select"):
            self.expect = "for_name"
            return True
        if word == "case":
            self.expect = "case_word"
            return True
        if word == "function":
            self.expect = "func_name"
            return True
        return False

    def _expected(self, t: _Tok) -> bool:
        """Advance the compound-syntax state; True if the token belonged to it."""
        kind, word = t.kind, t.word
        text = word.text if word is not None else t.text
        state = self.expect
        if state == "pattern":  # case patterns: `x|y)` up to ')', or esac
            if kind == "word" and word is not None and word.plain and text == "esac":
                self.case_depth = max(0, self.case_depth - 1)
                self.expect = None
            elif kind == "op" and text == ")":
                self.expect = None
            return True
        if state == "for_name":
            self.expect = "for_in" if kind == "word" else None
            return kind in ("word", "arith")
        if state == "for_in":
            if kind == "nl":
                return True
            self.expect = "for_list" if kind == "word" and text == "in" else None
            return self.expect is not None
        if state == "for_list":
            if kind == "word":
                return True
            self.expect = None
            return False
        if state == "case_word":
            self.expect = "case_in" if kind == "word" else None
            return kind == "word"
        if state == "case_in":
            if kind == "nl":
                return True
            if kind == "word" and text == "in":
                self.expect = "pattern"
                self.case_depth += 1
                return True
            self.expect = None
            return False
        if state == "func_name":
            self.expect = "func_parens" if kind == "word" else None
            return kind == "word"
        if state == "func_parens" and kind == "op" and text in ("(", ")"):
            return True
        self.expect = None
        return False

    def _end(self, pipe: bool = False, newline: bool = False) -> None:
        """End the current simple command at a separator."""
        cmd = self._emit() if self.words else None
        if cmd is not None:
            self.pipe_from = cmd if pipe else None
            self.piped_heredocs = self.heredocs if pipe and self._is_cat(cmd) else []
            self.after_pipe = pipe
        elif not pipe and not (newline and self.after_pipe):
            self.pipe_from = None
            self.piped_heredocs = []
            self.after_pipe = False
        self.words, self.targets, self.herestrings, self.heredocs = [], [], [], []
        self.redirects = []
        self.want_target = None
        self.in_test = False

    @staticmethod
    def _is_cat(cmd: ShellCommand) -> bool:
        return cmd.program == "cat" and all(a == "-" for a in cmd.arg_texts())

    def _word(self, w: _WordTok, tlo: int = 0) -> Word:
        """The public Word for ``w``'s text from index ``tlo`` on (an assignment's value)."""
        src = self.src
        a = w.ends[tlo - 1] if tlo else w.lo
        if src.starts is None:  # the snippet itself: local offsets are snippet offsets
            span = self.ctx.span(a, w.hi if w.hi > a else a)
        else:
            start = src.abs_start(a)
            span = self.ctx.span(start, src.abs_end(w.hi) if w.hi > a else start)
        if w.special is None and not w.conts:  # the common case: a plain literal word
            return _plain_word(w.text[tlo:], span)
        parts: list[str] = []
        j = a
        for c0, c1 in w.conts:
            if c1 <= a or c0 >= w.hi:
                continue
            parts.append(src.text[j:c0])
            j = c1
        parts.append(src.text[j:w.hi])
        names = dict.fromkeys(name for i, name in w.variables if i >= tlo)
        return _build(
            Word,
            text=w.text[tlo:],
            raw="".join(parts),
            span=span,
            quoted=w.quoted,
            variables=tuple(names),
            has_substitution=any(i >= tlo for i in w.subst_at),
            make_refs=tuple(inner for i, _, inner in w.make_refs if i >= tlo),
            defaults=tuple((name, d) for i, name, d in w.defaults if i >= tlo),
        )

    def _assignment(self, w: _WordTok) -> tuple[str, Word]:
        return w.text[:w.eq].rstrip("+"), self._word(w, w.eq + 1)

    def _emit(self) -> ShellCommand:
        toks = self.words
        k = 0
        assigns: list[tuple[str, Word]] = []
        while k < len(toks) and toks[k].eq >= 0:
            assigns.append(self._assignment(toks[k]))
            k += 1
        wrappers: list[str] = []
        while k < len(toks):
            name = _basename(toks[k].text)
            spec = _WRAPPERS.get(name)
            if spec is None:
                break
            if name == "command" and k + 1 < len(toks):
                nxt = toks[k + 1].text
                if nxt[:1] == "-" and ("v" in nxt or "V" in nxt):
                    break  # `command -v x` is a lookup, not a wrapper
            j, env = _skip_wrapper(toks, k, spec)
            if j >= len(toks):
                break  # nothing left to run: the wrapper itself is the program
            wrappers.append(name)
            assigns.extend(self._assignment(toks[i]) for i in env)
            k = j
        words = tuple(self._word(w) for w in toks)
        pipe_from = self.pipe_from if self.after_pipe else None
        cmd = _build(
            ShellCommand,
            argv=words[k:],
            words=words,
            assignments=tuple(assigns),
            wrappers=tuple(wrappers),
            span=self.ctx.span(self.src.abs_start(toks[0].lo), self.src.abs_end(toks[-1].hi)),
            pipe_from=pipe_from,
            comment_above=self.comment,
            nested_in=self.nested_in,
            redirects=tuple((op, self._word(w)) for op, w in self.redirects),
            stdin=self._stdin(),
        )
        self.ctx.out.append(cmd)
        if self.depth + 1 < MAX_DEPTH:
            piped = self.piped_heredocs if pipe_from is not None else []
            self._nested(cmd, toks[k:], piped)
        return cmd

    def _stdin(self) -> tuple[Snippet, ...]:
        """Heredoc bodies and here-strings of the command being emitted, as positioned snippets."""
        found: list[Snippet] = []
        for w in self.herestrings:
            word = self._word(w)
            quote = 1 if word.raw[:1] in ("'", '"') else 0
            found.append(Snippet(self.ctx.path, word.text,
                                 ((word.span.line, word.span.column - 1 + quote),)))
        for doc in self.heredocs:
            if doc.body is None or doc.body[1] <= doc.body[0]:
                continue
            lo, hi = doc.body
            text = self.src.text[lo:hi]
            origins = []
            start = lo
            for line in text.split("\n"):
                file_line, column, _ = self.ctx.position(self.src.abs_start(start))
                origins.append((file_line, column - 1))
                start += len(line) + 1
            found.append(Snippet(self.ctx.path, text, tuple(origins)))
        return tuple(found)

    def _nested(self, cmd: ShellCommand, argv: list[_WordTok], piped: list[_Heredoc]) -> None:
        """Parse the scripts inside ``cmd`` (substitutions, -c strings, heredocs), in order."""
        ctx, src, depth = self.ctx, self.src, self.depth + 1
        jobs: list[tuple[int, Callable[[], None]]] = []
        for w in (*self.words, *self.targets, *self.herestrings):
            for lo, hi in w.substs:
                key = src.abs_start(lo)
                if key not in ctx.seen:
                    ctx.seen.add(key)
                    jobs.append((key, partial(_parse, ctx, src, lo, hi, depth, cmd,
                                              cmd.comment_above)))
        if argv and _basename(argv[0].text) in _SCRIPT_RUNNERS:
            indexes, stdin = _script_arguments([w.text for w in argv])
        else:
            indexes, stdin = [], False  # what _script_arguments says of any other program
        scripts = [[argv[i] for i in idxs] for idxs in indexes]
        if stdin:
            scripts.extend([w] for w in self.herestrings)
            for doc in (*self.heredocs, *piped):
                if doc.body is not None and doc.body[1] > doc.body[0]:
                    lo, hi = doc.body
                    jobs.append((src.abs_start(lo), partial(_parse, ctx, src, lo, hi, depth, cmd,
                                                            cmd.comment_above)))
        for parts in scripts:
            nsrc = _string_source(src, parts)
            if nsrc.text:
                jobs.append((src.abs_start(parts[0].lo), partial(
                    _parse, ctx, nsrc, 0, len(nsrc.text), depth, cmd, cmd.comment_above)))
        jobs.sort(key=lambda job: job[0])
        for _, job in jobs:
            job()
