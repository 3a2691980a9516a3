"""Start Rasa, the action server and the gateway as child processes; stop them together.

Used by `make run` (foreground, Ctrl-C stops everything) and by the integration tests (on free
loopback ports, with their own database file).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bot.config import REPO_ROOT, SECRET_ENV, load_config, read_dotenv, resolve_sqlite_path
from bot.storage.db import normalise_url
from bot.storage.migrate import MigrationError, upgrade_url

RASA_DIR = REPO_ROOT / "rasa_project"
RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"
REDACTED = "***"
# What each process is called while ``make run`` waits for it.
READY_NAMES = {
    "actions": "the action server",
    "rasa": "Rasa (loading the model)",
    "gateway": "the gateway",
}

logger = logging.getLogger(__name__)

# Runs `rasa` with `--auth-token` added inside the process, from RASA_AUTH_TOKEN: the token never
# appears on a command line (`ps`, /proc/<pid>/cmdline) and the variable is gone before Rasa runs.
RASA_TOKEN_SHIM = (
    "import os, sys; "
    "token = os.environ.pop('RASA_AUTH_TOKEN', ''); "
    "sys.argv = ['rasa', *sys.argv[1:]] + (['--auth-token=' + token] if token else []); "
    "from rasa.__main__ import main; main()"
)


def redact(text: str, secret_values: Iterable[str | None]) -> str:
    """``text`` with every secret value (8 characters or more) replaced by ``***``."""
    for value in secret_values:
        if value and len(value) >= 8:
            text = text.replace(value, REDACTED)
    return text


def _pump(source: IO[bytes], sink: IO[bytes], secret_values: Sequence[str]) -> None:
    """Copy a child's output into its log file line by line, secrets redacted."""
    needles = [v.encode() for v in secret_values if v and len(v) >= 8]
    try:
        for line in iter(source.readline, b""):
            for needle in needles:
                line = line.replace(needle, REDACTED.encode())
            sink.write(line)
            sink.flush()
    finally:
        source.close()
        sink.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class StackPorts:
    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8000
    gateway_host: str = "0.0.0.0"

    @classmethod
    def free_loopback(cls) -> StackPorts:
        """Free ports on 127.0.0.1 for a private stack (tests, benchmarks)."""
        return cls(free_port(), free_port(), free_port(), "127.0.0.1")


