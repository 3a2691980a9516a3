"""The shop's own facts, which are all a grounded answer may use, and a BM25 index over them.

Facts come in both languages (the same id in each): the FAQ answers as the customer would read
them (faq_templates.yml rendered with the current policy values, bot/studio), the policy values
(return windows, shipping fee, service hours, warranty, the return address) and the catalog's
products (name, brand, category, price, specs, description). Order and customer data are never
facts.

Search is BM25 (k1 1.5, b 0.75) per language: Chinese is cut into words with jieba (the shop's
product dictionary loaded) plus the character bigrams of every Chinese run, so a word jieba
cuts differently still matches; English is lower-cased words with plurals and -ing/-ed cut off
and stop words dropped. Latin words inside Chinese text (product names) are English tokens.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import REPO_ROOT, Config, resolve_repo_path
from bot.i18n import category_name, faq_title, join_list, t
from bot.i18n.language import Lang
from bot.storage.schema import products
from bot.studio.policies import LivePolicies
from bot.studio.project import ProjectStore, render

LANGS: tuple[Lang, ...] = ("zh", "en")
K1 = 1.5
B = 0.75
JIEBA_DICT = REPO_ROOT / "rasa_project" / "jieba_dict" / "userdict.txt"
_CJK_RUN = re.compile(r"([\u3400-\u9fff]+)")
_EN_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
EN_STOP = frozenset(
    {
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "i",
        "me",
        "my",
        "you",
        "your",
        "we",
        "our",
        "it",
        "its",
        "this",
        "that",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "with",
        "by",
        "and",
        "or",
        "but",
        "if",
        "so",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "how",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "there",
        "here",
        "have",
        "has",
        "had",
        "not",
        "no",
        "any",
        "some",
        "please",
        "hi",
        "hello",
        "thanks",
        "thank",
        "just",
        "about",
        "get",
        "got",
    }
)
ZH_STOP = frozenset(
    {
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "我",
        "你",
        "您",
        "是",
        "在",
        "有",
        "么",
        "请问",
        "一下",
        "可以",
        "能",
        "和",
        "与",
        "就",
        "都",
        "也",
        "还",
    }
)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fact:
    id: str  # "faq.return_policy", "policy.shipping", "product.P0001": the same in both languages
    kind: str  # faq | policy | product
    text: str
    lang: str
    title: str = ""  # shown to the customer in "Based on: ..."


class _Tokenizer(Protocol):
    def lcut_for_search(self, sentence: str) -> list[str]: ...


@functools.cache
def _jieba() -> _Tokenizer:
    """A private jieba tokenizer with the shop's product dictionary (when `make train` wrote
    it); the global one may carry other users' dictionaries."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    if JIEBA_DICT.is_file():
        tokenizer.load_userdict(str(JIEBA_DICT))
    return tokenizer


def _stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def tokens(text: str) -> list[str]:
    """The BM25 terms of ``text`` (see the module's doc)."""
    norm = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for i, piece in enumerate(_CJK_RUN.split(norm)):
        if i % 2:  # a run of Chinese characters
            out.extend(w for w in _jieba().lcut_for_search(piece) if w.strip() and w not in ZH_STOP)
            out.extend("~" + piece[j : j + 2] for j in range(len(piece) - 1))
        else:
            out.extend(_stem(w) for w in _EN_WORD.findall(piece) if w not in EN_STOP)
    return out


