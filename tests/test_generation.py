"""scripts/unasync.py --check: passes on the committed tree, fails on any drift."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

COPIED = ["pyproject.toml", "scripts", "src", "tests/_async", "tests/_sync"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the files that generation reads and writes."""
    for relative in COPIED:
        source = ROOT / relative
        target = tmp_path / relative
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return tmp_path


def run_check(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(tree / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_passes_on_committed_tree(tree: Path) -> None:
    result = run_check(tree)

    assert result.returncode == 0, result.stderr
    assert "matches" in result.stdout


def test_check_fails_after_hand_edit(tree: Path) -> None:
    generated = tree / "src" / "mongokv" / "_sync" / "store.py"
    generated.write_text(generated.read_text() + "# edited by hand\n")

    result = run_check(tree)

    assert result.returncode == 1
    assert "differs from its async source: src/mongokv/_sync/store.py" in result.stderr


def test_check_fails_after_deleted_file(tree: Path) -> None:
    (tree / "tests" / "_sync" / "test_store.py").unlink()

    result = run_check(tree)

    assert result.returncode == 1
    assert "missing: tests/_sync/test_store.py" in result.stderr


def test_check_fails_on_extra_file(tree: Path) -> None:
    (tree / "src" / "mongokv" / "_sync" / "leftover.py").write_text("x = 1\n")

    result = run_check(tree)

    assert result.returncode == 1
    assert "extra, with no async source: src/mongokv/_sync/leftover.py" in result.stderr


def test_check_fails_on_stale_output(tree: Path) -> None:
    source = tree / "src" / "mongokv" / "_async" / "store.py"
    source.write_text(source.read_text() + "\n\nADDED_CONSTANT = 1\n")

    result = run_check(tree)

    assert result.returncode == 1
    assert "differs from its async source: src/mongokv/_sync/store.py" in result.stderr


def test_unmapped_async_name_stops_generation(tree: Path) -> None:
    source = tree / "src" / "mongokv" / "_async" / "store.py"
    source.write_text(source.read_text() + "\n\nAsyncSomethingNew = None\n")

    result = run_check(tree)

    assert result.returncode == 1
    assert "no replacement for 'AsyncSomethingNew'" in result.stderr
