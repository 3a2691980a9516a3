"""What the deployment files under deploy/ run: every container of the compose file and of the
Kubernetes manifests with its command, environment, ports and probes, read from the YAML.

Shared by the tests in this folder; nothing here starts a container.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yml"
K8S = DEPLOY / "k8s"
ENV_EXAMPLE = DEPLOY / ".env.example"
SCALE_ENDPOINTS = ROOT / "rasa_project" / "endpoints.scale.yml"
APP_IMAGE = "shopbot-app:latest"
RASA_IMAGE = "shopbot-rasa:latest"

# Names other branches are adding at the same time (wt-migrate: `python -m bot migrate`;
# wt-scale: `python -m bot analytics-consumer` and the variables it reads, the gateways' Rasa
# failover lists, rasa_project/endpoints.scale.yml; wt-obs and wt-share: settings that
# deploy/.env.example lists). The names are those of the branches' commits at 15:17 UTC. The
# tests of these names are expected to fail (strict xfail) while the names are missing and run
# normally once they exist: at merge they must pass unchanged.
PENDING_COMMANDS = ("migrate", "analytics-consumer")
PENDING_ENV = (
    # wt-scale
    "RABBITMQ_URL",
    "RASA_EVENTS_QUEUE",
    "RASA_URLS",
    "ACTION_SERVER_URLS",
    "RASA_TIMEOUT_S",
    # wt-obs (15:17 UTC): metrics token, log format and levels
    "METRICS_TOKEN",
    "SHOP_LOG_FORMAT",
    "SHOP_LOG_LEVEL",
    "SHOP_ACTIONS_LOG_LEVEL",
    # wt-share (15:17 UTC): the media folder shared by gateway replicas
    "SHOP_MEDIA_DIR",
)
# What deploy/ sets for rasa_project/endpoints.scale.yml (${NAME} there).
SCALE_ENDPOINT_VARS = frozenset(
    {
        "TRACKER_DB_HOST",
        "TRACKER_DB_PORT",
        "TRACKER_DB_NAME",
        "TRACKER_DB_USER",
        "TRACKER_DB_PASSWORD",
        "LOCK_REDIS_HOST",
        "LOCK_REDIS_PORT",
        "LOCK_REDIS_DB",
        "LOCK_REDIS_PASSWORD",
        "LOCK_KEY_PREFIX",
        "BROKER_HOST",
        "BROKER_PORT",
        "BROKER_USER",
        "BROKER_PASSWORD",
        "BROKER_QUEUE",
    }
)

# Variables read by third-party code or Python itself: name -> (package whose source must
# contain the name, or None for the interpreter).
THIRD_PARTY_ENV: dict[str, str | None] = {
    "SANIC_HOST": "rasa_sdk",  # rasa_sdk/endpoint.py: the action server's interface
    "PYTHONPATH": None,
    "PYTHONUNBUFFERED": None,
}


@dataclass
class Container:
    """One container (or compose service) running one of the project's images."""

    where: str  # "compose:gateway-1", "k8s:gateway.yaml:shop-gateway/gateway", ...
    image: str
    command: list[str]
    env: dict[str, str]
    env_from_secret: bool = False  # k8s envFrom: the Secret shop-secrets
    ports: list[int] = field(default_factory=list)  # ports the container listens on
    probes: list[dict[str, Any]] = field(default_factory=list)
    init: bool = False

    def python_commands(self) -> list[list[str]]:
        """Each `python ...` command line in ``command`` (also inside `sh -c "..."`)."""
        if self.command[:2] == ["sh", "-c"]:
            parts = re.split(r";|&&|\|\||\bdo\b|\bdone\b|\buntil\b", self.command[2])
            lines = [shlex.split(p) for p in parts if p.strip()]
            return [line for line in lines if line and line[0] == "python"]
        return [self.command] if self.command and self.command[0] == "python" else []


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def k8s_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                yield path.name, doc


