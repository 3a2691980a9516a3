"""One configuration loader: explicit argument, then environment, then config.yml, then default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = REPO_ROOT / "config.yml"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class ShopConfig:
    name: str = "Demo Shop"
    name_zh: str = "演示商店"
    currency: str = "CNY"
    timezone: str = "Asia/Shanghai"
    service_hours: str = "09:00-21:00"


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite+aiosqlite:///var/shop.db"


@dataclass(frozen=True)
class RasaConfig:
    url: str = "http://127.0.0.1:5005"
    timeout_s: float = 30.0
    model_dir: str = "rasa_project/models"


@dataclass(frozen=True)
class ActionsConfig:
    url: str = "http://127.0.0.1:5055"
    host: str = "127.0.0.1"
    port: int = 5055


@dataclass(frozen=True)
class GatewayConfig:
    host: str = "0.0.0.0"
    port: int = 8000
    max_text_length: int = 2000


@dataclass(frozen=True)
class NluConfig:
    order_id_pattern: str = "[0-9]{12}"


@dataclass(frozen=True)
class OrdersConfig:
    cancellable_statuses: tuple[str, ...] = ("pending_payment", "paid")
    address_changeable_statuses: tuple[str, ...] = ("pending_payment", "paid")


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 20260315
    products: int = 200
    customers: int = 300
    orders: int = 3000


@dataclass(frozen=True)
class Secrets:
    """Secrets come from the environment only; None means not set."""

    admin_token: str | None = None
    rasa_auth_token: str | None = None


@dataclass(frozen=True)
class Config:
    shop: ShopConfig = field(default_factory=ShopConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    rasa: RasaConfig = field(default_factory=RasaConfig)
    actions: ActionsConfig = field(default_factory=ActionsConfig)
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    nlu: NluConfig = field(default_factory=NluConfig)
    orders: OrdersConfig = field(default_factory=OrdersConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    secrets: Secrets = field(default_factory=Secrets)

    def require_admin_token(self) -> str:
        if not self.secrets.admin_token:
            raise ConfigError(
                "The environment variable `ADMIN_TOKEN` is required for the admin API; "
                "`make run` writes a generated one to .env."
            )
        return self.secrets.admin_token


# environment variable -> (section, key)
_ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "SHOP_DATABASE_URL": ("database", "url"),
    "RASA_URL": ("rasa", "url"),
    "ACTION_SERVER_URL": ("actions", "url"),
    "GATEWAY_HOST": ("gateway", "host"),
    "GATEWAY_PORT": ("gateway", "port"),
}

_SECTIONS: dict[str, type] = {
    "shop": ShopConfig,
    "database": DatabaseConfig,
    "rasa": RasaConfig,
    "actions": ActionsConfig,
    "gateway": GatewayConfig,
    "nlu": NluConfig,
    "orders": OrdersConfig,
    "demo": DemoConfig,
}


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    where = f"`{section}.{key}`"
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
            return value.lower() in {"true", "1"}
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be an integer, got {value!r}") from None
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, got {value!r}") from None
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        return tuple(str(v) for v in value)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r}")
    return value


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    """Load settings: ``overrides``, then environment, then the YAML file, then defaults."""
    env = os.environ if env is None else env
    path = Path(path or env.get("SHOP_CONFIG") or DEFAULT_CONFIG_PATH)
    raw: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(
                f"{path} must hold a mapping of sections, got {type(loaded).__name__}"
            )
        raw = loaded
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)}"
        )

    merged: dict[str, dict[str, Any]] = {name: dict(raw.get(name) or {}) for name in _SECTIONS}
    for var, (section, key) in _ENV_OVERRIDES.items():
        if env.get(var):
            merged[section][key] = env[var]
    for section, values in (overrides or {}).items():
        merged.setdefault(section, {}).update(values)

    built: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        defaults = cls()
        known = set(defaults.__dataclass_fields__)
        extra = set(merged[name]) - known
        if extra:
            raise ConfigError(
                f"{path}: unknown key(s) {sorted(extra)} in `{name}`; known: {sorted(known)}"
            )
        kwargs = {
            key: _coerce(name, key, value, getattr(defaults, key))
            for key, value in merged[name].items()
        }
        built[name] = cls(**kwargs)

    secrets = Secrets(
        admin_token=env.get("ADMIN_TOKEN") or None,
        rasa_auth_token=env.get("RASA_AUTH_TOKEN") or None,
    )
    return Config(secrets=secrets, **built)


def resolve_sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL (relative paths are relative to the repository root)."""
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        return None
    raw = url[len(prefix) :]
    p = Path(raw)
    return p if p.is_absolute() else REPO_ROOT / p
