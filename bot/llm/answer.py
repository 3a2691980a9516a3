"""Grounded long-tail answers: a question NLU could not place (or placed out of scope) is
answered by the model from the shop's own facts, or not at all.

1. The customer's message is stripped of personal data (bot/services/redact.py) and of order
   numbers; nothing else of the conversation, the order or the customer goes to the model.
2. The best ``llm.facts`` facts are retrieved in the customer's language (BM25,
   bot/llm/facts.py). When the best one scores below ``llm.min_score`` the question is not about
   the shop (weather, jokes, translations) and the model is not asked.
3. The model is told to answer only from the numbered facts, in the customer's language,
   citing them as [1], [2]; or to say NO_ANSWER.
4. The answer must cite at least one fact, be in the customer's language and pass the guard
   (bot/llm/guard.py) against the facts it cites. Then it is sent with a "Based on: <fact
   titles>" line; otherwise the caller answers as it does without a model.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config import LlmConfig
from bot.i18n import as_lang, detect_language, join_list, t
from bot.llm.client import LlmClient, LlmReply
from bot.llm.facts import Fact, FactIndex
from bot.llm.guard import CITATION, check_answer
from bot.services.redact import redact

log = logging.getLogger(__name__)
NO_ANSWER = "NO_ANSWER"
PURPOSE = "long_tail"
INDEX_TTL_S = 300.0  # the facts follow policy, FAQ and catalog edits within this time
_ORDER_NUMBER = re.compile(r"(?<!\d)\d{10,}(?!\d)")
_CITATION_SPACED = re.compile(r"\s*" + CITATION.pattern)
_MARKER = re.compile(r"<[a-z_]+>")  # redaction markers say nothing about the question
_CITED = re.compile(r"\[\s*F?(\d+)(?:\s*[,，、]\s*F?(\d+))*\s*\]")

SYSTEM = {
    "en": (
        "You are the customer service assistant of an online shop. Answer the customer's "
        "question using ONLY the numbered facts below. Answer in English, in at most three "
        "short sentences, and cite the facts you used as [1], [2]. Never state a price, number, "
        "date, percentage or policy that is not written in the facts, and never mention order "
        "numbers or personal data. If the facts do not answer the question, reply exactly "
        f"{NO_ANSWER}."
    ),
    "zh": (
        "你是一家网店的智能客服。只能依据下面编号的事实回答顾客的问题。用简体中文回答，最多三句，"
        "并用 [1]、[2] 标注所依据的事实。不得说出事实中没有写明的价格、数字、日期、百分比或政策，"
        "不得提及订单号或个人信息。如果这些事实无法回答该问题，只回复 "
        f"{NO_ANSWER}。"
    ),
}


@dataclass(frozen=True)
class GroundedAnswer:
    text: str  # what the customer reads: the answer and the "Based on" line
    answer: str  # the model's answer without the citation marks
    facts: list[Fact]  # the facts it cited
    reply: LlmReply


def clean_question(text: str) -> str:
    """The customer's message as it may go to the model: personal data and order numbers
    replaced by markers."""
    return " ".join(_ORDER_NUMBER.sub("<order>", redact(text)).split())


def prompt(question: str, facts: list[Fact], lang: str) -> list[dict[str, str]]:
    numbered = "\n".join(f"[{i}] {fact.title}: {fact.text}" for i, fact in enumerate(facts, 1))
    return [
        {"role": "system", "content": f"{SYSTEM[lang]}\n\n{numbered}"},
        {"role": "user", "content": question},
    ]


def cited(text: str, facts: list[Fact]) -> list[Fact]:
    numbers: list[int] = []
    for match in _CITED.finditer(text):
        numbers += [int(n) for n in re.findall(r"\d+", match.group(0))]
    return [facts[n - 1] for n in dict.fromkeys(numbers) if 1 <= n <= len(facts)]


class FactsCache:
    """The facts index, rebuilt by ``load`` when older than ``ttl_s`` (one build at a time)."""

    def __init__(self, load: Callable[[], Awaitable[FactIndex]], ttl_s: float = INDEX_TTL_S):
        self.load = load
        self.ttl_s = ttl_s
        self._index: FactIndex | None = None
        self._built = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> FactIndex:
        async with self._lock:
            if self._index is None or time.monotonic() - self._built > self.ttl_s:
                self._index = await self.load()
                self._built = time.monotonic()
            return self._index


class LongTail:
    """Answers long-tail questions from the facts; see the module's doc."""

    def __init__(self, cfg: LlmConfig, client: LlmClient, facts: FactsCache) -> None:
        self.cfg = cfg
        self.client = client
        self.facts = facts

    @property
    def enabled(self) -> bool:
        return self.client.enabled and self.cfg.long_tail

    async def retrieve(self, question: str, lang: str) -> list[Fact]:
        """The facts for ``question``, or [] when it is not about the shop."""
        index = await self.facts.get()
        scored = index.scored(question, lang, k=self.cfg.facts)
        if not scored or scored[0][1] < self.cfg.min_score:
            return []
        return [fact for fact, _ in scored]

    async def answer(self, text: str, lang: str) -> GroundedAnswer | None:
        """The grounded answer to the customer's ``text`` in ``lang``, or None."""
        if not self.enabled or lang not in SYSTEM:
            return None
        question = clean_question(text)
        if not question or question.startswith("/"):
            return None
        facts = await self.retrieve(_MARKER.sub(" ", question), lang)
        if not facts:
            log.info("llm long tail: no shop fact for the question, not asked")
            return None
        reply = await self.client.complete(
            prompt(question, facts, lang),
            purpose=PURPOSE,
            max_tokens=self.cfg.max_tokens,
            temperature=self.cfg.temperature,
        )
        if reply is None or NO_ANSWER in reply.text:
            return None
        used = cited(reply.text, facts)
        answer = " ".join(_CITATION_SPACED.sub("", reply.text).split())
        problems: list[str] = []
        if not used:
            problems.append("no fact cited")
        if detect_language(answer, as_lang(lang)) != lang:
            problems.append(f"not in the customer's language ({lang})")
        if used:
            problems += check_answer(answer, used, lang=lang).problems
        if problems:
            log.warning("llm long tail: answer blocked: %s", "; ".join(problems))
            return None
        titles = join_list(list(dict.fromkeys(f.title or f.id for f in used)), lang)
        text_out = f"{answer}\n{t('llm.based_on', lang, titles=titles)}"
        return GroundedAnswer(text_out, answer, used, reply)
