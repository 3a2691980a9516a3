"""Personal data out of review texts: phones, e-mails, ID and card numbers, street addresses
in Chinese and English; order numbers, prices, dates and quantities stay."""

from __future__ import annotations

import pytest

from bot.services.redact import ADDRESS, CARD, EMAIL, ID_NUMBER, NAME, PHONE, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # phones, mainland China
        ("我的手机是13812345678", f"我的手机是{PHONE}"),
        ("手机 138 1234 5678 联系我", f"手机 {PHONE} 联系我"),
        ("电话：138-1234-5678", f"电话：{PHONE}"),
        ("+86 13912345678 is my number", f"{PHONE} is my number"),
        ("+86 138-1234-5678", PHONE),
        ("008615012345678", PHONE),
        ("座机010-12345678", f"座机{PHONE}"),
        ("(021) 6123 4567", PHONE),
        ("0755-1234567打这个", f"{PHONE}打这个"),
        # phones, elsewhere
        ("call me at (555) 123-4567", f"call me at {PHONE}"),
        ("my cell is 555-123-4567.", f"my cell is {PHONE}."),
        ("UK: +44 20 7946 0958", f"UK: {PHONE}"),
        ("reach me on +1 415 555 2671 tonight", f"reach me on {PHONE} tonight"),
        # e-mail
        ("email me: john.doe+shop@example.co.uk", f"email me: {EMAIL}"),
        ("邮箱是li_wei88@qq.com谢谢", f"邮箱是{EMAIL}谢谢"),
        # ID numbers
        ("身份证号11010519491231002X", f"身份证号{ID_NUMBER}"),
        ("ID 44030419900307123x please", f"ID {ID_NUMBER} please"),
        ("身份证310115198511204566", f"身份证{ID_NUMBER}"),
        ("SSN 123-45-6789", f"SSN {ID_NUMBER}"),
        # card numbers (Luhn-valid)
        ("card 4111 1111 1111 1111 please", f"card {CARD} please"),
        ("卡号6228480012345678911退款", f"卡号{CARD}退款"),
        ("5425-2334-3010-9903", CARD),
        ("amex 378282246310005", f"amex {CARD}"),
        # street addresses, Chinese
        ("改成上海市浦东新区世纪大道100号", f"改成上海市浦东新区{ADDRESS}"),
        ("寄到北京市朝阳区建国路88号5号楼1单元1203室", f"寄到北京市朝阳区{ADDRESS}"),
        ("地址：广州市天河区天河路385号", f"地址：广州市天河区{ADDRESS}"),
        ("送到阳光花园3栋2单元501室", f"送到阳光花园{ADDRESS}"),
        ("深圳南山区科技园南路十二号", f"深圳南山区{ADDRESS}"),
        # street addresses, English
        ("ship it to 221B Baker Street, London", f"ship it to {ADDRESS}, London"),
        ("address: 1600 Pennsylvania Ave NW, Apt 4", f"address: {ADDRESS}"),
        ("send to 12 main st", f"send to {ADDRESS}"),
        ("my new address is 45 Oak Tree Road #12", f"my new address is {ADDRESS}"),
        ("deliver to 9 Elm Drive please", f"deliver to {ADDRESS} please"),
    ],
)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单260315004217到哪了",
        "order 260315004217 placed 2026-03-15, total 1299.00",
        "where is my order #260420000009?",
        "退订单260411555501和260315004217",
        "价格是299元，买2件",
        "I bought 2 hard drives and 1 external drive",
        "I want 3 items by Friday",
        "the 27 inch monitor costs ¥1,899",
        "tracking SF1234567890123 please",  # a courier number with letters
        "iPhone 15 Pro 256GB",
        "我买了3双袜子，尺码42",
        "2026年3月15日下的单",
        "收到货7天了能退吗",
        "满199减20的券",
        "sku 100234",
        "It arrived on 03/15/2026 at 10:30",
        "订单号 2603 1500 4217",  # an order number typed in groups is 12 digits, not a card
        "my order 123456789012 hasn't arrived",
        "10 best sellers on the main page",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert redact(text) == text


def test_several_kinds_in_one_message() -> None:
    text = "我是张伟，手机13912345678，邮箱zw@163.com，订单260315004217寄到天河路385号"
    assert redact(text) == f"我是张伟，手机{PHONE}，邮箱{EMAIL}，订单260315004217寄到{ADDRESS}"


def test_a_number_that_fails_its_check_stays() -> None:
    assert redact("4111 1111 1111 1112") == "4111 1111 1111 1112"  # Luhn fails
    assert redact("110105194912310021") == "110105194912310021"  # wrong check digit
    assert redact("110105194913310029") == "110105194913310029"  # month 13


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Recipients' names and the private parts of addresses, found by the entity finders.
        ("收件人 张三，电话13800001234", f"收件人 {NAME}，电话{PHONE}"),
        ("收货人：李小龙", f"收货人：{NAME}"),
        (
            "新地址：广东省深圳市南山区科技园路18号3栋502室",
            f"新地址：广东省深圳市南山区{ADDRESS}",
        ),
        ("地址是武汉市洪山区珞喻路1037号", f"地址是武汉市洪山区{ADDRESS}"),
        ("recipient: Mary Jones", f"recipient: {NAME}"),
        (
            "ship it to John Smith at 221B Baker Street, London NW1 6XE",
            f"ship it to {NAME} at {ADDRESS}, London {ADDRESS}",
        ),
        (
            "350 Fifth Avenue, New York, NY 10118",
            f"{ADDRESS}, New York, NY {ADDRESS}",
        ),
    ],
)
def test_names_and_addresses_found_by_the_extractor(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["我想投诉快递员态度差", "send it to my mom", "do you ship to London?", "你们在北京有门店吗"],
)
def test_no_names_or_addresses_where_there_are_none(text: str) -> None:
    assert redact(text) == text


def test_long_text_is_redacted_in_linear_time() -> None:
    import time

    text = "路1号收件人 王五 13812345678 " * 3000
    started = time.perf_counter()
    out = redact(text)
    assert time.perf_counter() - started < 10
    assert "13812345678" not in out and "王五" not in out
