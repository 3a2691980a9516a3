"""Reading a reply in the middle of an order form: assent in the words of the request, and
words that point back at the order just talked about."""

from __future__ import annotations

import pytest

from bot.actions.form_replies import points_back, says_yes


@pytest.mark.parametrize(
    ("text", "yes"),
    [
        ("yes cancel it", True),
        ("ok continue with the return", True),
        ("是的 取消吧", True),
        ("好的，帮我退", True),
        ("no don't cancel it", False),
        ("wait, cancel?", False),
        ("等等 先别退", False),
        ("算了不退了", False),
        ("I want to return it", False),
        ("对于这个订单我要退货", False),
    ],
)
def test_assent_needs_a_yes_and_no_refusal(text: str, yes: bool) -> None:
    assert says_yes(text) is yes


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("when will it arrive", True),
        ("can i change the address for it", True),
        ("那我不要了 取消吧", True),
        ("这单能退吗", True),
        ("where is my order", False),
        ("cancel the rice cooker", False),
    ],
)
def test_words_that_point_back(text: str, back: bool) -> None:
    assert points_back(text) is back
