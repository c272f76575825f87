"""The line the text report adds in ``--base`` mode: what was compared and what is not shown."""

from __future__ import annotations

from typing import Any

from preflight.report import printable


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def base_line(base: Any) -> str:
    """``base`` is a :class:`preflight.gitbase.BaseSummary`."""
    text = f"Compared with {printable(base.ref)} ({base.commit[:12]}): {_plural(base.files_changed, 'file')} changed"
    if base.show_all:
        if base.old:
            was = "finding was" if base.old == 1 else "findings were"
            text += f"; {base.old} {was} there before (not marked [new]; they do not fail the run)"
    elif base.hidden:
        text += (f"; {_plural(base.hidden, 'finding')} on lines the change did not touch not shown "
                 "(--all shows them)")
    return text + "."
