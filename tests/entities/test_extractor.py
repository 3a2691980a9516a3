"""The entity extractor: every type in both languages, offsets into the text, normalised values,
relative dates against a given day, and the tricky negatives (an order number that looks like a
phone, a price inside a product name, durations that look like quantities)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.entities import EntityExtractor, extract_rules
from bot.entities.numbers import parse_number

WEDNESDAY = date(2026, 3, 18)


def found(
    extractor: EntityExtractor, text: str, day: date = WEDNESDAY
) -> list[tuple[str, str, Any]]:
    entities = extractor.extract(text, day)
    for e in entities:
        assert text[e.start : e.end] == e.text  # offsets are into the text as given
    return [(e.type, e.text, e.value) for e in entities]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("两百", 200),
        ("三千五", 3500),
        ("十二", 12),
        ("一百五十", 150),
        ("一千二", 1200),
        ("3万", 30000),
        ("1,299", 1299),
        ("1.5k", 1500),
        ("twelve", 12),
        ("两", 2),
    ],
)
def test_numbers(text: str, number: float) -> None:
    assert parse_number(text) == number


def test_not_numbers() -> None:
    assert parse_number("一二") is None
    assert parse_number("abc") is None
    assert parse_number("") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上周二买的", ("上周二", "2026-03-10")),
        ("last Tuesday", ("last Tuesday", "2026-03-17")),
        ("昨天", ("昨天", "2026-03-17")),
        ("大前天到的", ("大前天", "2026-03-15")),
        ("3 days ago", ("3 days ago", "2026-03-15")),
        ("三天前", ("三天前", "2026-03-15")),
        ("两周前", ("两周前", "2026-03-04")),
        ("before May 5", ("May 5", "2026-05-05")),
        ("5月5号", ("5月5号", "2026-05-05")),
        ("下周一", ("下周一", "2026-03-23")),
        ("next Monday", ("next Monday", "2026-03-23")),
        ("this Saturday", ("this Saturday", "2026-03-21")),
        ("the 5th of March", ("5th of March", "2026-03-05")),
        ("2026年2月14日", ("2026年2月14日", "2026-02-14")),
        ("a month ago", ("a month ago", "2026-02-18")),
    ],
)
def test_dates_resolve_against_the_given_day(
    extractor: EntityExtractor, text: str, expected: tuple[str, str]
) -> None:
    assert found(extractor, text) == [("date", *expected)]


def test_dates_follow_the_reference_day(extractor: EntityExtractor) -> None:
    assert found(extractor, "昨天", date(2026, 3, 1)) == [("date", "昨天", "2026-02-28")]
    assert found(extractor, "yesterday", date(2024, 3, 1)) == [("date", "yesterday", "2024-02-29")]


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("两百以内的", "两百以内", {"min": None, "max": 200, "currency": "CNY"}),
        ("under 200", "under 200", {"min": None, "max": 200, "currency": "CNY"}),
        ("¥100-200之间", "¥100-200", {"min": 100, "max": 200, "currency": "CNY"}),
        (
            "between 50 and 80 dollars",
            "between 50 and 80 dollars",
            {"min": 50, "max": 80, "currency": "USD"},
        ),
        ("一百块左右", "一百块左右", {"min": 75, "max": 125, "currency": "CNY"}),
        ("三千五以内", "三千五以内", {"min": None, "max": 3500, "currency": "CNY"}),
        ("over 1000 yuan", "over 1000 yuan", {"min": 1000, "max": None, "currency": "CNY"}),
        ("it cost $19.99", "$19.99", {"min": 19.99, "max": 19.99, "currency": "USD"}),
    ],
)
def test_money(extractor: EntityExtractor, text: str, span: str, value: dict[str, Any]) -> None:
    assert found(extractor, text) == [("money", span, value)]


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-05",  # a date, not a range of money
        "more than 3 days",
        "socks 36-40",
        "等了10天以内",
        "I'm 5 foot 9",
    ],
)
def test_numbers_that_are_not_money(extractor: EntityExtractor, text: str) -> None:
    assert [f for f in found(extractor, text) if f[0] == "money"] == []


def test_order_number_is_not_a_phone(extractor: EntityExtractor) -> None:
    assert found(extractor, "订单138123456789怎么还没到") == [
        ("order_id", "138123456789", "138123456789")
    ]
    assert found(extractor, "电话1381234567少了一位") == []
    assert found(extractor, "SF1234567890123") == []


def test_phones_and_emails(extractor: EntityExtractor) -> None:
    assert found(extractor, "联系电话：+86 138-0013-8000，邮箱 Li.Na@QQ.com") == [
        ("phone", "+86 138-0013-8000", "13800138000"),
        ("email", "Li.Na@QQ.com", "li.na@qq.com"),
    ]
    assert found(extractor, "call +1 415 555 0132") == [
        ("phone", "+1 415 555 0132", "+14155550132")
    ]


def test_chinese_address_is_structured(extractor: EntityExtractor) -> None:
    text = "收件人 赵敏，新地址：广东省深圳市南山区科技园路18号3栋502室，电话18611112222"
    assert found(extractor, text) == [
        ("recipient", "赵敏", "赵敏"),
        (
            "address",
            "广东省深圳市南山区科技园路18号3栋502室",
            {
                "province": "广东省",
                "city": "深圳市",
                "district": "南山区",
                "street": "科技园路18号",
                "unit": "3栋502室",
            },
        ),
        ("phone", "18611112222", "18611112222"),
    ]


def test_address_after_a_verb_starts_at_the_place(extractor: EntityExtractor) -> None:
    assert found(extractor, "地址改成成都市武侯区人民南路四段12号")[0][2] == {
        "city": "成都市",
        "district": "武侯区",
        "street": "人民南路四段12号",
    }


def test_english_address_and_recipient(extractor: EntityExtractor) -> None:
    text = "ship it to John Smith at 1600 Pennsylvania Ave NW, Apt 4, Washington, DC 20500"
    assert found(extractor, text) == [
        ("recipient", "John Smith", "John Smith"),
        (
            "address",
            "1600 Pennsylvania Ave NW, Apt 4, Washington, DC 20500",
            {
                "number": "1600",
                "street": "Pennsylvania Ave NW",
                "unit": "Apt 4",
                "city": "Washington",
                "state": "DC",
                "postcode": "20500",
            },
        ),
    ]


@pytest.mark.parametrize(
    "text", ["上海哪个仓库发货", "do you ship to London?", "send it to my mom"]
)
def test_places_and_relations_are_not_addresses_or_names(
    extractor: EntityExtractor, text: str
) -> None:
    assert found(extractor, text) == []


def test_products_link_to_the_catalogue(extractor: EntityExtractor) -> None:
    # A full name is one product, even with a "price" (65W) inside; a short name is its type.
    assert found(extractor, "沃特斯 氮化镓 65W 快充充电器有货吗") == [
        ("product", "沃特斯 氮化镓 65W 快充充电器", "T001")
    ]
    assert found(extractor, "is the Voltix GaN 65W Fast Charger in stock") == [
        ("product", "Voltix GaN 65W Fast Charger", "T001")
    ]
    assert found(extractor, "充电器发烫") == [("product", "充电器", "charger")]
    # One product has this short name: the product itself.
    assert found(extractor, "亲 耳机到了") == [("product", "耳机", "T003")]
    # Plurals, Latin inside Chinese, never inside a longer word.
    assert found(extractor, "buy four T-shirts") == [
        ("quantity", "four", 4),
        ("product", "T-shirts", "T004"),
    ]
    assert found(extractor, "我要两件T恤") == [("quantity", "两件", 2), ("product", "T恤", "T004")]
    assert found(extractor, "my teacher said") == []


def test_quantities_and_sizes(extractor: EntityExtractor) -> None:
    assert found(extractor, "昨天买的两件，L码，能换成XL吗") == [
        ("date", "昨天", "2026-03-17"),
        ("quantity", "两件", 2),
        ("size", "L码", "L"),
        ("size", "XL", "XL"),
    ]
    assert found(extractor, "send 5 pairs in size 9") == [
        ("quantity", "5 pairs", 5),
        ("size", "size 9", "9"),
    ]
    assert found(extractor, "I want two of them") == [("quantity", "two", 2)]
    assert found(extractor, "42码的") == [("size", "42码", "42")]


@pytest.mark.parametrize(
    "text", ["买了一个月就坏了", "第2件半价吗", "I've waited 15 days", "I'm fine"]
)
def test_durations_and_ordinals_are_not_quantities(extractor: EntityExtractor, text: str) -> None:
    assert found(extractor, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x01\ufffd\ufffd",
        "😂" * 500,
        "a" * 100_000,
        "1" * 5000,
        "¥" * 3000,
        "收件人" * 2000,
        "上周" * 3000,
        "1-" * 4000,
    ],
)
def test_any_text_is_answered_quickly(extractor: EntityExtractor, text: str) -> None:
    import time

    started = time.perf_counter()
    extractor.extract(text, WEDNESDAY)
    assert time.perf_counter() - started < 2.0


def test_rules_without_spacy_agree_with_the_extractor(extractor: EntityExtractor) -> None:
    text = "订单260315004217，两百以内，上周二，收件人 张三"
    with_products = [e for e in extractor.extract(text, WEDNESDAY) if e.type != "product"]
    assert extract_rules(text, WEDNESDAY) == with_products


def test_a_configured_order_number_pattern() -> None:
    assert [
        e.value
        for e in extract_rules("订单 AB-1234 和 260315004217", order_id_pattern="AB-[0-9]{4}")
    ] == ["AB-1234"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # An office building and floor after the house number; a 道 road.
        (
            "湖南省长沙市芙蓉区五一大道99号华天大厦8楼",
            {
                "province": "湖南省",
                "city": "长沙市",
                "district": "芙蓉区",
                "street": "五一大道99号",
                "unit": "华天大厦8楼",
            },
        ),
        (
            "厦门市湖里区仙岳道12号",
            {"city": "厦门市", "district": "湖里区", "street": "仙岳道12号"},
        ),
        # A 镇 before the road, a lane (弄) with its own number.
        (
            "上海市松江区泗泾镇江川路200弄5号302室",
            {
                "city": "上海市",
                "district": "松江区",
                "street": "泗泾镇江川路200弄5号",
                "unit": "302室",
            },
        ),
        # A residential estate without a road, then its building.
        (
            "成都市锦江区春熙街道翠苑小区2栋1单元801",
            {
                "city": "成都市",
                "district": "锦江区",
                "street": "春熙街道翠苑小区",
                "unit": "2栋1单元801",
            },
        ),
        # A county-level city after its prefecture-level city.
        (
            "浙江省金华市义乌市稠州北路66号",
            {
                "province": "浙江省",
                "city": "金华市",
                "district": "义乌市",
                "street": "稠州北路66号",
            },
        ),
    ],
)
def test_chinese_address_shapes(
    extractor: EntityExtractor, text: str, value: dict[str, str]
) -> None:
    assert found(extractor, text) == [("address", text, value)]


def test_an_estate_needs_a_city_or_district(extractor: EntityExtractor) -> None:
    assert [f for f in found(extractor, "放到翠苑小区2栋门口") if f[0] == "address"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # A street type outside the list, with city, state and ZIP after it.
        (
            "10 Ocean Vista, Malibu, CA 90265",
            {
                "number": "10",
                "street": "Ocean Vista",
                "city": "Malibu",
                "state": "CA",
                "postcode": "90265",
            },
        ),
        # The unit before the house number, UK and Australian style.
        (
            "Suite 5, 20 Market Lane, Leeds LS1 6DT",
            {
                "unit": "Suite 5",
                "number": "20",
                "street": "Market Lane",
                "city": "Leeds",
                "postcode": "LS1 6DT",
            },
        ),
        (
            "7/21 Beach Road, Bondi NSW 2026",
            {
                "unit": "7",
                "number": "21",
                "street": "Beach Road",
                "city": "Bondi",
                "state": "NSW",
                "postcode": "2026",
            },
        ),
        # A numbered street, a Canadian postcode.
        (
            "45 W 34th St, New York, NY 10001",
            {
                "number": "45",
                "street": "W 34th St",
                "city": "New York",
                "state": "NY",
                "postcode": "10001",
            },
        ),
        (
            "300 Bay St, Toronto, ON M5J 2R8",
            {
                "number": "300",
                "street": "Bay St",
                "city": "Toronto",
                "state": "ON",
                "postcode": "M5J 2R8",
            },
        ),
    ],
)
def test_english_address_shapes(
    extractor: EntityExtractor, text: str, value: dict[str, str]
) -> None:
    assert found(extractor, text) == [("address", text, value)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("收货人：诸葛明亮 电话13800001111", "诸葛明亮"),  # a two-character family name
        ("收件人写我老公 周强", "周强"),  # a relation between the cue and the name
        ("麻烦寄给我姐姐 黄丽", "黄丽"),
        ("please change the recipient to Anna Bell", "Anna Bell"),
        ("Put Oliver Stone as the addressee", "Oliver Stone"),
        ("this one is for my grandma Rose Miller", "Rose Miller"),
        ("ship it to 8 Elm Street c/o Jake O'Neil", "Jake O'Neil"),
        ("attn: Laura McDonald", "Laura McDonald"),
    ],
)
def test_recipient_cues(extractor: EntityExtractor, text: str, name: str) -> None:
    assert ("recipient", name, name) in found(extractor, text)


@pytest.mark.parametrize(
    "text", ["My name is Tom Lee, where is my parcel", "send it to my dad", "寄给我爸爸"]
)
def test_the_customer_or_a_bare_relation_is_not_a_recipient(
    extractor: EntityExtractor, text: str
) -> None:
    assert [f for f in found(extractor, text) if f[0] == "recipient"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8号发的货", ("8号", "2026-03-08")),
        ("上个月20号签收的", ("上个月20号", "2026-02-20")),
        ("下月3号以后再寄", ("下月3号", "2026-04-03")),
        ("下个月底", ("下个月底", "2026-04-30")),
        ("2.14买的花", ("2.14", "2026-02-14")),
        ("ordered 2/27", ("2/27", "2026-02-27")),
        ("can it come before the 22nd", ("the 22nd", "2026-03-22")),
        ("it was delivered on Friday", ("Friday", "2026-03-13")),
        ("it will arrive on Friday", ("Friday", "2026-03-20")),
        ("周六到的货", ("周六", "2026-03-14")),
        ("周六能到吗", ("周六", "2026-03-21")),
    ],
)
def test_days_of_the_month_and_past_weekdays(
    extractor: EntityExtractor, text: str, expected: tuple[str, str]
) -> None:
    assert [f for f in found(extractor, text) if f[0] == "date"] == [("date", *expected)]


@pytest.mark.parametrize(
    "text",
    [
        "到底什么时候发货",
        "24/7 support?",
        "rated it 4/5 stars",
        "3号楼",
        "差价12.5元",
        "on the 2nd floor",
    ],
)
def test_not_dates(extractor: EntityExtractor, text: str) -> None:
    assert [f for f in found(extractor, text) if f[0] == "date"] == []


def _money(low: float | None, high: float | None, currency: str = "CNY") -> dict[str, Any]:
    return {"min": low, "max": high, "currency": currency}


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("大约五百块左右吧", "五百块左右", _money(375, 625)),  # the cue after wins
        ("最多出两百", "最多出两百", _money(None, 200)),
        ("四五十块的袜子", "四五十块", _money(40, 50)),
        ("三块五一瓶", "三块五", _money(3.5, 3.5)),
        ("两千出头", "两千出头", _money(2000, 2500)),
        ("二十多块钱", "二十多块钱", _money(20, 30)),
        ("一千多的手表", "一千多", _money(1000, 2000)),
        ("多收了15", "15", _money(15, 15)),
        ("you overcharged me by 12", "12", _money(12, 12)),
        ("800的和1200的差在哪", "800", _money(800, 800)),
        ("is the 1500 one better", "1500", _money(1500, 1500)),
        ("50 to 80 price range", "50 to 80", _money(50, 80)),
        ("三百到五百之间", "三百到五百", _money(300, 500)),
        ("sub-$50 gifts", "sub-$50", _money(None, 50, "USD")),
    ],
)
def test_money_shapes(
    extractor: EntityExtractor, text: str, span: str, value: dict[str, Any]
) -> None:
    assert next(f for f in found(extractor, text) if f[0] == "money") == ("money", span, value)


@pytest.mark.parametrize(
    "text",
    ["等了二十多天", "三十多岁", "少了2件", "两三天就到", "42的码有吗", "2025的款", "号码少了一位"],
)
def test_more_numbers_that_are_not_money(extractor: EntityExtractor, text: str) -> None:
    assert [f for f in found(extractor, text) if f[0] == "money"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("仨T恤多少钱", [("quantity", "仨", 3), ("product", "T恤", "T004")]),
        (
            "we need a couple of chargers",
            [("quantity", "a couple", 2), ("product", "chargers", "charger")],
        ),
        ("half a dozen tees", [("quantity", "half a dozen", 6), ("product", "tees", "T004")]),
        ("3 of the chargers broke", [("quantity", "3", 3), ("product", "chargers", "charger")]),
        ("I kept four and returned two", [("quantity", "four", 4), ("quantity", "two", 2)]),
        ("only three arrived", [("quantity", "three", 3)]),
    ],
)
def test_more_quantities(
    extractor: EntityExtractor, text: str, expected: list[tuple[str, str, Any]]
) -> None:
    assert found(extractor, text) == expected


def test_people_are_not_quantities(extractor: EntityExtractor) -> None:
    assert found(extractor, "我们俩都买了") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("41的码还有吗", ("41", "41")),
        ("I normally wear a 43", ("43", "43")),
        ("I'm always a 40 in these", ("40", "40")),
        ("is EU 39 a US 7?", ("EU 39", "39")),
        ("欧码44有吗", ("欧码44", "44")),
        ("这件是均码吗", ("均码", "one size")),
        ("is it one-size?", ("one-size", "one size")),
        ("要3XL的", ("3XL", "XXXL")),
    ],
)
def test_more_sizes(extractor: EntityExtractor, text: str, expected: tuple[str, str]) -> None:
    assert ("size", *expected) == next(f for f in found(extractor, text) if f[0] == "size")


@pytest.mark.parametrize("text", ["I'm 30 years old", "I'm a 5 foot 9 guy", "US customers"])
def test_not_sizes(extractor: EntityExtractor, text: str) -> None:
    assert [f for f in found(extractor, text) if f[0] == "size"] == []


def test_long_plural_names_match_their_singular() -> None:
    from bot.entities.catalog import product_phrases

    phrases = {
        p.text: p.value
        for p in product_phrases(
            [{"id": "X1", "name_en": "Studio Headphones", "aliases": ["headphones", "boots"]}],
            {"headphones": {"headphones"}, "boots": {"boots"}},
        )
    }
    assert phrases["headphone"] == "X1"
    assert "boot" not in phrases  # too short to be sure it is a plural


@pytest.mark.parametrize("text", ["手机尾号5678的那个订单", "型号299的是哪款", "2301室的快递"])
def test_numbers_before_de_that_are_not_prices(extractor: EntityExtractor, text: str) -> None:
    assert [f for f in found(extractor, text) if f[0] == "money"] == []
