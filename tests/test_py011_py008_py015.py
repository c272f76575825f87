"""PY011 (threshold option, handlers seen through imports) and PY008/PY015 messages."""

from __future__ import annotations

from pathlib import Path

from conftest import check, write

LOOP = "import time\n\n\ndef run(interval):\n    while True:\n        time.sleep(8)\n        time.sleep(interval)\n"


def test_py011_threshold_is_an_option(tmp_path: Path) -> None:
    write(tmp_path, {"worker.py": LOOP})
    found = check(tmp_path, select=["PY011"]).findings
    assert [(f.span.line, f.span.column) for f in found] == [(6, 9), (7, 9)]
    assert found[0].message.startswith("this daemon loop sleeps 8 seconds in one call")
    found = check(tmp_path, select=["PY011"], rules={"PY011": {"min-seconds": 10}}).findings
    assert [f.span.line for f in found] == [7] and "`interval`" in found[0].message


def test_py011_a_handler_in_an_importing_module_covers_the_loop(tmp_path: Path) -> None:
    write(tmp_path, {"svc/__init__.py": "", "svc/worker.py": LOOP,
                     "main.py": "import signal\nfrom svc import worker\nsignal.signal(signal.SIGTERM, print)\n"})
    assert check(tmp_path, select=["PY011"]).findings == []


def test_py008_points_at_the_first_unescaped_value(tmp_path: Path) -> None:
    write(tmp_path, {"bot.py": 'async def f(bot, a, b):\n    await bot.send_message(1, f"{escape_md(a)} {b}", '
                               'parse_mode="MarkdownV2")\n'})
    [finding] = check(tmp_path, select=["PY008"]).findings
    assert (finding.span.line, finding.span.column) == (2, 49)
    assert finding.message.startswith("`b` goes into a MarkdownV2 message unescaped")


def test_py015_names_the_fixed_delay(tmp_path: Path) -> None:
    write(tmp_path, {"api.py": "import time\n\n\ndef get(s):\n    for _ in range(3):\n        r = s.get()\n"
                               "        if r.status_code == 429:\n            time.sleep(WAIT)\n"})
    [finding] = check(tmp_path, select=["PY015"]).findings
    assert finding.span.line == 8
    assert finding.message.startswith("after HTTP 429 this retry loop sleeps a fixed `WAIT`")
