"""The sections of config.yml that describe the shop's service rules (after-sales, handoff,
proactive service, recommendations, access, the studio, insight), split from bot/config.py,
which re-exports them; load them with :func:`bot.config.load_config`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class AftersalesConfig:
    """Return, exchange, warranty and complaint rules; defaults follow common Chinese
    e-commerce practice (7-day no-reason returns, 15-day exchange for quality problems).

    Windows count calendar days in the shop's timezone from the day after delivery: with a
    7-day window, day 7 is allowed and day 8 is not.
    """

    return_days: int = 7  # no-reason return (七天无理由退货)
    quality_return_days: int = 7  # a quality problem: return for a refund
    quality_exchange_days: int = 15  # a quality problem: exchange
    # Warranty (repair) per category, in days; categories not listed have none.
    warranty_days: dict[str, int] = field(
        default_factory=lambda: {"electronics": 365, "appliances": 365}, hash=False
    )
    non_returnable_categories: tuple[str, ...] = ("underwear", "food")
    # Not returnable without a reason once opened (digital goods, cosmetics).
    opened_non_returnable_categories: tuple[str, ...] = ("digital", "software", "beauty")
    # Reasons for which the shop pays the return shipping; for the others the customer does.
    shop_pays_shipping_reasons: tuple[str, ...] = (
        "quality_problem",
        "damaged_in_transit",
        "wrong_item",
        "not_as_described",
    )
    # Refund the original delivery fee when a shop-fault return sends the whole order back.
    refund_shipping_on_shop_fault: bool = True
    return_recipient: str = "Demo Shop Returns"
    return_recipient_zh: str = "演示商店售后部"
    return_phone: str = "400-820-8820"
    return_address: str = "Returns Dept., 88 Jinke Road, Pudong New District, Shanghai 201203"
    return_address_zh: str = "上海市浦东新区金科路 88 号 演示商店售后部（邮编 201203）"
    # Complaint answer deadlines by severity, in hours.
    complaint_sla_hours: dict[str, int] = field(
        default_factory=lambda: {"low": 72, "medium": 24, "high": 8, "critical": 2}, hash=False
    )
    vip_segments: tuple[str, ...] = ("vip",)  # customer segments that raise severity
    complaint_history_days: int = 90  # earlier complaints within this many days count
    # What a customer whose parcel runs late is offered (the proactive service): "coupon"
    # (``delay_coupon`` in shop currency off the next order), "free_return" or "none".
    delay_offer: str = "coupon"
    delay_coupon: int = 10


@dataclass(frozen=True)
class HandoffConfig:
    """Handing a conversation to staff in Slack (bot/handoff/service.py).

    Each trigger can be switched off. Automatic triggers (sentiment, VIP, order value) stay
    quiet for ``cooldown_s`` after a handoff of the conversation ended; a customer asking for
    a person is never held back.
    """

    enabled: bool = True  # off: asking for a person records a message ticket instead
    on_customer_request: bool = True  # intent request_human
    on_two_fallbacks: bool = True  # the two-stage fallback gave up
    on_negative_sentiment: bool = True
    sentiment_threshold: float = -0.6  # mean sentiment of the recent customer messages below this
    sentiment_window: int = 3  # how many recent customer messages the mean takes
    sentiment_min_messages: int = 2  # fewer scored messages than this never trigger
    sentiment_model: str = "var/models/sentiment.pt"  # empty or missing: no sentiment trigger
    # Emotion-aware replies (bot/services/emotion.py): an upset customer gets an apology first
    # and no recommendations, and a "talk to a person" button on the first upset turn.
    emotion_replies: bool = True
    offer_person_when_upset: bool = True
    emotion_upset_at: float = -0.5  # a judged sentiment at or below this: annoyed
    emotion_angry_at: float = -0.7  # at or below this: angry
    on_severe_complaint: bool = True
    severe_complaint_levels: tuple[str, ...] = ("high", "critical")
    vip_segments: tuple[str, ...] = ()  # customers in these segments go to a person at once
    order_value_limit: float = 0.0  # a mentioned order above this total goes to a person; 0: off
    cooldown_s: float = 3600.0
    claim_timeout_s: float = 300.0  # unclaimed this long: the customer may leave a message
    leave_message_timeout_s: float = 1800.0  # an unanswered offer to leave a message lapses
    default_wait_s: float = 180.0  # expected wait shown before there is any claim history
    staff_language: str = "en"  # en | zh: the language of the Slack side
    # Orders the waiting list (bot/handoff/priority.py); missing: by waiting time only.
    complaint_risk_model: str = "var/models/complaint_risk.pkl"
    # The waiting list's boost for the highest-spending customer segment (bot/handoff/priority.py)
    segment_weight: float = 0.15
    member_cache_s: float = 60.0  # how long the support channel's member list is trusted
    cancel_phrases: tuple[str, ...] = (
        "back to bot",
        "back to the bot",
        "return to bot",
        "talk to the bot",
        "cancel handoff",
        "返回机器人",
        "回到机器人",
        "返回智能客服",
        "结束人工",
        "退出人工",
        "取消人工",
    )


@dataclass(frozen=True)
class ProactiveConfig:
    """The proactive service (bot/services/proactive.py): late or stalled parcels and
    back-in-stock notices, sent before the customer asks."""

    enabled: bool = True  # env SHOP_PROACTIVE_ENABLED; off: only `python -m bot proactive`
    interval_s: float = 600.0  # how often open shipments and restocks are looked at
    delay_threshold: float = 0.6  # delay risk (0-1) above which the customer is told
    stall_hours: float = 48.0  # no tracking event for this long: the parcel has stalled
    quiet_hours: str = "22:00-08:00"  # shop time; messages found then wait; empty: none
    back_in_stock: bool = True  # tell customers who asked about a sold-out product
    delay_model: str = "var/models/delay.pkl"  # `make train-delay`; missing: overdue rule only
    ask_days: int = 60  # out-of-stock asks older than this are not followed up

    def __post_init__(self) -> None:
        if not 0.0 < self.delay_threshold <= 1.0:
            raise ConfigError(
                f"`proactive.delay_threshold` must be above 0 and at most 1, "
                f"got {self.delay_threshold!r}"
            )
        if self.interval_s <= 0 or self.stall_hours <= 0:
            raise ConfigError("`proactive.interval_s` and `proactive.stall_hours` must be > 0")
        if self.quiet_hours and not re.fullmatch(
            r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]", self.quiet_hours
        ):
            raise ConfigError(
                f'`proactive.quiet_hours` must look like "22:00-08:00" (or be empty), '
                f"got {self.quiet_hours!r}"
            )


@dataclass(frozen=True)
class RecommendConfig:
    """Product recommendations (bot/services/recommend.py); paths relative to the repo root."""

    model_path: str = "var/recsys/shop-model.pt"  # written by `make train`, reloaded on change
    bandit_path: str = "var/recsys/bandit.json"  # the feedback bandit's posterior
    cards: int = 4  # products per answer (3-5 look right in the web chat)
    candidates: int = 20  # best-scored products the bandit re-ranks


@dataclass(frozen=True)
class AccessConfig:
    """Linking chat accounts to customers and the limits on guessing proofs (README "Linking
    chat accounts to customers"); the signing key is the secret ``LINK_SECRET``."""

    link_token_days: int = 7  # a deep link from `python -m bot identity link` works this long
    telegram_bot_username: str = ""  # env TELEGRAM_BOT_USERNAME: the bot in t.me/<bot>?start=
    # An unlinked account that gives the customer's own phone for one of their orders is linked.
    link_after_phone_check: bool = True
    # Channels whose accounts may be linked that way (web ids are chosen by the browser).
    link_channels: tuple[str, ...] = ("telegram", "slack", "wechat")
    max_wrong: int = 5  # wrong phones for one order (or bad link tokens) per sender ...
    window_minutes: int = 60  # ... within this time lock that check for the sender ...
    lock_minutes: int = 60  # ... for this long
    # Wrong phones for one order from all senders together within the window that lock the
    # order's phone check for everybody (senders who make up new ids); 0 = no such cap.
    max_wrong_per_order: int = 20


@dataclass(frozen=True)
class StudioConfig:
    """The admin studio (bot/studio): editing the Rasa project, training, the deploy gate."""

    project_dir: str = "rasa_project"  # the Rasa project the studio edits and trains
    model_dir: str = "var/models/rasa"  # versioned models the studio trains (never rasa.model_dir)
    max_accuracy_drop: float = 0.02  # refuse a model whose held-out accuracy drops more
    holdout: str = "tests/data/nlu_holdout.yml"  # the deploy gate's held-out accuracy
    # Held-out NLU files besides `holdout`: never trained on either (the studio refuses their
    # phrasings as training examples); `make eval` scores them, the deploy gate does not.
    extra_holdouts: tuple[str, ...] = ("tests/data/nlu_holdout_noisy.yml",)
    test_stories: str = "rasa_project/tests/test_stories.yml"
    rasa_urls: tuple[str, ...] = ()  # every Rasa server a new model goes to; empty: rasa.url
    free_shipping_threshold: int = 99  # FAQ placeholder {free_shipping_threshold} (shop currency)
    shipping_fee: int = 8  # FAQ placeholder {shipping_fee}
    session_hours: float = 12.0  # admin login sessions last this long
    # The shop policies edited on the admin pages (POLICY_FIELDS), a YAML overlay read over
    # config.yml; "": `<config file name>.policies.yml` next to the config file.
    policies_file: str = ""
    review_confidence: float = 0.6  # turns whose top intent is less sure go to the review queue
    job_lease_s: float = 60.0  # a training job's lease; renewed every third of it while it runs

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_confidence <= 1.0:
            raise ConfigError(
                f"`studio.review_confidence` must be between 0 and 1, got {self.review_confidence}"
            )
        if self.job_lease_s < 5:
            raise ConfigError(f"`studio.job_lease_s` must be at least 5, got {self.job_lease_s}")


@dataclass(frozen=True)
class InsightConfig:
    """The insight models' files the staff dashboard reads (bot/admin/dashboard_routes.py)."""

    delay_model: str = "var/models/delay.pkl"  # `python -m bot insight train-delay`; else slack
    segments_summary: str = "var/models/segments.json"  # `python -m bot segments`: zh/en names
    promise_days: int = 3  # an order without an ETA was promised its purchase day + this


@dataclass(frozen=True)
class LlmConfig:
    """The optional large-model assist (bot/llm, README "Large-model assist (optional)"): any
    OpenAI-compatible server; the key is the secret ``LLM_API_KEY`` (environment only)."""

    base_url: str = ""  # env LLM_BASE_URL, e.g. http://127.0.0.1:8001/v1; empty: the assist is off
    model: str = ""  # env LLM_MODEL: the served model's name (required with base_url)
    timeout_s: float = 10.0  # one request, then it counts as failed (and may be retried)
    max_retries: int = 1  # retries of a timed-out or failed request (the SDK backs off)
    # Tokens (prompt + completion) all replicas together may spend per shop-local day, counted
    # in the database; 0: no limit.
    daily_token_budget: int = 200_000
    max_tokens: int = 300  # completion tokens a long-tail answer may use
    temperature: float = 0.2
    # Long-tail answers when NLU is unsure or the message is out of scope; off: the model is
    # only used where other features ask for it.
    long_tail: bool = True
    facts: int = 3  # facts retrieved for a question (and numbered in the prompt)
    # The best fact's BM25 score must reach this for the question to count as shop-related;
    # below it the assistant answers as without the model (`make eval-llm` sweeps it).
    min_score: float = 5.0

    def __post_init__(self) -> None:
        if self.base_url and not re.match(r"https?://[^\s/]+", self.base_url):
            raise ConfigError(
                f"`llm.base_url` must be an http(s) URL such as http://127.0.0.1:8001/v1 "
                f"(or empty to switch the assist off), got {self.base_url!r}"
            )
        if self.base_url and not self.model.strip():
            raise ConfigError("`llm.model` is required when `llm.base_url` is set")
        if self.timeout_s <= 0:
            raise ConfigError(f"`llm.timeout_s` must be > 0, got {self.timeout_s!r}")
        if self.max_retries < 0 or self.max_retries > 5:
            raise ConfigError(f"`llm.max_retries` must be 0 to 5, got {self.max_retries!r}")
        if self.daily_token_budget < 0:
            raise ConfigError(
                f"`llm.daily_token_budget` must be >= 0 (0: no limit), "
                f"got {self.daily_token_budget!r}"
            )
        if self.max_tokens < 1:
            raise ConfigError(f"`llm.max_tokens` must be >= 1, got {self.max_tokens!r}")
        if not 0.0 <= self.temperature <= 2.0:
            raise ConfigError(f"`llm.temperature` must be 0 to 2, got {self.temperature!r}")
        if not 1 <= self.facts <= 10:
            raise ConfigError(f"`llm.facts` must be 1 to 10, got {self.facts!r}")
        if self.min_score < 0:
            raise ConfigError(f"`llm.min_score` must be >= 0, got {self.min_score!r}")
