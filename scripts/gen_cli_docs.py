"""Regenerate docs/cli.md from the CLI's own --help (run: .venv/bin/python scripts/gen_cli_docs.py).

tests/test_docs.py fails when docs/cli.md differs from what this script writes, so the reference cannot drift.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def commands() -> list[list[str]]:
    """Every command path of the CLI (top level, groups and leaf commands)."""
    import typer.main

    from tradetalks.cli import app

    root = typer.main.get_command(app)
    out: list[list[str]] = [[]]

    def walk(cmd: object, prefix: list[str]) -> None:
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            out.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(root, [])
    return out


def render() -> str:
    os.environ.update({"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"})
    from typer.testing import CliRunner

    from tradetalks.cli import app

    runner = CliRunner()
    parts = ["# CLI reference\n\nGenerated from `--help` by `scripts/gen_cli_docs.py`; do not edit by hand.\n"]
    for path in commands():
        res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"})
        title = " ".join(["tradetalks", *path])
        body = "\n".join(line.rstrip() for line in res.output.strip().splitlines())
        parts.append(f"## `{title}`\n\n```text\n{body}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
