"""Tokenizer for Chinese, English and mixed messages ("我的iPhone壳还没到").

Jieba segments Han runs (with the catalog's user dictionary) and keeps Latin words and digit runs
whole, but it also emits whitespace and punctuation as tokens, which only add noise features for
the classifiers. This tokenizer drops those and keeps the original character offsets, so entity
annotations still align with tokens.
"""

from __future__ import annotations

import unicodedata

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


def _is_noise(word: str) -> bool:
    return all(ch.isspace() or unicodedata.category(ch)[0] in {"P", "S", "Z"} for ch in word)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class MixedTokenizer(JiebaTokenizer):
    """Jieba for Han text, whole Latin words, no whitespace or punctuation tokens."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        import jieba

        text = message.get(attribute)
        tokens = [
            Token(word, start)
            for (word, start, _end) in jieba.tokenize(text)
            if not _is_noise(word)
        ]
        if not tokens and text.strip():
            # An emoji-only or punctuation-only message still needs one token.
            tokens = [Token(text.strip(), text.index(text.strip()[0]))]
        return self._apply_token_pattern(tokens)
