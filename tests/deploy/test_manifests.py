"""deploy/: the compose file, the Kubernetes manifests and the Dockerfiles agree with the code.

No image is built here: the checks read the files. Commands are checked against the project's
own command line, environment variables against what the code reads, ports between Services,
probes and commands. Names other branches are adding are in inventory.PENDING_*.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.cli import build_parser
from bot.config import _ENV_OVERRIDES, SECRET_ENV, load_config
from bot.launcher import GENERATED_SECRETS
from scripts.k8s_configmap import render as render_configmap
from tests.deploy.inventory import (
    APP_IMAGE,
    COMPOSE,
    DEPLOY,
    K8S,
    PENDING_COMMANDS,
    PENDING_ENV,
    RASA_IMAGE,
    ROOT,
    SCALE_ENDPOINT_VARS,
    SCALE_ENDPOINTS,
    THIRD_PARTY_ENV,
    Container,
    all_containers,
    compose_containers,
    compose_interpolated,
    env_example_names,
    k8s_containers,
    k8s_documents,
    load_compose,
    names_in_code,
    pod_spec,
    secret_template,
    yaml_variables,
)

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
BOT_COMMANDS = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
PENDING_MISSING = [name for name in PENDING_COMMANDS if name not in BOT_COMMANDS]


def _pending(condition: bool, what: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(
        condition,
        reason=f"{what} is added by another branch (tests/deploy/inventory.py)",
        strict=True,
    )


# --- the files parse ------------------------------------------------------------------------
def test_yaml_files_parse() -> None:
    compose = load_compose()
    assert set(compose["services"]) >= {"postgres", "redis", "rabbitmq", "migrate"}
    kinds = [doc["kind"] for _, doc in k8s_documents()]
    for kind in ("Deployment", "Service", "ConfigMap", "Secret", "Job"):
        assert kind in kinds, f"deploy/k8s has no {kind}"


def test_compose_runs_two_of_each_and_one_consumer() -> None:
    """Two Rasa, two action servers, two gateways, one analytics consumer, one migration."""

    def count(pred: Any) -> int:
        return sum(1 for c in compose_containers() if pred(c))

    assert count(lambda c: c.image == RASA_IMAGE) == 2
    assert count(lambda c: c.command[:3] == ["python", "-m", "bot.actions.server"]) == 2
    assert count(lambda c: c.command == ["python", "-m", "bot.gateway"]) == 2
    assert count(lambda c: c.command[3:] == ["analytics-consumer"]) == 1
    assert count(lambda c: c.command[3:] == ["migrate"]) == 1


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    resources = set(kustomization["resources"])
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert resources == manifests - {"secret.yaml"}


def test_kubectl_kustomize_builds_the_manifests() -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize` cannot be checked")
    out = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(out.stdout) if d]
    assert kinds.count("Deployment") == 4 and "Job" in kinds and "Secret" not in kinds


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    if shutil.which("docker") is None:
        pytest.skip("docker is not installed")
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker is installed without the compose plugin (`docker compose` fails)")
    env = {**os.environ, **{name: "x" * 24 for name in compose_interpolated()}}
    out = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr


# --- commands -------------------------------------------------------------------------------
def _python_commands() -> list[tuple[str, list[str]]]:
    found = []
    for c in all_containers():
        found += [(c.where, line) for line in c.python_commands()]
        for probe in c.probes:
            test = probe.get("test") or probe.get("exec", {}).get("command")
            if test:
                found.append((f"{c.where} (probe)", [a for a in test if a != "CMD"]))
    return found


def _bot_subcommands() -> set[str]:
    return {line[3] for _, line in _python_commands() if line[:3] == ["python", "-m", "bot"]}


def test_every_container_command_is_known() -> None:
    """Every command is `python -m bot <command>`, the gateway, the action server or one of the
    scripts in deploy/: nothing else is run."""
    for where, line in _python_commands():
        if line[:2] == ["python", "-m"]:
            assert line[2] in ("bot", "bot.gateway", "bot.actions.server"), f"{where}: {line}"
        else:
            script = line[1].removeprefix("/app/")
            assert script in ("deploy/rasa_run.py", "deploy/probe.py"), f"{where}: {line}"
            assert (ROOT / script).is_file(), f"{where}: {script} is missing"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(name, marks=_pending(name in PENDING_MISSING, name))
        for name in sorted(_bot_subcommands() | set(PENDING_COMMANDS))
    ],
)
def test_bot_command_exists(command: str) -> None:
    """`python -m bot <command> --help` exits 0 for each command a container runs."""
    assert command in _bot_subcommands() or command in PENDING_COMMANDS
    assert command in BOT_COMMANDS, f"`python -m bot {command}` is not a command"
    out = subprocess.run(
        [sys.executable, "-m", "bot", command, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr


def test_gateway_and_action_server_command_lines() -> None:
    gateway = subprocess.run(
        [sys.executable, "-m", "bot.gateway", "--help"], cwd=ROOT, capture_output=True, timeout=60
    )
    assert gateway.returncode == 0, gateway.stderr
    sdk = subprocess.run(
        [sys.executable, "-m", "bot.actions.server", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sdk.returncode == 0, sdk.stderr
    for where, line in _python_commands():
        if line[:3] == ["python", "-m", "bot.actions.server"]:
            flags = [a for a in line[3:] if a.startswith("-")]
            assert all(f" {flag} " in sdk.stdout for flag in flags), f"{where}: {flags}"
            assert line[line.index("--actions") + 1] == "bot.actions", where


def _rasa_commands() -> list[tuple[Container, list[str]]]:
    return [
        (c, line[2:])
        for c in all_containers()
        for line in c.python_commands()
        if line[1].endswith("deploy/rasa_run.py")
    ]


def test_rasa_command_matches_the_launcher() -> None:
    """The flags of bot.launcher's Rasa command line, on 0.0.0.0, with the scale endpoints."""
    for container, args in _rasa_commands():
        assert args[:2] == ["run", "--enable-api"], container.where
        opts = dict(zip(args[2::2], args[3::2], strict=True))
        assert opts["-i"] == "0.0.0.0", container.where
        assert opts["--endpoints"] == "endpoints.scale.yml", container.where
        assert opts["--credentials"] == "credentials.yml", container.where
        assert (ROOT / "rasa_project" / opts["--credentials"]).is_file()
        assert opts["--model"] == "models/shop.tar.gz", container.where
        assert "--auth-token" not in args, f"{container.where}: the token goes via the env"
    assert len(_rasa_commands()) == 3  # rasa-1, rasa-2 in compose (the CMD); the Deployment


