"""Where data are found: option, then TRADETALKS_DATA_DIR, then the user data directory; never the cwd."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from tradetalks.datadir import CLI_OPTION, ENV_VAR, dataset_dir, resolve_data_dir
from tradetalks.errors import NotFoundError


def _cp2015(root: Path) -> Path:
    folder = root / "cp2015" / "cp2015_original"
    folder.mkdir(parents=True)
    (folder / "xbilat1993.txt").write_text("0\n")
    return root / "cp2015"


def test_the_option_wins_then_the_environment_then_the_user_directory(tmp_path: Path) -> None:
    env = {ENV_VAR: str(tmp_path / "env")}
    assert resolve_data_dir(tmp_path / "opt", environ=env) == (tmp_path / "opt", "option")
    assert resolve_data_dir(None, environ=env) == (tmp_path / "env", "environment")
    user = Path(platformdirs.user_data_dir("tradetalks"))
    assert resolve_data_dir(None, environ={}) == (user, "user data directory")
    assert resolve_data_dir("", environ={ENV_VAR: ""}) == (user, "user data directory")


def test_a_data_set_is_found_in_its_folder_or_given_directly(tmp_path: Path) -> None:
    folder = _cp2015(tmp_path)
    assert dataset_dir("cp2015", tmp_path, environ={}) == folder
    assert dataset_dir("cp2015", None, environ={ENV_VAR: str(tmp_path)}) == folder
    assert dataset_dir("cp2015", folder, environ={}) == folder


def test_the_cwd_is_not_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cp2015(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotFoundError):
        dataset_dir("cp2015", tmp_path / "elsewhere", environ={})


def test_missing_data_name_the_option_the_variable_and_the_origin(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as err:
        dataset_dir("agtpa", None, environ={ENV_VAR: str(tmp_path)})
    msg = str(err.value)
    assert CLI_OPTION in msg and ENV_VAR in msg and "from the environment" in msg and str(tmp_path) in msg
    assert "ch2_app2_rta_effects.csv.gz" in msg
    with pytest.raises(NotFoundError, match="unknown data set"):
        dataset_dir("nope", tmp_path)  # type: ignore[arg-type]
