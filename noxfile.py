"""Every developer and CI task of mongoKV: `python -m nox -l` lists them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "check_generated"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# The interpreter for sessions that need only one.
TOOLS_PYTHON = "3.11"


def _install_group(session: nox.Session, group: str) -> None:
    session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite against MONGODB_URI, or a local nx-27017 server it starts."""
    _install_group(session, "test")
    session.install("-e", ".")
    session.run("pytest", *session.posargs)


@nox.session(python=TOOLS_PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff, generated code included."""
    _install_group(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=TOOLS_PYTHON)
def typecheck(session: nox.Session) -> None:
    """Run mypy --strict over the package, the tests and the scripts, both sides."""
    _install_group(session, "typecheck")
    session.install("-e", ".")
    session.run("mypy")


@nox.session(python=TOOLS_PYTHON)
def generate(session: nox.Session) -> None:
    """Regenerate src/mongokv/_sync/ and tests/_sync/ from their async sources."""
    _install_group(session, "generate")
    session.run("python", "scripts/unasync.py")


@nox.session(python=TOOLS_PYTHON)
def check_generated(session: nox.Session) -> None:
    """Fail if any generated file is stale, missing, extra or edited by hand."""
    _install_group(session, "generate")
    session.run("python", "scripts/unasync.py", "--check")


@nox.session(python=TOOLS_PYTHON)
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel, check their metadata and that the wheel has _sync/."""
    _install_group(session, "build")
    dist = ROOT / "dist"
    for old in dist.glob("mongokv-*"):
        old.unlink()

    session.run("python", "-m", "build", "--outdir", str(dist))
    session.run("twine", "check", "--strict", *[str(path) for path in dist.glob("mongokv-*")])

    wheel = next(dist.glob("mongokv-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    required = {
        "mongokv/__init__.py",
        "mongokv/py.typed",
        "mongokv/_async/store.py",
        "mongokv/_sync/store.py",
    }
    missing = sorted(required - names)
    if missing:
        session.error(f"{wheel.name} lacks {', '.join(missing)}")
    session.log(f"{wheel.name} contains the async and the generated sync code")


@nox.session(python=TOOLS_PYTHON)
def demo(session: nox.Session) -> None:
    """Run the quickstart examples against MONGODB_URI, or a throwaway local server."""
    _install_group(session, "demo")
    session.install(".")
    for example in sorted((ROOT / "examples").glob("*.py")):
        session.log(f"--- {example.relative_to(ROOT)}")
        session.run("python", "scripts/local_server.py", "python", str(example))


@nox.session(python=TOOLS_PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmark mongoKV against raw PyMongo and mongokv 0.4, and rewrite docs/benchmarks.md.

    Not part of the default sessions or CI. `-- --quick` runs a short smoke test and
    `-- --help` lists the options.
    """
    import shutil

    _install_group(session, "bench")
    # Install from a copy of the work tree: building runs scripts/unasync.py, which rewrites
    # src/mongokv/_sync/, and a benchmark must never write into the sources.
    source = Path(session.create_tmp()) / "mongokv-source"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".nox", ".venv", "dist", "build", "__pycache__", "*.egg-info", ".*_cache"
        ),
    )
    session.install(str(source))
    session.run("python", "benchmarks/bench.py", *session.posargs)