def test_rasa_accepts_the_flags() -> None:
    if not RASA_PYTHON.exists():
        pytest.skip(".venv-rasa is missing: run `make rasa-env`")
    out = subprocess.run(
        [str(RASA_PYTHON), str(DEPLOY / "rasa_run.py"), "run", "--help"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    assert out.returncode == 0, out.stderr
    for _, args in _rasa_commands():
        for flag in (a for a in args[1:] if a.startswith("-")):
            assert re.search(rf"(^|[\s,]){re.escape(flag)}[\s,]", out.stdout), flag


@_pending(not SCALE_ENDPOINTS.exists(), "rasa_project/endpoints.scale.yml")
def test_scale_endpoints_variables_are_the_ones_rasa_gets() -> None:
    wanted = yaml_variables(SCALE_ENDPOINTS)
    assert wanted - {"ACTION_ENDPOINT_URL"} == SCALE_ENDPOINT_VARS
    for c in all_containers():
        if c.image == RASA_IMAGE:
            assert wanted <= set(c.env), f"{c.where} misses {sorted(wanted - set(c.env))}"


# --- environment variables --------------------------------------------------------------------
def _third_party_reads(name: str) -> bool:
    import importlib.util

    package = THIRD_PARTY_ENV[name]
    if package is None:
        return True
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, package
    source = Path(next(iter(spec.submodule_search_locations)))
    return any(name in p.read_text(errors="replace") for p in source.rglob("*.py"))


def _read_by_code() -> set[str]:
    return names_in_code() | {n for n in THIRD_PARTY_ENV if _third_party_reads(n)}


def test_every_variable_set_is_read_by_the_code() -> None:
    known = _read_by_code() | SCALE_ENDPOINT_VARS | set(PENDING_ENV)
    for c in all_containers():
        unknown = set(c.env) - known
        assert not unknown, f"{c.where} sets {sorted(unknown)}, which nothing reads"
    unknown = set(secret_template()) - known
    assert not unknown, f"the Secret template has {sorted(unknown)}, which nothing reads"


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=_pending(n not in names_in_code(), n)) for n in PENDING_ENV],
)
def test_pending_variable_is_read_by_the_code(name: str) -> None:
    assert name in names_in_code()