def dockerfile_cmd(path: Path) -> list[str]:
    """The exec-form CMD of a Dockerfile (the last one)."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    cmds = re.findall(r"^CMD\s+(\[.*\])\s*$", text, re.M)
    assert cmds, f"{path} has no exec-form CMD"
    command = json.loads(cmds[-1])
    assert isinstance(command, list)
    return [str(a) for a in command]


def _compose_command(service: dict[str, Any]) -> list[str]:
    """The service's command, else its image's CMD."""
    command = service.get("command")
    if command is None:
        return dockerfile_cmd(ROOT / service["build"]["dockerfile"])
    return list(command) if isinstance(command, list) else shlex.split(command)


def _port_of(command: list[str], env: dict[str, str]) -> int | None:
    """The port a project command listens on: its ``-p`` argument or GATEWAY_PORT."""
    if "-p" in command:
        return int(command[command.index("-p") + 1])
    if "GATEWAY_PORT" in env:
        return int(env["GATEWAY_PORT"])
    return None


def compose_containers() -> list[Container]:
    containers = []
    for name, service in load_compose()["services"].items():
        image = service.get("image", "")
        if image not in (APP_IMAGE, RASA_IMAGE):
            continue
        env = {k: str(v) for k, v in (service.get("environment") or {}).items()}
        command = _compose_command(service)
        port = _port_of(command, env)
        probes = [{"test": service["healthcheck"]["test"]}] if "healthcheck" in service else []
        containers.append(
            Container(
                where=f"compose:{name}",
                image=image,
                command=command,
                env=env,
                ports=[port] if port is not None else [],
                probes=probes,
            )
        )
    return containers


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc.get("kind") in ("Deployment", "Job"):
        spec: dict[str, Any] = doc["spec"]["template"]["spec"]
        return spec
    return None


def k8s_containers() -> list[Container]:
    containers = []
    for file, doc in k8s_documents():
        spec = pod_spec(doc)
        if spec is None:
            continue
        name = doc["metadata"]["name"]
        for init, items in ((True, spec.get("initContainers", [])), (False, spec["containers"])):
            for c in items:
                env = {e["name"]: str(e.get("value", "<secret>")) for e in c.get("env", [])}
                probes = [
                    c[p] for p in ("startupProbe", "livenessProbe", "readinessProbe") if p in c
                ]
                containers.append(
                    Container(
                        where=f"k8s:{file}:{name}/{c['name']}",
                        image=c["image"],
                        command=list(c.get("command", [])),
                        env=env,
                        env_from_secret=any(
                            e.get("secretRef", {}).get("name") == "shop-secrets"
                            for e in c.get("envFrom", [])
                        ),
                        ports=[p["containerPort"] for p in c.get("ports", [])],
                        probes=probes,
                        init=init,
                    )
                )
    return containers


def all_containers() -> list[Container]:
    return compose_containers() + k8s_containers()


def secret_template() -> dict[str, str]:
    docs = [doc for _, doc in k8s_documents() if doc.get("kind") == "Secret"]
    assert len(docs) == 1, "deploy/k8s has one Secret template"
    return {k: str(v) for k, v in docs[0]["stringData"].items()}


def env_example_names() -> dict[str, bool]:
    """Names in deploy/.env.example -> True when set there, False when listed as a comment."""
    names: dict[str, bool] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^(#\s*)?([A-Z][A-Z0-9_]+)=", line):
            names[m.group(2)] = m.group(1) is None
    return names


def compose_interpolated() -> set[str]:
    """Names compose substitutes (${NAME}, ${NAME:?...}); $$NAME is the container's own."""
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))


def yaml_variables(path: Path) -> set[str]:
    """${NAME} references in a Rasa YAML file (Rasa reads them from the environment)."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", path.read_text(encoding="utf-8")))


def names_in_code() -> set[str]:
    """Upper-case string constants in bot/ and adapters/ and ${NAME} in rasa_project/*.yml:
    every environment variable the project reads is among them."""
    names: set[str] = set()
    for package in ("bot", "adapters"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", node.value)
                ):
                    names.add(node.value)
    for path in (ROOT / "rasa_project").glob("*.yml"):
        names |= yaml_variables(path)
    return names