@dataclass
class Stack:
    """The three processes of a running assistant."""

    ports: StackPorts
    database_url: str
    log_dir: Path
    model_path: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # The scale profile: Rasa's endpoints file (else chosen by the database) and the suffix of
    # this lane's log files (``rasa-1.log``).
    endpoints: str | None = None
    suffix: str = ""
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    pumps: list[threading.Thread] = field(default_factory=list)
    _generated_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["SHOP_DATABASE_URL"] = self.database_url
        env["RASA_URL"] = self.rasa_url
        env["ACTION_SERVER_URL"] = self.actions_url
        env["GATEWAY_PORT"] = str(self.ports.gateway)
        env["GATEWAY_HOST"] = self.ports.gateway_host
        # Where Rasa calls the actions; extra_env may put something in between (fault tests).
        env["ACTION_ENDPOINT_URL"] = (
            self.extra_env.get("ACTION_ENDPOINT_URL") or f"{self.actions_url}/webhook"
        )
        sqlite_path = resolve_sqlite_path(normalise_url(self.database_url))
        if sqlite_path is not None:
            env["RASA_TRACKER_STORE_DB"] = str(sqlite_path)
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env["PYTHONUNBUFFERED"] = "1"
        # Rasa's HTTP API always requires a token: the one configured, else a random one for
        # this stack (Rasa and the gateway get the same).
        if not env.get("RASA_AUTH_TOKEN"):
            env["RASA_AUTH_TOKEN"] = self._generated_token
        return env

    @property
    def rasa_auth_token(self) -> str:
        """The token Rasa's HTTP API requires (``?token=``)."""
        return self._env()["RASA_AUTH_TOKEN"]

    def _secrets(self, env: Mapping[str, str]) -> list[str]:
        # The scale profile's service passwords (bot/launcher_scale.py) too.
        stores = ("TRACKER_DB_PASSWORD", "LOCK_REDIS_PASSWORD", "BROKER_PASSWORD")
        names = ("RASA_AUTH_TOKEN", *GENERATED_SECRETS, *SECRET_ENV.values(), *stores)
        return [env[name] for name in names if env.get(name)]

    def _spawn(self, name: str, cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
        """Start one child; its output goes to ``<log_dir>/<name>.log`` with secrets redacted."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        secret_values = self._secrets(env)
        logger.info("Starting %s: %s", name, redact(" ".join(cmd), secret_values))
        log = open(self.log_dir / f"{name}{self.suffix}.log", "ab")  # noqa: SIM115 - closed by the pump
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert proc.stdout is not None
        pump = threading.Thread(
            target=_pump, args=(proc.stdout, log, secret_values), name=f"log-{name}", daemon=True
        )
        pump.start()
        self.procs[name] = proc
        self.pumps.append(pump)

    def start(self, *, gateway: bool = True) -> None:
        """Start the action server, Rasa and (unless ``gateway`` is False) the gateway."""
        if not RASA_BIN.exists() or not RASA_PYTHON.exists():
            raise RuntimeError(f"{RASA_BIN} is missing: run `make rasa-env` first")
        if not self.model_path.exists():
            raise RuntimeError(f"no trained model at {self.model_path}: run `make train` first")
        env = self._env()
        python = sys.executable
        self.start_actions()
        rasa_env = dict(env)
        rasa_env["PYTHONPATH"] = str(RASA_DIR)
        if self.endpoints is not None:
            endpoints = self.endpoints
        elif sqlite_path := env.get("RASA_TRACKER_STORE_DB"):
            endpoints = "endpoints.yml"
            rasa_env["RASA_TRACKER_STORE_DB"] = sqlite_path
        else:
            endpoints = "endpoints.memory.yml"
        self._spawn("rasa", self.rasa_command(endpoints), RASA_DIR, rasa_env)
        if gateway:
            self._spawn("gateway", [python, "-m", "bot.gateway"], REPO_ROOT, env)

    def rasa_command(self, endpoints: str) -> list[str]:
        """Rasa's command line (the token is added inside the process, RASA_TOKEN_SHIM)."""
        return [
            str(RASA_PYTHON),
            "-c",
            RASA_TOKEN_SHIM,
            "run",
            "--enable-api",
            "-i",
            "127.0.0.1",
            "-p",
            str(self.ports.rasa),
            "--model",
            str(self.model_path),
            "--endpoints",
            endpoints,
            "--credentials",
            "credentials.yml",
        ]

    def start_actions(self) -> None:
        """Start the action server (again, after :meth:`kill`)."""
        env = dict(self._env(), SANIC_HOST="127.0.0.1")
        # rasa-sdk's server with the shop's log format and GET /metrics (bot/actions/server.py)
        cmd = [sys.executable, "-m", "bot.actions.server", "--actions", "bot.actions"]
        self._spawn("actions", [*cmd, "-p", str(self.ports.actions)], REPO_ROOT, env)

    def start_one(self, name: str) -> None:
        """Start one process again after :meth:`kill` (fault tests, the scale profile)."""
        if name == "actions":
            self.start_actions()
            return
        env = self._env()
        if name == "gateway":
            self._spawn("gateway", [sys.executable, "-m", "bot.gateway"], REPO_ROOT, env)
            return
        if name != "rasa" or self.endpoints is None:
            raise ValueError(f"cannot restart {name!r} alone")
        rasa_env = dict(env, PYTHONPATH=str(RASA_DIR))
        self._spawn("rasa", self.rasa_command(self.endpoints), RASA_DIR, rasa_env)

    def kill(self, name: str) -> None:
        """Kill one process at once (SIGKILL), as a crash would (fault tests)."""
        proc = self.procs.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def wait_ready(
        self,
        timeout_s: float = 240.0,
        *,
        only: Iterable[str] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        """Block until every process (or those in ``only``) answers its health URL; raise with
        the log tail if not. ``say`` gets a line when each is ready and every 10 s while some
        are still starting (``make run`` prints them)."""
        checks = {
            "actions": f"{self.actions_url}/health",
            "rasa": f"{self.rasa_url}/",
            "gateway": f"{self.gateway_url}/healthz",
        }
        started = time.monotonic()
        deadline = started + timeout_s
        next_note = started + 10.0
        pending = {n: u for n, u in checks.items() if only is None or n in set(only)}
        while pending:
            for name, url in list(pending.items()):
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    tail = self.log_tail(name)
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")
                try:
                    with urllib.request.urlopen(url, timeout=2) as resp:
                        if resp.status == 200:
                            del pending[name]
                            if say is not None:
                                took = time.monotonic() - started
                                say(f"  {READY_NAMES.get(name, name)} ready after {took:.0f} s")
                except (urllib.error.URLError, OSError):
                    pass
            if pending and time.monotonic() > deadline:
                tails = "\n".join(f"--- {n}\n{self.log_tail(n)}" for n in pending)
                raise RuntimeError(f"not ready after {timeout_s:.0f}s: {sorted(pending)}\n{tails}")
            if pending and say is not None and time.monotonic() >= next_note:
                next_note += 10.0
                waiting = ", ".join(READY_NAMES.get(n, n) for n in sorted(pending))
                say(f"  still starting after {time.monotonic() - started:.0f} s: {waiting}")
            if pending:
                time.sleep(0.5)

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}{self.suffix}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout_s: float = 15.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for pump in self.pumps:
            pump.join(timeout=2.0)
        self.procs.clear()
        self.pumps.clear()


def default_model_path() -> Path:
    return RASA_DIR / "models" / "shop.tar.gz"


@contextmanager
def seeded_stack(
    tmp: Path, extra_env: Mapping[str, str], model: Path | None = None
) -> Iterator[Stack]:
    """The assistant as ``make run`` starts it, on a freshly seeded SQLite shop in ``tmp`` and
    free loopback ports, ready; stopped on exit (the bench, the held-out NLU evaluation)."""
    model = model or default_model_path()
    if not model.exists():
        raise FileNotFoundError(f"no trained model at {model}: run `make train` first")
    db_url = f"sqlite+aiosqlite:///{tmp}/shop.db"
    env = {**os.environ, "SHOP_DATABASE_URL": db_url}
    subprocess.run([sys.executable, "-m", "bot", "seed"], env=env, check=True)
    stack = Stack(
        ports=StackPorts.free_loopback(),
        database_url=db_url,
        log_dir=tmp / "logs",
        model_path=model,
        # Nothing run this way may teach the repository's recommendation bandit.
        extra_env={"SHOP_RECOMMEND_BANDIT_PATH": str(tmp / "bandit.json"), **extra_env},
    )
    stack.start()
    try:
        stack.wait_ready()
        yield stack
    finally:
        stack.stop()


GENERATED_SECRETS = ("ADMIN_TOKEN", "WEB_IDENTITY_SECRET", "RASA_AUTH_TOKEN", "LINK_SECRET")


def load_dotenv(path: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Read KEY=VALUE lines into ``environ`` without overriding variables already set.

    Secrets in GENERATED_SECRETS that are set nowhere are generated and appended to the file.
    Returns the names that were generated.
    """
    import secrets

    read_dotenv(path, environ)
    generated = [name for name in GENERATED_SECRETS if not environ.get(name)]
    if generated:
        with path.open("a", encoding="utf-8") as fh:
            for name in generated:
                value = secrets.token_urlsafe(24)
                fh.write(f"{name}={value}\n")
                environ[name] = value
        path.chmod(0o600)
    return generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Rasa, the action server and the gateway.")
    parser.add_argument("--log-dir", default=str(REPO_ROOT / "var" / "log"))
    parser.add_argument("--dotenv", default=None, help="file with KEY=VALUE secrets (git-ignored)")
    parser.add_argument(
        "--profile",
        choices=("embedded", "scale"),
        default="embedded",
        help="embedded: one of each on SQLite (default); scale: two of each on PostgreSQL, "
        "Redis and RabbitMQ (README 'Scale profile')",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="scale profile: create the database and its tables, then exit",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.dotenv:
        for name in load_dotenv(Path(args.dotenv), os.environ):
            print(f"Generated {name} and wrote it to {args.dotenv}")
    from bot.launcher_scale import ScaleSettings, ScaleStack

    stack: Stack | ScaleStack
    if args.profile == "scale":
        try:
            settings = ScaleSettings.from_env(os.environ)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.prepare_only:
            import asyncio

            from sqlalchemy.engine import make_url

            from bot.launcher_scale import prepare_database

            created = asyncio.run(prepare_database(settings.database_url))
            shown = make_url(settings.database_url).render_as_string(hide_password=True)
            print(("Created" if created else "Prepared") + f" the database {shown}")
            return 0
        stack = ScaleStack(settings, Path(args.log_dir), default_model_path())
        gateways = ", ".join(f"http://127.0.0.1:{p}/" for p in settings.gateway_ports)
        database_url = None  # ScaleStack.start creates the database, then migrates it
    else:
        cfg = load_config()
        stack = Stack(
            ports=StackPorts(
                rasa=int(cfg.rasa.url.rsplit(":", 1)[-1]),
                actions=cfg.actions.port,
                gateway=cfg.gateway.port,
                gateway_host=cfg.gateway.host,
            ),
            database_url=cfg.database.url,
            log_dir=Path(args.log_dir),
            model_path=default_model_path(),
        )
        gateways = f"http://127.0.0.1:{stack.ports.gateway}/"
        database_url = cfg.database.url
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:  # before any process starts: the gateway on PostgreSQL refuses a database behind head
        if database_url is not None:
            print(upgrade_url(database_url).describe())
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("Starting the action server, Rasa and the gateway (logs in", args.log_dir, ")")
    try:
        stack.start()
        stack.wait_ready(say=lambda line: print(line, flush=True))
        print(f"Ready. Web chat: {gateways}  (Ctrl-C stops)")
        while not stopping:
            for name, tail in _exited(stack):
                print(f"{name} stopped unexpectedly:\n{tail}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except (RuntimeError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        print("Stopping...")
        stack.stop()
    return 0


def _exited(stack: Any) -> list[tuple[str, str]]:
    if not isinstance(stack, Stack):
        return list(stack.stopped())
    return [(n, stack.log_tail(n)) for n, p in stack.procs.items() if p.poll() is not None]


if __name__ == "__main__":
    raise SystemExit(main())