def _set_in(c: Container) -> set[str]:
    return set(c.env) | (set(secret_template()) if c.env_from_secret else set())


def test_every_required_variable_is_set() -> None:
    """The gateway needs the database, Rasa, the action server and the secrets the launcher
    generates for `make run`; the action server and the one-shot commands the database; Rasa
    its token and the action endpoint."""
    app_needs = {"SHOP_DATABASE_URL"}
    gateway_needs = app_needs | {"RASA_URL", "ACTION_SERVER_URL", "GATEWAY_HOST", "GATEWAY_PORT"}
    gateway_needs |= set(GENERATED_SECRETS)
    rasa_needs = {"RASA_AUTH_TOKEN", "ACTION_ENDPOINT_URL"}
    for c in all_containers():
        if c.image == RASA_IMAGE:
            needs = rasa_needs
        elif c.command == ["python", "-m", "bot.gateway"]:
            needs = gateway_needs
        else:
            needs = app_needs
        missing = needs - _set_in(c)
        assert not missing, f"{c.where} does not set {sorted(missing)}"
        if c.command[:3] == ["python", "-m", "bot.actions.server"]:
            assert c.env.get("SANIC_HOST") == "0.0.0.0", f"{c.where} listens on loopback only"


def test_k8s_secret_refs_exist_and_the_template_holds_no_secret() -> None:
    template = secret_template()
    for file, doc in k8s_documents():
        spec = pod_spec(doc)
        for c in (spec or {}).get("containers", []) + (spec or {}).get("initContainers", []):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "shop-secrets" and ref["key"] in template, (file, e)
    secretish = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$|URL|USER|HOST")
    filled = {k: v for k, v in template.items() if secretish.search(k) and v}
    assert not filled, f"the Secret template has values: {sorted(filled)}"


def test_env_example_lists_every_variable_the_code_reads() -> None:
    listed = env_example_names()
    expected = set(SECRET_ENV.values()) | set(_ENV_OVERRIDES) | {"SHOP_CONFIG"}
    expected |= {name for c in all_containers() for name in c.env}
    expected |= set(secret_template()) | compose_interpolated()
    missing = expected - set(listed)
    assert not missing, f"deploy/.env.example does not list {sorted(missing)}"
    known = _read_by_code() | SCALE_ENDPOINT_VARS | set(PENDING_ENV) | compose_interpolated()
    unknown = set(listed) - known
    assert not unknown, f"deploy/.env.example lists {sorted(unknown)}, which nothing reads"
    # Set there: every value is empty (a template); what compose sets itself is a comment.
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if re.match(r"^[A-Z][A-Z0-9_]+=", line):
            assert line.endswith("="), f"deploy/.env.example has a value: {line}"


def test_compose_requires_the_generated_secrets() -> None:
    """Compose refuses to start without them (${NAME:?...}) instead of running unsigned."""
    text = COMPOSE.read_text(encoding="utf-8")
    for name in GENERATED_SECRETS:
        assert re.search(rf"\$\{{{name}:\?", text), name


def test_configmap_is_config_yml_with_the_demo_picker_off(tmp_path: Path) -> None:
    text = (K8S / "configmap.yaml").read_text(encoding="utf-8")
    expected = render_configmap((ROOT / "config.yml").read_text(encoding="utf-8"))
    assert text == expected, "deploy/k8s/configmap.yaml is stale: run `make k8s-config`"
    docs = [doc for _, doc in k8s_documents() if doc.get("kind") == "ConfigMap"]
    path = tmp_path / "config.yml"
    path.write_text(docs[0]["data"]["config.yml"], encoding="utf-8")
    deployed = load_config(path=path, env={})
    repo = load_config(path=ROOT / "config.yml", env={})
    assert deployed.web.demo_picker is False
    assert deployed.web.__class__(**{**repo.web.__dict__, "demo_picker": False}) == deployed.web

    def same(cfg: Any) -> dict[str, Any]:
        """Everything but the web section and where the policies overlay is looked for (next
        to each config file; tests point the repository's elsewhere)."""
        found = {k: v for k, v in cfg.__dict__.items() if k != "web"}
        found["studio"] = dataclasses.replace(cfg.studio, policies_file="")
        return found

    assert same(deployed) == same(repo)
    for c in k8s_containers():
        if c.image == APP_IMAGE:
            assert c.env.get("SHOP_CONFIG") == "/etc/shopbot/config.yml", c.where


