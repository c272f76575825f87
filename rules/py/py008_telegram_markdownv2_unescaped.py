"""## What it catches
A Telegram message sent with `parse_mode="MarkdownV2"` (or `ParseMode.MARKDOWN_V2` of
python-telegram-bot or aiogram) whose text or caption interpolates values that were not escaped:
an f-string placeholder, a `.format()` or `%` argument, or a `+` operand that is not a call to an
escape function. The text is the `text=`/`caption=` argument or the positional text argument of
`send_message`, `edit_message_text`, `reply_text`, `answer`, `reply`, `edit_text`, ...; a name is
followed to the assignments (`=` and `+=`) in the same function.

Escape functions are calls whose name contains `escape` (`escape_markdown(x, version=2)`,
`telegram.helpers.escape_markdown`, aiogram `escape_md`, your own `escape_markdown_v2`), aiogram's
`markdown.quote` / `markdown_decoration.quote`, and the names in the `escapers` option; a name
assigned from such a call counts as escaped. Constant text is clean, and so is any other parse mode
(`HTML` has its own rules).

It cannot see a default parse mode set once for the bot (`Defaults(parse_mode=...)`,
`DefaultBotProperties`), text built in another function, or values that can never contain a
reserved character; every unescaped interpolation is reported.

## Why it matters
From the 42Bros trading-signals bot (seed 000, "Telegram MarkdownV2 Special Character
Escaping"): alerts built with f-strings from market data were rejected by the Bot API with
`400 Bad Request`:

    Can't parse entities: can't find end of italic entity at byte offset 30

MarkdownV2 treats `_ * [ ] ( ) ~ ` > # + - = | { } . !` as markup, so an `_` in `BTC_USDT` or
`EXTREME_FEAR` opens an italic entity that never closes, and a `.` in a price fails with
`character '.' is reserved and must be escaped with the preceding '\\'`. The message is lost,
and it only happens for some values, so tests with tidy data pass.

## Example
```python
# bot/alerts.py
from telegram.constants import ParseMode


async def send_alert(bot, chat_id, pair, price):
    await bot.send_message(chat_id, f"*Signal* {pair} at {price}", parse_mode=ParseMode.MARKDOWN_V2)
```

## Use instead
```python
# bot/alerts.py
from telegram.constants import ParseMode
from telegram.helpers import escape_markdown


async def send_alert(bot, chat_id, pair, price):
    text = f"*Signal* {escape_markdown(pair, version=2)} at {escape_markdown(str(price), version=2)}"
    await bot.send_message(chat_id, text, parse_mode=ParseMode.MARKDOWN_V2)
```

## Fix
Pass every dynamic value through `escape_markdown(value, version=2)` (python-telegram-bot) or
`aiogram.utils.markdown.quote` / your own escape function, or send with `parse_mode="HTML"` and
`html.escape`. Test with data that contains `_`, `*` and `.`.

Other escape functions are named in the options:

```toml
[tool.preflight.rules.PY008]
extend-escapers = ["md", "tg_safe"]
```
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.data import merged
from preflight.documents.python import PythonDocument
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import argument, constant_str, keyword
from preflight.rule import Context, Option, RuleMeta

RULE = RuleMeta(
    id="PY008",
    name="telegram-markdownv2-unescaped",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A Telegram MarkdownV2 message interpolates values that are not escaped",
    source='seed 000 "Telegram MarkdownV2 Special Character Escaping"',
    lesson="MarkdownV2 reserves _ * [ ] ( ) ~ ` > # + - = | { } . !; data values with them make the Bot "
           "API reject the message. Escape every dynamic value.",
    symptoms=("Can't parse entities: can't find end of italic entity at byte offset 30",
              "character '.' is reserved and must be escaped with the preceding '\\'"),
    options=(Option("escapers", None, "replaces the list of extra escape function names (calls whose name "
                                      "contains `escape` always count)"),
             Option("extend-escapers", None, "adds escape function names")),
    tags=("python", "telegram"),
)

# Where the text is when it is not given as text=/caption=: the positional index by method name.
TEXT_POSITION = {"send_message": 1, "edit_message_text": 0, "reply_text": 0, "reply": 0, "answer": 0,
                 "edit_text": 0, "reply_markdown_v2": 0, "send_photo": -1, "edit_message_caption": -1}
EXTRA_ESCAPERS = ["quote", "esc", "md_escape"]


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None or "arkdown" not in doc.text.replace("MARKDOWN_V2", "markdownv2"):
        return
    escapers = set(merged(EXTRA_ESCAPERS, ctx.options, "escapers"))
    for scope in _scopes(doc.tree):
        for call in _own_calls(scope):
            if not _markdown_v2(keyword(call, "parse_mode")):
                continue
            text = _text_argument(call)
            if text is None:
                continue
            culprit = _unescaped(text, scope, call.lineno, escapers, set())
            if culprit is not None:
                shown = ast.unparse(culprit)
                shown = shown if len(shown) <= 40 else shown[:37] + "..."
                yield ctx.finding(doc.node_span(culprit),
                                  f"`{shown}` goes into a MarkdownV2 message unescaped; a `_`, `*` or `.` in it "
                                  "makes Telegram reject the message (Can't parse entities); wrap it in "
                                  "escape_markdown(..., version=2)")


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node


def _own(scope: ast.AST) -> Iterator[ast.AST]:
    """Nodes of ``scope`` outside nested functions."""
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield child
        yield from _own(child)


def _own_calls(scope: ast.AST) -> list[ast.Call]:
    found = [n for n in _own(scope) if isinstance(n, ast.Call)]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _markdown_v2(node: ast.AST | None) -> bool:
    text = constant_str(node)
    if text is not None:
        return text.lower().replace("_", "") == "markdownv2"
    return isinstance(node, ast.Attribute) and node.attr == "MARKDOWN_V2"


def _text_argument(call: ast.Call) -> ast.AST | None:
    for name in ("text", "caption"):
        value = keyword(call, name)
        if value is not None:
            return value
    func = call.func
    method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    position = TEXT_POSITION.get(method, 0 if method.startswith(("answer", "reply")) else -1)
    return argument(call, position) if position >= 0 else None


def _is_escape_call(node: ast.AST, escapers: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return "escape" in name.lower() or name in escapers


def _assignments(scope: ast.AST, name: str, before: int) -> list[ast.AST]:
    values = []
    for node in _own(scope):
        if getattr(node, "lineno", before) >= before:
            continue
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            values.append(node.value)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name) and \
                node.target.id == name and node.value is not None:
            values.append(node.value)
    return values


def _unescaped(node: ast.AST, scope: ast.AST, line: int, escapers: set[str], seen: set[str]) -> ast.AST | None:
    """The first value interpolated into the text ``node`` without an escape call, or None."""
    if isinstance(node, ast.Constant) or _is_escape_call(node, escapers):
        return None
    if isinstance(node, ast.JoinedStr):
        ticks = 0  # backticks seen so far: an odd count means inside an inline code span
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                ticks += value.value.count("`")
            elif isinstance(value, ast.FormattedValue) and ticks % 2 == 0:
                # Inside `code` only ` and \ are special: numbers and words are safe there.
                culprit = _value(value.value, scope, line, escapers, seen)
                if culprit is not None:
                    return culprit
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for operand in (node.left, node.right):
            culprit = _unescaped(operand, scope, line, escapers, seen) if _textual(operand, scope, line) \
                else _value(operand, scope, line, escapers, seen)
            if culprit is not None:
                return culprit
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and constant_str(node.left) is not None:
        values = node.right.elts if isinstance(node.right, ast.Tuple) else \
            node.right.values if isinstance(node.right, ast.Dict) else [node.right]
        return next((c for v in values if (c := _value(v, scope, line, escapers, seen)) is not None), None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" and \
            isinstance(node.func.value, (ast.Constant, ast.JoinedStr)):
        values = [*node.args, *(k.value for k in node.keywords)]
        return next((c for v in values if (c := _value(v, scope, line, escapers, seen)) is not None), None)
    if isinstance(node, ast.Name) and node.id not in seen:
        for value in _assignments(scope, node.id, line):
            culprit = _unescaped(value, scope, line, escapers, seen | {node.id})
            if culprit is not None:
                return culprit
    return None


def _textual(node: ast.AST, scope: ast.AST, line: int) -> bool:
    """A piece of the message itself (literal, f-string, built string, a name assigned one)."""
    if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)) or \
            (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"):
        return True
    return isinstance(node, ast.Name) and any(_textual(v, scope, line) for v in _assignments(scope, node.id, line))


def _value(node: ast.AST, scope: ast.AST, line: int, escapers: set[str], seen: set[str]) -> ast.AST | None:
    """An interpolated value: escaped by a call, a name assigned an escaped value, or the culprit."""
    if isinstance(node, ast.Constant) or _is_escape_call(node, escapers):
        return None
    if isinstance(node, ast.Name) and node.id not in seen:
        values = _assignments(scope, node.id, line)
        if values and all(_is_escape_call(v, escapers) for v in values):
            return None
    return node
