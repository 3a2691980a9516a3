"""The answer guard: numbers, prices, percentages, durations, dates and policy terms must be in
the facts; personal data never passes."""

from __future__ import annotations

import pytest

from bot.llm.facts import Fact
from bot.llm.guard import check_answer, claims, normalise

FACTS = [
    Fact(
        "policy.shipping",
        "policy",
        "运费：订单实付满 ¥99 包邮（按使用优惠券后的金额计算），不满 ¥99 收取运费 ¥8。",
        "zh",
    ),
    Fact("policy.returns", "policy", "无理由退货：签收后 7 天内可以无理由退货。", "zh"),
    Fact(
        "faq.return_policy",
        "faq",
        "You can return most items within 7 days of delivery without giving a reason; we pick "
        "them up for free. Electronics also have a 1-year warranty. Refunds go back within "
        "1–3 working days. Returns hotline 400-820-8820. Staff answer 09:00-21:00. Coupons: "
        "for example ¥20 off ¥150, 10% off for members.",
        "en",
    ),
]


def test_numbers_are_normalised_across_languages_and_spellings() -> None:
    assert normalise("七天无理由") == "7天无理由"
    assert normalise("十五天内换货，百分之二十") == "15天内换货,20%"
    assert normalise("seven days, thirty-day window") == "7 days, 30-day window"
    assert normalise("统一标准，一张券") == "统一标准,一张券"  # words, not numbers
    said = claims("¥199 = 199元 = 199.00 yuan = RMB 199")
    assert said.money == {"199"}
    assert ("365", "day") in claims("a 1-year warranty").durations
    assert claims("8折").percent == {"80"} and claims("8.5折").percent == {"85"}


@pytest.mark.parametrize(
    "answer",
    [
        "满99元包邮，不满收8块运费 [1]",
        "七天无理由退货，放心购买。",
        "Orders of ¥99.00 or more ship free; otherwise shipping is ¥8 [1][2].",
        "You have seven days to return it, and the refund arrives in 1-3 working days.",
        "Electronics come with a 365-day warranty.",
        "Call our returns hotline on 400 820 8820, 09:00-21:00.",
        "Members get 10% off, and a coupon can take ¥20 off ¥150.",
    ],
)
def test_answers_backed_by_the_facts_pass(answer: str) -> None:
    result = check_answer(answer, FACTS, lang="en")
    assert result.ok, result.problems


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("满 199 包邮", "199"),
        ("This item costs ¥299.", "price 299"),
        ("30天无理由退货", "30 day"),
        ("You can return it within 14 days.", "14 day"),
        ("The warranty is 2 years.", "2 year"),
        ("Members get 20% off.", "20%"),
        ("全场8折", "80%"),
        ("We are open until 22:00.", "22:00"),
        ("It ships on 12月6日.", "date 12/6"),
        ("We offer cash on delivery.", "cash on delivery"),
        ("Every order comes with a free gift.", "gift"),
        ("Your order 260315004217 has shipped.", "order number 260315004217"),
        ("Wang Fang's phone is 13812345678.", "13812345678"),
        ("Write to li.wei@example.com.", "e-mail address li.wei@example.com"),
        ("The parcel went to 88 Baker Street, Apt 4.", "street address"),
        ("Customer C0042 bought it too.", "customer id C0042"),
        ("", "empty"),
    ],
)
def test_unbacked_claims_and_personal_data_are_caught(answer: str, problem: str) -> None:
    result = check_answer(answer, FACTS, lang="en")
    assert not result.ok
    assert any(problem in p for p in result.problems), result.problems


def test_allowed_text_backs_what_the_conversation_said() -> None:
    answer = "Your order 260315004217 can be returned within 7 days."
    assert not check_answer(answer, FACTS, lang="en").ok
    allowed = "Customer: I want to return order 260315004217"
    assert check_answer(answer, FACTS, lang="en", allowed_text=allowed).ok


def test_without_facts_any_number_or_policy_term_is_caught() -> None:
    assert check_answer("Thanks for waiting, we are checking it.", [], lang="en").ok
    assert not check_answer("Delivery takes 3 days.", [], lang="en").ok
    assert not check_answer("支持包邮", [], lang="zh").ok