def test_configmap_render_refuses_a_config_without_the_overridden_line() -> None:
    with pytest.raises(ValueError, match="demo_picker"):
        render_configmap("web:\n  demo_picker: true\n")


# --- order and ports ------------------------------------------------------------------------
def test_compose_depends_on_names_exist_and_migrate_runs_first() -> None:
    services = load_compose()["services"]
    for name, service in services.items():
        for dep, rule in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep}'s health check"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"].get("restart") == "no"
    for name, service in services.items():
        if service.get("image") == APP_IMAGE and name != "migrate":
            rule = service["depends_on"]["migrate"]["condition"]
            assert rule == "service_completed_successfully", name


def test_k8s_app_pods_wait_for_the_migration() -> None:
    for file, doc in k8s_documents():
        if doc.get("kind") != "Deployment":
            continue
        spec = pod_spec(doc)
        assert spec is not None
        if spec["containers"][0]["image"] != APP_IMAGE:
            continue
        waits = [" ".join(c["command"]) for c in spec.get("initContainers", []) if "command" in c]
        assert any("python -m bot migrate --check" in w for w in waits), file


_URL_VARS = (
    "RASA_URL",
    "RASA_URLS",
    "ACTION_SERVER_URL",
    "ACTION_SERVER_URLS",
    "ACTION_ENDPOINT_URL",
)


def _url_port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, url
    return port


def test_compose_ports_agree() -> None:
    services = load_compose()["services"]
    listening = {c.where.split(":", 1)[1]: c.ports for c in compose_containers()}
    listening.update({n: [5005] for n, s in services.items() if s.get("image") == RASA_IMAGE})
    for c in compose_containers():
        for probe in c.probes:
            url = next(a for a in probe["test"] if a.startswith("http://"))
            assert _url_port(url) in listening[c.where.split(":", 1)[1]], c.where
        for var in _URL_VARS:
            for url in filter(None, c.env.get(var, "").split(",")):
                parts = urlsplit(url)
                assert parts.hostname in services, f"{c.where}: {var} names no service"
                assert parts.port in listening[parts.hostname], f"{c.where}: {var} port"
        name = c.where.split(":", 1)[1]
        for mapping in services[name].get("ports", []):
            assert int(str(mapping).rsplit(":", 1)[1]) in c.ports, f"{name}: {mapping}"


def _probe_ports(probe: dict[str, Any]) -> list[int]:
    ports = [probe[k]["port"] for k in ("httpGet", "tcpSocket") if k in probe]
    for arg in probe.get("exec", {}).get("command", []):
        if arg.startswith("http://"):
            ports.append(_url_port(arg))
    return ports


def test_k8s_ports_agree() -> None:
    deployments = {
        doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] == "Deployment"
    }
    services = {
        doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] == "Service"
    }
    by_name = {c.where.split(":")[2].split("/")[0]: c for c in k8s_containers() if not c.init}
    for name, c in by_name.items():
        command_port = 5005 if c.image == RASA_IMAGE else None
        for line in c.python_commands():
            if "-p" in line:
                command_port = int(line[line.index("-p") + 1])
        if "GATEWAY_PORT" in c.env:
            command_port = int(c.env["GATEWAY_PORT"])
        if c.ports:
            assert c.ports == [command_port], f"{name}: containerPort vs command"
        for probe in c.probes:
            assert all(p in c.ports for p in _probe_ports(probe)), f"{name}: probe port"
    for name, service in services.items():
        selector = service["spec"]["selector"]
        target = deployments[name]
        assert target["spec"]["template"]["metadata"]["labels"].items() >= selector.items()
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in by_name[name].ports, f"Service {name}: targetPort"
    for c in k8s_containers():
        for var in _URL_VARS:
            for url in filter(None, c.env.get(var, "").split(",")):
                parts = urlsplit(url)
                assert parts.hostname in services, f"{c.where}: {var} names no Service"
                ports = [p["port"] for p in services[parts.hostname]["spec"]["ports"]]
                assert parts.port in ports, f"{c.where}: {var} port"


def test_k8s_deployments_have_probes_and_resource_requests() -> None:
    for file, doc in k8s_documents():
        spec = pod_spec(doc)
        if spec is None:
            continue
        for c in spec["containers"] + spec.get("initContainers", []):
            requests = c.get("resources", {}).get("requests", {})
            assert {"cpu", "memory"} <= set(requests), f"{file}: {c['name']} has no requests"
        if doc["kind"] == "Deployment" and spec["containers"][0].get("ports"):
            main = spec["containers"][0]
            assert "readinessProbe" in main and "livenessProbe" in main, file


