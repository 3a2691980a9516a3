"""The extractor: one blank spaCy pipeline per language (``spacy.blank("zh")``, whose default
segmenter is character by character, and ``spacy.blank("en")``), built once, each with the
``shop_entities`` component: a PhraseMatcher over the catalogue's product names and short
names, and the rule finders (:mod:`bot.entities.rules`, :mod:`bot.entities.dates`,
:mod:`bot.entities.address`). Overlapping finds are settled longest first.

    extractor = EntityExtractor(phrases, order_id_pattern="[0-9]{12}")
    extractor.extract("两百以内的耳机", today=date(2026, 3, 18))

The component puts the entities in ``doc.user_data["shop_entities"]`` and as spans in
``doc.spans["shop_entities"]`` (labelled by type) for other spaCy code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.entities.address import find_addresses, find_recipients
from bot.entities.catalog import ProductPhrase
from bot.entities.dates import find_dates
from bot.entities.rules import (
    DEFAULT_ORDER_ID_PATTERN,
    count_before,
    find_contacts,
    find_money,
    find_order_ids,
    find_quantities,
    find_sizes,
    order_id_regex,
)
from bot.entities.types import Entity, settle

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Longer messages are read up to here (entities further on are not reported): it keeps one
# pasted essay from holding the pipeline.
MAX_CHARS = 5000
COMPONENT = "shop_entities"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
# spaCy's English tokenizer is slow on one very long "word" (3000 "¥"): no product name has a
# run that long, so such runs become spaces of the same length for the PhraseMatcher (offsets
# do not move; the rule finders read the text as given).
_LONG_RUN = re.compile(r"\S{80,}")


def language_of(text: str) -> str:
    """ "zh" when the text has any Han character, else "en"."""
    return "zh" if _CJK.search(text) else "en"


def rule_entities(text: str, today: date, order_ids: re.Pattern[str]) -> list[Entity]:
    """Every rule finder's finds in ``text``, overlaps not yet settled."""
    found: list[Entity] = [*find_order_ids(text, order_ids), *find_contacts(text)]
    addresses = list(find_addresses(text))
    found += addresses
    found += find_recipients(text, has_address=bool(addresses))
    found += find_dates(text, today)
    found += find_money(text)
    found += find_sizes(text)
    found += find_quantities(text)
    return found


def extract_rules(
    text: str,
    today: date | None = None,
    order_id_pattern: str = DEFAULT_ORDER_ID_PATTERN,
    max_chars: int = MAX_CHARS,
) -> list[Entity]:
    """The entities of every type but ``product``, without spaCy (nothing to load: for code
    that needs money, dates or addresses and must start fast, such as the action server)."""
    text = text[:max_chars]
    return settle(rule_entities(text, today or date.today(), order_id_regex(order_id_pattern)))


class ShopEntities:
    """The spaCy component: rule finders plus the product PhraseMatcher."""

    def __init__(self, nlp: Language) -> None:
        from spacy.matcher import PhraseMatcher

        self.nlp = nlp
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.values: dict[str, str] = {}
        self.order_ids = order_id_regex(DEFAULT_ORDER_ID_PATTERN)

    def configure(self, phrases: Sequence[ProductPhrase], order_id_pattern: str) -> None:
        self.order_ids = order_id_regex(order_id_pattern)
        by_value: dict[str, list[str]] = {}
        for phrase in phrases:
            by_value.setdefault(phrase.value, []).append(phrase.text)
        for i, (value, texts) in enumerate(by_value.items()):
            key = f"P{i}"
            self.values[key] = value
            self.matcher.add(key, [self.nlp.make_doc(text) for text in texts])

    def products(self, doc: Doc) -> Iterator[Entity]:
        from spacy.util import filter_spans

        text = doc.user_data.get("text", doc.text)
        spans = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            span.label_ = self.nlp.vocab.strings[match_id]
            spans.append(span)
        for span in filter_spans(spans):
            begin, finish = span.start_char, span.end_char
            # A Latin name inside a longer Latin word ("tea" in "teacher") is not a match.
            if _ASCII_LETTER.match(text[begin : begin + 1]) and _ASCII_LETTER.match(
                text[begin - 1 : begin] if begin else ""
            ):
                continue
            if _ASCII_LETTER.match(text[finish - 1 : finish]) and _ASCII_LETTER.match(
                text[finish : finish + 1]
            ):
                continue
            yield Entity("product", span.text, begin, finish, self.values[span.label_])

    def find(self, doc: Doc, today: date) -> list[Entity]:
        text = doc.user_data.get("text", doc.text)
        found = rule_entities(text, today, self.order_ids)
        products = list(self.products(doc))
        found += products
        for product in products:
            count = count_before(text, product.start)
            if count is not None:
                found.append(count)
        return settle(found)

    def __call__(self, doc: Doc) -> Doc:
        today = doc.user_data.get("today") or date.today()
        entities = self.find(doc, today)
        doc.user_data[COMPONENT] = entities
        spans = []
        for entity in entities:
            span = doc.char_span(
                entity.start, entity.end, label=entity.type, alignment_mode="expand"
            )
            if span is not None:
                spans.append(span)
        doc.spans[COMPONENT] = spans
        return doc


def _register() -> None:
    from spacy.language import Language

    if not Language.has_factory(COMPONENT):

        @Language.factory(COMPONENT)
        def make_shop_entities(nlp: Language, name: str) -> ShopEntities:
            return ShopEntities(nlp)


class EntityExtractor:
    """Both pipelines, built once; :meth:`extract` picks one by the text's language."""

    def __init__(
        self,
        phrases: Iterable[ProductPhrase] = (),
        order_id_pattern: str = DEFAULT_ORDER_ID_PATTERN,
        max_chars: int = MAX_CHARS,
    ) -> None:
        import spacy

        _register()
        self.max_chars = max_chars
        self.pipelines: dict[str, Any] = {}
        listed = list(phrases)
        for lang in ("zh", "en"):
            nlp = spacy.blank(lang)
            component = nlp.add_pipe(COMPONENT)
            assert isinstance(component, ShopEntities)
            component.configure(listed, order_id_pattern)
            self.pipelines[lang] = nlp

    def extract(
        self, text: str, today: date | None = None, lang: str | None = None
    ) -> list[Entity]:
        """The entities in ``text`` (offsets into it); dates resolved against ``today``."""
        text = text[: self.max_chars]
        if not text.strip():
            return []
        nlp = self.pipelines[lang if lang in self.pipelines else language_of(text)]
        doc = nlp.make_doc(_LONG_RUN.sub(lambda m: " " * len(m.group(0)), text))
        doc.user_data["text"] = text
        doc.user_data["today"] = today or date.today()
        doc = nlp.get_pipe(COMPONENT)(doc)
        entities: list[Entity] = doc.user_data[COMPONENT]
        return entities

    def extract_dicts(self, text: str, today: date | None = None) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.extract(text, today)]
