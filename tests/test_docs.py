"""Documentation that cannot drift: the CLI reference is generated from --help and must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cli_reference_is_current() -> None:
    gen = _generator()
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == gen.render(), \
        "docs/cli.md is stale: run `.venv/bin/python scripts/gen_cli_docs.py`"


def test_every_command_is_documented() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for path in _generator().commands():
        assert f"## `{' '.join(['tradetalks', *path])}`" in text


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_overrides_name_real_facts() -> None:
    import re

    from tradetalks.scenario import load_scenario

    facts = load_scenario("korus-2025", with_observed=False).facts
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = [n for n in re.findall(r"--set ([a-z_0-9]+)=", readme) if n != "fact"]  # "--set fact=value" is prose
    assert named and all(n in facts for n in named), named