# --- Dockerfiles ----------------------------------------------------------------------------
def _instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _tracked(path: str) -> bool:
    if not (ROOT / ".git").exists():
        return (ROOT / path).exists()
    out = subprocess.run(["git", "ls-files", "--", path], cwd=ROOT, capture_output=True, text=True)
    return bool(out.stdout.strip())


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.rasa"])
def test_copy_sources_exist_in_the_repository(dockerfile: str) -> None:
    ignored = _dockerignore()
    copies = [args for op, args in _instructions(DEPLOY / dockerfile) if op == "COPY"]
    assert copies
    for args in copies:
        parts = [a for a in args.split() if not a.startswith("--")]
        for source in parts[:-1]:
            assert (ROOT / source).exists() and _tracked(source), f"{dockerfile}: {source}"
            bare = source.rstrip("/")
            hit = [p for p in ignored if fnmatch.fnmatch(bare, p) or bare.startswith(p + "/")]
            assert not hit, f"{dockerfile}: {source} is excluded by .dockerignore {hit}"


def test_dockerfiles_install_from_the_lock_files() -> None:
    app = _instructions(DEPLOY / "Dockerfile")
    rasa = _instructions(DEPLOY / "Dockerfile.rasa")
    assert app[0] == ("FROM", "python:3.11-slim-bookworm")
    assert rasa[0] == ("FROM", "python:3.10-slim-bookworm")
    runs = [args for op, args in app if op == "RUN"]
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in runs[0]
    assert any("pip install -r requirements.lock" in r for r in runs)
    assert any("pip install -r requirements-rasa.lock" in r for op, r in rasa if op == "RUN")
    rasa_version = (ROOT / "requirements-rasa.lock").read_text(encoding="utf-8")
    assert "\nrasa==3.6.21\n" in rasa_version
    for op, args in app + rasa:
        if op == "USER":
            assert args not in ("root", "0")
    assert any(op == "USER" for op, _ in app) and any(op == "USER" for op, _ in rasa)


def test_dockerignore_keeps_secrets_and_environments_out() -> None:
    ignored = set(_dockerignore())
    assert {".env", "deploy/.env", ".venv", ".venv-rasa", "var", ".git"} <= ignored
    assert not any(p.startswith("rasa_project/models") for p in ignored)


def test_compose_builds_from_the_repository_root() -> None:
    for name, service in load_compose()["services"].items():
        build = service.get("build")
        if build:
            assert (COMPOSE.parent / build["context"]).resolve() == ROOT, name
            assert (ROOT / build["dockerfile"]).is_file(), name


def test_readme_deploy_commands_exist() -> None:
    """The `python -m ...` commands the README's deploying section tells people to run."""
    import importlib.util

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Deploying (Docker, Compose, Kubernetes)")
    section = readme[start : readme.index("\n## ", start + 1)]
    commands = re.findall(r"python -m ([\w.]+)(?: ([a-z][a-z-]*))?", section)
    assert ("bot", "seed") in commands
    for module, sub in commands:
        assert importlib.util.find_spec(module) is not None, module
        if module == "bot" and sub:
            assert sub in BOT_COMMANDS or sub in PENDING_COMMANDS, f"python -m bot {sub}"


def test_compose_gateways_fail_over_to_every_rasa_own_lane_first() -> None:
    services = load_compose()["services"]
    rasas = sorted(n for n, s in services.items() if s.get("image") == RASA_IMAGE)
    for c in compose_containers():
        if c.command != ["python", "-m", "bot.gateway"]:
            continue
        rasa_urls = c.env["RASA_URLS"].split(",")
        actions_urls = c.env["ACTION_SERVER_URLS"].split(",")
        assert sorted(urlsplit(u).hostname or "" for u in rasa_urls) == rasas, c.where
        assert rasa_urls[0] == c.env["RASA_URL"], c.where
        assert actions_urls[0] == c.env["ACTION_SERVER_URL"], c.where
        # Rasa i calls action server i: the two lists are in the same lane order.
        for rasa_url, actions_url in zip(rasa_urls, actions_urls, strict=True):
            endpoint = services[urlsplit(rasa_url).hostname or ""]["environment"]
            assert endpoint["ACTION_ENDPOINT_URL"] == f"{actions_url}/webhook", c.where
