"""Start a throwaway MongoDB-compatible server on a free loopback port.

No MongoDB server build installs from a package registry on every machine, so tests, the
demo and the benchmarks use nx-27017 (a MongoDB wire-protocol server backed by SQLite, from
PyPI) unless ``MONGODB_URI`` names a real server. As a command, it runs another command
with ``MONGODB_URI`` set:

    python scripts/local_server.py python examples/quickstart_sync.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

# Seconds to wait for a new server to respond to ping.
STARTUP_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_command() -> list[str]:
    # The console script sits beside the interpreter in a virtual environment.
    beside_python = Path(sys.executable).with_name("nx-27017")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("nx-27017")
    if found is None:
        raise RuntimeError(
            "nx-27017 is not installed: run `pip install nx-27017`, or set MONGODB_URI "
            "to a running MongoDB server."
        )
    return [found]


def _wait_for_ping(uri: str, process: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"nx-27017 exited with code {process.returncode} before responding to ping; "
                f"its log is {log_file}"
            )
        client: MongoClient[dict[str, object]] = MongoClient(
            uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500
        )
        try:
            client.admin.command("ping")
            return
        except PyMongoError:
            time.sleep(0.1)
        finally:
            client.close()
    raise RuntimeError(f"nx-27017 did not respond to ping within {STARTUP_TIMEOUT:.0f} s")


@contextlib.contextmanager
def local_server() -> Iterator[str]:
    """Run nx-27017 on a free 127.0.0.1 port in a temporary folder and yield its URI."""
    with tempfile.TemporaryDirectory(prefix="mongokv-server-") as folder:
        data = Path(folder)
        port = _free_port()
        log_file = data / "server.log"
        command = [
            *_server_command(),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            str(data / "data.sqlite"),
            "--log-file",
            str(log_file),
            "--pid-file",
            str(data / "server.pid"),
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder
        )
        uri = f"mongodb://127.0.0.1:{port}"
        try:
            _wait_for_ping(uri, process, log_file)
            yield uri
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def mongodb_uri() -> Iterator[str]:
    """Yield ``MONGODB_URI`` when it is set, or the URI of a new local server."""
    configured = os.environ.get("MONGODB_URI")
    if configured:
        yield configured
        return
    with local_server() as uri:
        yield uri


def main() -> int:
    command = sys.argv[1:]
    if not command:
        print(f"usage: {Path(sys.argv[0]).name} COMMAND [ARGUMENT ...]", file=sys.stderr)
        return 2

    with mongodb_uri() as uri:
        environment = {**os.environ, "MONGODB_URI": uri}
        return subprocess.run(command, env=environment, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