class FactIndex:
    """BM25 over ``facts``, one index per language."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        self.facts = list(facts)
        self._docs: dict[str, list[tuple[Fact, Counter[str], int]]] = {lang: [] for lang in LANGS}
        for fact in self.facts:
            terms = tokens(f"{fact.title} {fact.text}")
            self._docs.setdefault(fact.lang, []).append((fact, Counter(terms), len(terms)))
        self._idf: dict[str, dict[str, float]] = {}
        self._avgdl: dict[str, float] = {}
        for lang, docs in self._docs.items():
            df: Counter[str] = Counter()
            for _, counts, _ in docs:
                df.update(counts.keys())
            n = len(docs)
            self._idf[lang] = {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}
            self._avgdl[lang] = (sum(length for *_, length in docs) / n) if n else 1.0

    def __len__(self) -> int:
        return len(self.facts)

    def scored(self, query: str, lang: str, k: int = 3) -> list[tuple[Fact, float]]:
        """The ``k`` best facts in ``lang`` for ``query`` with their BM25 scores (> 0)."""
        docs = self._docs.get(lang, [])
        idf = self._idf.get(lang, {})
        avgdl = self._avgdl.get(lang, 1.0)
        terms = [w for w in dict.fromkeys(tokens(query)) if w in idf]
        results: list[tuple[Fact, float]] = []
        for fact, counts, length in docs:
            score = 0.0
            for w in terms:
                tf = counts.get(w, 0)
                if tf:
                    score += idf[w] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avgdl))
            if score > 0:
                results.append((fact, score))
        results.sort(key=lambda item: (-item[1], item[0].id))
        return results[:k]

    def search(self, query: str, lang: str, k: int = 3) -> list[Fact]:
        """The ``k`` facts in ``lang`` that best answer ``query``, best first."""
        return [fact for fact, _ in self.scored(query, lang, k)]


# --- the shop's facts ------------------------------------------------------------------------
def faq_facts(store: ProjectStore, values: dict[str, str]) -> list[Fact]:
    """Every FAQ answer, rendered with the current policy values, in both languages."""
    facts: list[Fact] = []
    for topic, entry in sorted(store.faq().items()):
        for lang in LANGS:
            text = render(str(entry.get(lang) or ""), values).strip()
            if text:
                title = faq_title(topic, lang) or topic.replace("_", " ")
                facts.append(Fact(f"faq.{topic}", "faq", text, lang, title))
    return facts


def policy_facts(cfg: Config, values: dict[str, str]) -> list[Fact]:
    """The policy values (config.yml with the admin pages' saved values over it)."""
    a = cfg.aftersales
    facts: list[Fact] = []
    for lang in LANGS:

        def cats(keys: Sequence[str], lang: Lang = lang) -> str:
            return join_list([category_name(k, lang) for k in keys], lang)

        reasons = [t(f"aftersales.reason_name.{r}", lang) for r in a.shop_pays_shipping_reasons]
        warranty = join_list(
            [
                t("llm.fact.warranty_row", lang, category=category_name(c, lang), days=d)
                for c, d in sorted(a.warranty_days.items())
            ],
            lang,
        )
        address = a.return_address_zh if lang == "zh" else a.return_address
        recipient = a.return_recipient_zh if lang == "zh" else a.return_recipient
        texts = {
            "returns": {
                "never": cats(a.non_returnable_categories),
                "opened": cats(a.opened_non_returnable_categories),
            },
            "quality": {"shop_pays": join_list(reasons, lang)},
            "shipping": {},
            "hours": {},
            "warranty": {"table": warranty},
            "return_address": {"recipient": recipient, "address": address},
        }
        for name, extra in texts.items():
            text = t(
                f"llm.fact.{name}", lang, **{**values, "phone": values["return_phone"], **extra}
            )
            facts.append(
                Fact(f"policy.{name}", "policy", text, lang, t(f"llm.fact.{name}.title", lang))
            )
    return facts


def _price(cents: int) -> str:
    yuan, fen = divmod(int(cents), 100)
    return f"{yuan}" if not fen else f"{yuan}.{fen:02d}"


def product_fact(row: Any, lang: Lang) -> Fact:
    specs = (row["specs"] or {}).get(lang) or {}
    sep = "：" if lang == "zh" else ": "
    spec_text = ("；" if lang == "zh" else "; ").join(f"{k}{sep}{v}" for k, v in specs.items())
    if spec_text:
        spec_text += "。" if lang == "zh" else "."
    name = row["name_zh"] if lang == "zh" else row["name_en"]
    aliases = " ".join(str(a) for a in row["aliases"] or [])
    text = t(
        "llm.fact.product",
        lang,
        name=name,
        brand=row["brand"] or "-",
        category=category_name(row["category"], lang),
        price=_price(row["price_cents"]),
        specs=spec_text,
        description=row["description_zh"] if lang == "zh" else row["description_en"],
    ).strip()
    if aliases:
        text = f"{text} ({aliases})" if lang == "en" else f"{text}（{aliases}）"
    return Fact(f"product.{row['id']}", "product", " ".join(text.split()), lang, name)


async def product_facts(engine: AsyncEngine) -> list[Fact]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(products).order_by(products.c.id))).mappings().all()
    return [product_fact(row, lang) for row in rows for lang in LANGS]


async def load_facts(cfg: Config, engine: AsyncEngine | None) -> list[Fact]:
    """All of the shop's facts: FAQ answers, policies and (with ``engine``) the catalog."""
    values = LivePolicies.from_config(cfg).current()
    store = ProjectStore(resolve_repo_path(cfg.studio.project_dir), values)
    facts = faq_facts(store, values) + policy_facts(cfg, values)
    if engine is not None:
        facts += await product_facts(engine)
    return facts


async def build_index(cfg: Config, engine: AsyncEngine | None) -> FactIndex:
    index = FactIndex(await load_facts(cfg, engine))
    log.info("llm facts index built: %d facts", len(index))
    return index
