"""One configuration loader: explicit argument, then environment, then config.yml, then default."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config_sections import (
    AccessConfig as AccessConfig,
)
from bot.config_sections import (
    AftersalesConfig as AftersalesConfig,
)
from bot.config_sections import (
    ConfigError as ConfigError,
)
from bot.config_sections import (
    HandoffConfig as HandoffConfig,
)
from bot.config_sections import (
    InsightConfig as InsightConfig,
)
from bot.config_sections import (
    LlmConfig as LlmConfig,
)
from bot.config_sections import (
    ProactiveConfig as ProactiveConfig,
)
from bot.config_sections import (
    RecommendConfig as RecommendConfig,
)
from bot.config_sections import (
    StudioConfig as StudioConfig,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = REPO_ROOT / "config.yml"


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
    # Several Rasa servers sharing their trackers (the scale profile): tried in this order, the
    # next when one cannot be reached. Empty: ``url`` alone. Env: RASA_URLS (comma-separated).
    urls: tuple[str, ...] = ()
    timeout_s: float = 30.0
    model_dir: str = "rasa_project/models"


@dataclass(frozen=True)
class ActionsConfig:
    url: str = "http://127.0.0.1:5055"
    # The action server each of ``rasa.urls`` calls, in the same order (health checks).
    # Env: ACTION_SERVER_URLS (comma-separated).
    urls: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 5055


@dataclass(frozen=True)
class GatewayConfig:
    host: str = "0.0.0.0"
    port: int = 8000
    max_text_length: int = 2000


@dataclass(frozen=True)
class WebConfig:
    """The web chat's identities and limits (adapters/web, README "Signed web identity").

    The message and guest limits are token buckets: in this process, or with ``shared_limits``
    in the PostgreSQL database, where all gateway replicas count together. The push stream caps
    count this process's streams. 0 switches a limit off.
    """

    demo_picker: bool = False  # the page's demo customer picker and /api/chat/demo-identities
    messages_per_minute_per_sender: int = 20  # POST /api/chat per sender id
    messages_per_minute_per_ip: int = 60  # POST /api/chat per client address
    guests_per_minute_per_ip: int = 10  # POST /api/chat/guest per client address
    streams_per_sender: int = 3  # open push streams (GET /api/chat/events) per sender id
    streams_total: int = 1000  # open push streams in this gateway process
    # Rate limit buckets in the database, shared by the replicas: "auto" (on with PostgreSQL,
    # in-process with SQLite), "on" (PostgreSQL required) or "off" (in-process).
    shared_limits: str = "auto"
    # Header that holds the client's address when the gateway is behind a reverse proxy that
    # sets it (e.g. X-Real-IP); empty: the TCP peer's address. Only set it behind such a proxy:
    # clients can send any header themselves.
    client_ip_header: str = ""
    # Origins whose pages may call the public chat endpoints (the embedded widget on a shop's
    # own site): "*" any origin, else exact origins such as "https://shop.example".
    allowed_origins: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class NluConfig:
    order_id_pattern: str = "[0-9]{12}"
    # Two requests in one message ("cancel X and where is Y") answered in order
    # (bot.core.multi_intent): each part must be a request Rasa reads with this confidence.
    split_multi_intent: bool = True
    split_min_confidence: float = 0.5


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
class ChannelsConfig:
    """Which chat platforms the gateway serves and how it reaches them.

    ``telegram``/``slack``/``wechat``: "auto" (on when the channel's secrets are set), "on"
    (start-up fails naming the missing variable) or "off". Empty API base URLs mean the
    platform's public API.
    """

    public_url: str = ""  # the gateway's public https base URL, for images sent as links
    telegram: str = "auto"
    telegram_mode: str = "auto"  # webhook | polling | auto (webhook when a secret token is set)
    telegram_api_base_url: str = ""  # env TELEGRAM_API_BASE_URL
    slack: str = "auto"
    slack_mode: str = "auto"  # events | socket | auto (socket when SLACK_APP_TOKEN is set)
    slack_api_base_url: str = ""  # env SLACK_API_BASE_URL
    wechat: str = "auto"
    wechat_api_base_url: str = ""  # env WECHAT_API_BASE_URL
    wechat_passive_timeout_s: float = 4.5  # WeChat waits 5 s for a passive reply
    wechat_max_text_bytes: int = 2048  # longer answers are split into several messages
    telegram_max_text_chars: int = 4096
    slack_max_text_chars: int = 3000
    media_dir: str = "var/media"  # photos customers send, served at /media/<name>
    max_media_bytes: int = 10_000_000


@dataclass(frozen=True)
class DeliveryConfig:
    """The inbox (customer messages) and outbox (bot messages) workers."""

    poll_interval_s: float = 1.0  # how often due retries are looked for
    retry_base_s: float = 1.0  # first retry after this, doubling each time
    retry_max_s: float = 60.0
    outbox_max_attempts: int = 12  # a message the platform refuses this often is given up
    holding_every_s: float = 300.0  # at most one "can't reply right now" per conversation


LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class LoggingConfig:
    """How the gateway and the action server write their logs (README "Monitoring")."""

    format: str = "text"  # text (one readable line) | json (one JSON object per line)
    level: str = "INFO"

    def __post_init__(self) -> None:
        if self.format not in LOG_FORMATS:
            raise ConfigError(
                f"`logging.format` must be one of {', '.join(LOG_FORMATS)}, got "
                f"{self.format!r} (config.yml or the environment variable SHOP_LOG_FORMAT)"
            )
        if self.level.upper() not in LOG_LEVELS:
            raise ConfigError(
                f"`logging.level` must be one of {', '.join(LOG_LEVELS)}, got "
                f"{self.level!r} (config.yml or the environment variable SHOP_LOG_LEVEL)"
            )


@dataclass(frozen=True)
class Secrets:
    """Secrets come from the environment only; None means not set."""

    admin_token: str | None = None
    rasa_auth_token: str | None = None
    telegram_bot_token: str | None = None
    telegram_secret_token: str | None = None
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_support_channel: str | None = None
    wechat_token: str | None = None
    wechat_aes_key: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    web_identity_secret: str | None = None
    link_secret: str | None = None
    metrics_token: str | None = None  # bearer token GET /metrics asks for; None: open
    llm_api_key: str | None = None  # the large-model server's key (llm.base_url); None: "none"


# Secrets field -> environment variable (the README's channel table).
SECRET_ENV: dict[str, str] = {
    "admin_token": "ADMIN_TOKEN",
    "rasa_auth_token": "RASA_AUTH_TOKEN",
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_secret_token": "TELEGRAM_SECRET_TOKEN",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_support_channel": "SLACK_SUPPORT_CHANNEL",
    "wechat_token": "WECHAT_TOKEN",
    "wechat_aes_key": "WECHAT_AES_KEY",
    "wechat_app_id": "WECHAT_APP_ID",
    "wechat_app_secret": "WECHAT_APP_SECRET",
    "web_identity_secret": "WEB_IDENTITY_SECRET",
    "link_secret": "LINK_SECRET",
    "metrics_token": "METRICS_TOKEN",
    "llm_api_key": "LLM_API_KEY",
}


@dataclass(frozen=True)
class PrivacyConfig:
    """Personal data in what leaves the conversation (README "PII redaction")."""

    # Phones, e-mails, ID and card numbers, street addresses and recipients' names in log lines
    # are replaced by markers (<phone>, <address>, ...); order numbers stay.
    redact_logs: bool = True


@dataclass(frozen=True)
class Config:
    shop: ShopConfig = field(default_factory=ShopConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    rasa: RasaConfig = field(default_factory=RasaConfig)
    actions: ActionsConfig = field(default_factory=ActionsConfig)
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    web: WebConfig = field(default_factory=WebConfig)
    nlu: NluConfig = field(default_factory=NluConfig)
    orders: OrdersConfig = field(default_factory=OrdersConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    aftersales: AftersalesConfig = field(default_factory=AftersalesConfig)
    channels: ChannelsConfig = field(default_factory=ChannelsConfig)
    recommend: RecommendConfig = field(default_factory=RecommendConfig)
    proactive: ProactiveConfig = field(default_factory=ProactiveConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    handoff: HandoffConfig = field(default_factory=HandoffConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    studio: StudioConfig = field(default_factory=StudioConfig)
    insight: InsightConfig = field(default_factory=InsightConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
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
    "RASA_URLS": ("rasa", "urls"),
    "RASA_TIMEOUT_S": ("rasa", "timeout_s"),
    "ACTION_SERVER_URLS": ("actions", "urls"),
    "ACTION_SERVER_URL": ("actions", "url"),
    "GATEWAY_HOST": ("gateway", "host"),
    "GATEWAY_PORT": ("gateway", "port"),
    "GATEWAY_PUBLIC_URL": ("channels", "public_url"),
    "TELEGRAM_API_BASE_URL": ("channels", "telegram_api_base_url"),
    "SLACK_API_BASE_URL": ("channels", "slack_api_base_url"),
    "WECHAT_API_BASE_URL": ("channels", "wechat_api_base_url"),
    "SHOP_RECOMMEND_BANDIT_PATH": ("recommend", "bandit_path"),
    "SHOP_MEDIA_DIR": ("channels", "media_dir"),
    "TELEGRAM_BOT_USERNAME": ("access", "telegram_bot_username"),
    "SHOP_LOG_FORMAT": ("logging", "format"),
    "SHOP_LOG_LEVEL": ("logging", "level"),
    "SHOP_PRIVACY_REDACT_LOGS": ("privacy", "redact_logs"),
    "SHOP_PROACTIVE_ENABLED": ("proactive", "enabled"),
    "LLM_BASE_URL": ("llm", "base_url"),
    "LLM_MODEL": ("llm", "model"),
}

_ENV_LISTS = frozenset({"RASA_URLS", "ACTION_SERVER_URLS"})

_SECTIONS: dict[str, type] = {
    "shop": ShopConfig,
    "database": DatabaseConfig,
    "rasa": RasaConfig,
    "actions": ActionsConfig,
    "gateway": GatewayConfig,
    "web": WebConfig,
    "nlu": NluConfig,
    "orders": OrdersConfig,
    "demo": DemoConfig,
    "aftersales": AftersalesConfig,
    "channels": ChannelsConfig,
    "recommend": RecommendConfig,
    "proactive": ProactiveConfig,
    "delivery": DeliveryConfig,
    "handoff": HandoffConfig,
    "access": AccessConfig,
    "studio": StudioConfig,
    "insight": InsightConfig,
    "llm": LlmConfig,
    "logging": LoggingConfig,
    "privacy": PrivacyConfig,
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
    if isinstance(default, dict):
        # Mappings of names to whole numbers (days or hours per category or severity).
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a mapping of names to numbers, got {value!r}")
        return {str(k): _coerce(section, f"{key}.{k}", v, 0) for k, v in value.items()}
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        return tuple(str(v) for v in value)
    if isinstance(value, bool) and default in _SWITCHES:
        return "on" if value else "off"  # YAML reads `on`/`off`/`true` as booleans
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r}")
    return value


_SWITCHES = {"auto", "on", "off"}


# The shop policies the admin pages edit (README "Admin studio"): name -> (section, key). Their
# values live in config.yml and may be overridden by the policies overlay (studio.policies_file).
POLICY_FIELDS: dict[str, tuple[str, str]] = {
    "return_days": ("aftersales", "return_days"),
    "quality_return_days": ("aftersales", "quality_return_days"),
    "quality_exchange_days": ("aftersales", "quality_exchange_days"),
    "free_shipping_threshold": ("studio", "free_shipping_threshold"),
    "shipping_fee": ("studio", "shipping_fee"),
    "service_hours": ("shop", "service_hours"),
    "return_phone": ("aftersales", "return_phone"),
}


def policies_overlay_path(config_path: Path, configured: str = "") -> Path:
    """Where the policies overlay of the config file ``config_path`` is."""
    if configured:
        return resolve_repo_path(configured)
    return config_path.with_name(f"{config_path.stem}.policies.yml")


def read_policies_overlay(path: Path) -> dict[str, Any]:
    """The overlay's policy values by name (``{}`` when there is none)."""
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = loaded.get("policies") if isinstance(loaded, dict) else None
    if not isinstance(found, dict):
        raise ConfigError(f"{path} must hold `policies:` with a mapping of policy names to values")
    unknown = sorted(set(found) - set(POLICY_FIELDS))
    if unknown:
        raise ConfigError(f"{path}: unknown policies {unknown}; known: {sorted(POLICY_FIELDS)}")
    return {str(k): v for k, v in found.items()}


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
    # The policies saved on the admin pages go over config.yml (the environment and the
    # caller's overrides still win).
    configured = (overrides or {}).get("studio", {}).get("policies_file")
    configured = configured or merged["studio"].get("policies_file") or ""
    overlay = policies_overlay_path(path, str(configured))
    merged["studio"]["policies_file"] = str(overlay)
    for name, value in read_policies_overlay(overlay).items():
        section, key = POLICY_FIELDS[name]
        merged[section][key] = value
    for var, (section, key) in _ENV_OVERRIDES.items():
        if env.get(var):
            merged[section][key] = env[var]
            if var in _ENV_LISTS:  # comma-separated
                merged[section][key] = [p.strip() for p in env[var].split(",") if p.strip()]
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

    secrets = Secrets(**{name: (env.get(var) or None) for name, var in SECRET_ENV.items()})
    return Config(secrets=secrets, **built)


def resolve_sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL (relative paths are relative to the repository root)."""
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        return None
    raw = url[len(prefix) :]
    p = Path(raw)
    return p if p.is_absolute() else REPO_ROOT / p


def resolve_repo_path(value: str | Path) -> Path:
    """A configured path; relative ones are relative to the repository root."""
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def read_dotenv(path: Path, environ: MutableMapping[str, str]) -> None:
    """Read KEY=VALUE lines of a .env file into ``environ`` without overriding what is set."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))
