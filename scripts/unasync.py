"""Generate the sync code from the async code, or check that the generated code is current.

    python scripts/unasync.py          # write src/mongokv/_sync/ and tests/_sync/
    python scripts/unasync.py --check  # exit 1 if any generated file differs from a new run

Every async name is mapped by the explicit table below. A name that starts with ``Async``
and has no entry stops the generation, so unasync's default ``AsyncX`` to ``SyncX`` rename
never applies by accident, and ``--check`` also fails on a table entry that no file uses.
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Python puts this script's folder first on sys.path, where this file would shadow the
# unasync package that it imports.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "scripts"]

import tokenize_rt  # noqa: E402

import unasync  # noqa: E402

# (async source folder, generated sync folder), relative to the repository root.
TREES = [
    ("src/mongokv/_async", "src/mongokv/_sync"),
    ("tests/_async", "tests/_sync"),
]

REPLACEMENTS = {
    # Import paths.
    "aio": "sync",
    "asynchronous": "synchronous",
    # PyMongo.
    "AsyncMongoClient": "MongoClient",
    "AsyncDatabase": "Database",
    "AsyncCollection": "Collection",
    # mongoKV's own hand-written pairs and classes.
    "AsyncMkv": "SyncMkv",
    "AsyncClientManager": "ClientManager",
    "AsyncMappingMethods": "MappingMethods",
    "AsyncResultStream": "ResultStream",
    "aclose": "close",
    "anext": "next",
}

HEADER = (
    "# This file is generated from {source} by scripts/unasync.py. Do not edit it:\n"
    "# change the async source and run `nox -s generate`.\n"
)


class GenerationError(Exception):
    """Raised when an async name has no entry in the replacement table."""


class _ExplicitRule(unasync.Rule):  # type: ignore[misc]
    """An unasync rule that records which replacements it used and allows no default."""

    def __init__(self, fromdir: str, todir: str) -> None:
        super().__init__(fromdir, todir, additional_replacements=REPLACEMENTS)
        self.used: set[str] = set()
        self.current_file = ""

    def _unasync_name(self, name: str) -> str:
        if name in self.token_replacements:
            self.used.add(name)
            return str(self.token_replacements[name])

        if name.startswith("Async") and name[5:6].isupper():
            raise GenerationError(
                f"{self.current_file}: no replacement for {name!r}. Add it to REPLACEMENTS "
                "in scripts/unasync.py."
            )
        return name

    def convert(self, source: str) -> str:
        tokens = tokenize_rt.src_to_tokens(source)
        return str(tokenize_rt.tokens_to_src(self._unasync_tokens(tokens)))


def generate(out_root: Path) -> set[str]:
    """Write every generated file under ``out_root`` and return the replacements used."""
    used: set[str] = set()
    written: list[Path] = []

    for source_dir, target_dir in TREES:
        rule = _ExplicitRule(source_dir, target_dir)
        for source in sorted((ROOT / source_dir).rglob("*.py")):
            relative = source.relative_to(ROOT / source_dir)
            rule.current_file = str(source.relative_to(ROOT))

            converted = rule.convert(source.read_text(encoding="utf-8"))
            header = HEADER.format(source=source.relative_to(ROOT).as_posix())

            target = out_root / target_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(header + converted, encoding="utf-8")
            written.append(target)
        used |= rule.used

    _format(written)
    return used


def _format(paths: list[Path]) -> None:
    """Format the generated files as the rest of the code, so lint and diffs stay quiet."""
    config = str(ROOT / "pyproject.toml")
    files = [str(path) for path in paths]
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run(
        [*ruff, "check", "--config", config, "--select", "I", "--fix", "--quiet", *files],
        check=True,
    )
    subprocess.run([*ruff, "format", "--config", config, "--quiet", *files], check=True)


def _generated_files(root: Path) -> set[Path]:
    files: set[Path] = set()
    for _, target_dir in TREES:
        folder = root / target_dir
        if folder.exists():
            files |= {
                path.relative_to(root)
                for path in folder.rglob("*")
                if path.is_file() and "__pycache__" not in path.parts
            }
    return files


def write() -> None:
    """Regenerate into the repository, removing generated files whose source is gone."""
    with tempfile.TemporaryDirectory() as temporary:
        fresh_root = Path(temporary)
        generate(fresh_root)
        fresh = _generated_files(fresh_root)

        for stale in _generated_files(ROOT) - fresh:
            (ROOT / stale).unlink()
            print(f"removed {stale}")

        for relative in sorted(fresh):
            target = ROOT / relative
            content = (fresh_root / relative).read_bytes()
            if not target.exists() or target.read_bytes() != content:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                print(f"wrote {relative}")


def check() -> list[str]:
    """Return one line per problem: stale, missing, extra or edited files, unused rules."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as temporary:
        fresh_root = Path(temporary)
        used = generate(fresh_root)
        fresh = _generated_files(fresh_root)
        committed = _generated_files(ROOT)

        for relative in sorted(fresh - committed):
            problems.append(f"missing: {relative}")
        for relative in sorted(committed - fresh):
            problems.append(f"extra, with no async source: {relative}")
        for relative in sorted(fresh & committed):
            if not filecmp.cmp(fresh_root / relative, ROOT / relative, shallow=False):
                problems.append(f"differs from its async source: {relative}")

    for name in sorted(set(REPLACEMENTS) - used):
        problems.append(f"unused replacement rule: {name!r}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare the committed generated files with a fresh generation; write nothing",
    )
    arguments = parser.parse_args()

    try:
        if not arguments.check:
            write()
            return 0
        problems = check()
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Generated code is out of date: run `nox -s generate`.", file=sys.stderr)
        return 1
    print("Generated code matches its async source.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
