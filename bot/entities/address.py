"""Postal addresses and recipients' names, Chinese and English.

Chinese: province, city, district (or county), street (road and house number) and unit
(building, entrance, floor, room), e.g. 广东省深圳市南山区科技园路18号3栋502室 ->
``{"province": "广东省", "city": "深圳市", "district": "南山区", "street": "科技园路18号",
"unit": "3栋502室"}``. A street with its house number is required: "北京" alone is a place, not
an address. English: house number, street, unit, city, state or region, postcode and country,
e.g. "1600 Pennsylvania Ave NW, Apt 4, Washington, DC 20500".

Recipients: the name after 收件人 / 收货人 / 姓名 / "recipient:" / "name:", after "ship (it)
to" / "deliver to", or after "should be" when the message talks about the recipient. Chinese
names must start with a common family name.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from bot.entities.types import Entity

_PROVINCES = (
    "河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|"
    "贵州|云南|陕西|甘肃|青海|台湾"
)
_REGIONS = "内蒙古|广西|西藏|宁夏|新疆"
# One character of a place name: Han, not a word that introduces or follows an address.
_PLACE_CHAR = r"(?:(?![是在到住址的给把寄送改我你您吧了呢啊吗和及与省市区县])[\u4e00-\u9fff])"
_DISTRICT_CHAR = r"(?:(?![是在到住址的给把寄送改我你您吧了呢啊吗和及与省区县])[\u4e00-\u9fff])"
_ROAD_CHAR = r"(?:(?![是在到住址的给把寄送改我你您吧了呢啊吗和及与])[\u4e00-\u9fff]|[A-Za-z0-9])"
_ZH_NUM = r"(?:\d+|[一二三四五六七八九十百零]+)"
_HAN_NAME = r"(?:(?![是在到住址的给把寄送改我你您吧了呢啊吗和及与收])[\u4e00-\u9fff]|[A-Za-z])"
# A building part: 3栋, 5号楼, B座, 2单元, 12楼, 502室.
_BUILDING_PART = r"(?:\d+|[A-Za-z]|[一二三四五六七八九十]+)\s*(?:号楼|栋|幢|座|单元|层|楼|室|户|号)"
_ZH_ADDRESS = re.compile(
    # Not right after 改 / 换 / 变: "改成上海市" starts at 上, "改成成都市" at the second 成.
    r"(?<![改换变])"
    rf"(?P<province>(?:{_PROVINCES})省|(?:{_REGIONS})(?:(?:壮族|回族|维吾尔)?自治区)?)?"
    rf"(?P<city>{_PLACE_CHAR}{{2,5}}?(?:市|自治州|地区|盟))?"
    # A county-level city (昆山市) is a district when a city came before it.
    rf"(?P<district>{_DISTRICT_CHAR}{{1,5}}?(?:区|县|旗|(?(city)市|(?!))))?"
    # The street: a road with its house number (a 街道 or 镇 before it, a lane after it:
    # 七宝镇漕宝路3366弄12号), or a residential estate followed by its building (花家地小区7号楼).
    r"(?P<street>"
    rf"{_ROAD_CHAR}{{1,12}}?(?:大道|大街|步行街|路|街|道|巷|弄|胡同)(?:{_ZH_NUM}段)?\s*{_ZH_NUM}"
    rf"\s*(?:[号號]|(?:弄|巷)\s*{_ZH_NUM}\s*[号號])"
    rf"|(?P<estate>{_ROAD_CHAR}{{1,14}}?(?:小区|花园|家园|新村|公寓|社区|苑))"
    rf"(?=\s*(?:\d+|[A-Za-z]|[一二三四五六七八九十]+)\s*(?:号楼|栋|幢|座))"
    r")"
    # The unit: an office building's name (国际银行大厦), then building, entrance, floor, room.
    rf"(?P<unit>(?:{_HAN_NAME}{{2,10}}?(?:大厦|大楼|广场|中心|写字楼|公寓|花园|小区|家园|苑))?"
    rf"(?:\s*{_BUILDING_PART})*"
    r"(?:\s*\d{3,5}(?!\d))?)?"
)
_BUILDING_ONLY = re.compile(
    r"(?<![\dA-Za-z])(?:\d+|[A-Za-z])\s*(?:号楼|栋|幢|座)(?:\s*\d+\s*(?:单元|层|楼|室|号|户))*"
    r"(?:\s*\d{3,5}(?!\d))?"
)

_STREET_TYPES = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Square|Sq|Parkway|Pkwy|Highway|Hwy|Crescent|Close|Row|Walk|Loop|Circle|Cir|"
    r"Trail|Trl|Plaza|Alley|Mews|Grove|Esplanade|Parade|Quay)"
)
# A word of a street's name: capitalised, or a numbered street ("E 57th St").
_CAP_WORD = r"(?:[A-Z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th))"
_CITY_WORD = r"[A-Z][a-z][A-Za-z'.-]*"  # not a state's capitals ("Fitzroy VIC")
_COUNTRIES = (
    r"(?:USA|U\.S\.A\.|US|UK|U\.K\.|United States|United Kingdom|England|Scotland|Canada|"
    r"Australia|New Zealand|Ireland|Germany|France|China|Japan|Malaysia)"
)
_UNIT_WORD = r"(?i:apt|apartment|suite|ste|unit|flat|room|level|floor|fl)"
# A unit may come first ("Flat 3, 14 Kings Road"; Australian "4/15 Smith Street").
_EN_NUMBER = (
    rf"(?:(?P<unit_before>{_UNIT_WORD}\.?\s*#?\s*\d+[A-Za-z]?),?\s+)?"
    r"(?<![\w#/-])(?:(?P<unit_slash>\d{1,4}[A-Za-z]?)/)?(?P<number>\d{1,6}[A-Za-z]?)\s+"
)
# US and Australian states (2-3 capitals), UK, Canadian and numeric postcodes.
_STATE = r"(?P<state>[A-Z]{2,3})\b(?!\s*[a-z])"
_POSTCODE = (
    r"(?P<postcode>[A-Z]\d[A-Z]\s?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}"
    r"|\d{5}(?:-\d{4})?|\d{4,6})\b"
)
_EN_ADDRESS = re.compile(
    _EN_NUMBER + rf"(?P<street>(?:{_CAP_WORD}\s+){{0,3}}{_CAP_WORD}\s+(?i:{_STREET_TYPES})\b\.?"
    r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?)"
    rf"(?:,?\s*(?P<unit>{_UNIT_WORD}\.?\s*#?\s*[\w-]+"
    r"|#\s*[\w-]+))?"
    rf"(?:,\s*(?!{_COUNTRIES}\b)(?P<city>{_CITY_WORD}\b(?:\s+{_CITY_WORD}\b){{0,2}}))?"
    rf"(?:,?\s+{_STATE})?"
    rf"(?:,?\s*{_POSTCODE})?"
    rf"(?:,\s*(?P<country>{_COUNTRIES})\b)?"
)
_EN_ADDRESS_UNTYPED = re.compile(
    _EN_NUMBER + rf"(?P<street>(?:{_CAP_WORD}\s+){{0,2}}{_CAP_WORD}),\s*"
    rf"(?P<city>{_CITY_WORD}\b(?:\s+{_CITY_WORD}\b){{0,2}}),?\s+{_STATE},?\s*{_POSTCODE}"
    rf"(?:,\s*(?P<country>{_COUNTRIES})\b)?"
)
_COUNTRY_CODES = {"UK", "US"}

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁"
    "蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝欧阳司马诸葛上官"
)
_COMPOUND_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|皇甫|慕容|令狐|夏侯|尉迟|长孙|宇文|司徒|公孙|端木|南宫|西门|轩辕"
)
_ZH_NAME = (
    rf"(?:(?:{_COMPOUND_SURNAMES})[\u4e00-\u9fff]{{1,2}}|[{_SURNAMES}][\u4e00-\u9fff]{{1,2}})"
)
_ZH_NAME_END = r"(?=$|[\s,，。.;；:：!！?？、)）]|电话|手机|联系|地址|的|吧|啊|呀|哦|收|寄|住)"
# Family and friends a parcel is sent to ("寄给我妈 张秀英", "for my sister Jane Doe").
_ZH_RELATION = (
    r"(?:妈妈|妈|老妈|爸爸|爸|老爸|老婆|老公|媳妇|爱人|女朋友|男朋友|朋友|同事|闺蜜|姐姐|姐|"
    r"哥哥|哥|弟弟|弟|妹妹|妹|儿子|女儿|爷爷|奶奶|外婆|外公|姥姥|婆婆|公公|岳母|老板|领导)"
)
_ZH_RECIPIENT = re.compile(
    r"(?:收件人|收货人|签收人|收件|姓名|名字|联系人)\s*(?:改成|改为|换成|是|为|写|叫|:|：)?\s*"
    rf"(?:我的?{_ZH_RELATION}\s*)?(?P<name>{_ZH_NAME}?){_ZH_NAME_END}"
)
_ZH_RECIPIENT_RELATION = re.compile(
    rf"(?:寄给|送给|发给|寄到|给)我的?{_ZH_RELATION}\s*(?P<name>{_ZH_NAME}?){_ZH_NAME_END}"
)
_ZH_RECIPIENT_LATE = re.compile(
    rf"(?:应该是|应为|改成|改为|换成)\s*(?P<name>{_ZH_NAME}?){_ZH_NAME_END}"
)
_EN_NAME_WORD = r"(?:O'[A-Z][a-z]+|Mc[A-Z][a-z]+|[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)"
_EN_NAME = rf"{_EN_NAME_WORD}(?:\s+{_EN_NAME_WORD}){{1,2}}"
_EN_RELATION = (
    r"(?:mom|mum|mother|mama|dad|father|papa|parents|wife|husband|partner|sister|brother|son|"
    r"daughter|friend|girlfriend|boyfriend|fiancee?|grandma|grandmother|grandpa|grandfather|"
    r"aunt|uncle|cousin|niece|nephew|boss|colleague|coworker|neighbou?r|roommate)"
)
_EN_RECIPIENT = (
    # "recipient: Mary Jones", "change recipient to Mary Ma", "name: Peter Parker" (not "my
    # name is ...": that is the customer, not the person the parcel goes to).
    re.compile(
        r"\b(?i:recipient|addressee)\s*(?:is\s*|:\s*|to\s+|=\s*)"
        rf"(?P<name>{_EN_NAME})"
    ),
    re.compile(rf"(?<![Mm]y )\b(?i:name)\s*(?:is\s*|:\s*)(?P<name>{_EN_NAME})"),
    re.compile(
        rf"\b(?i:ship|send|deliver|mail|post|address)(?:\s+(?i:it|this|them|the parcel|"
        rf"the package|the order))?\s+(?i:to)\s+(?P<name>{_EN_NAME})\b(?!\s+(?i:{_STREET_TYPES})\b)"
    ),
    # Care of and for the attention of: "c/o Maria Lopez", "attn: Mark Chen".
    re.compile(
        rf"(?i:\bc/o|\bcare of|\battn\.?|\battention|\baddressed to)\s*:?\s*(?P<name>{_EN_NAME})"
    ),
    re.compile(rf"\b(?i:for|to|is|be)\s+(?i:my|our)\s+(?i:{_EN_RELATION})\s+(?P<name>{_EN_NAME})"),
    re.compile(rf"(?P<name>{_EN_NAME})\s+(?i:as)\s+(?i:the\s+)?(?i:recipient|addressee)\b"),
)
_EN_RECIPIENT_LATE = re.compile(rf"\b(?i:should be|change it to|make it)\s+(?P<name>{_EN_NAME})")
_EN_RECIPIENT_FOR = re.compile(rf"\bfor\s+(?P<name>{_EN_NAME})\s*[.!]?$")
_RECIPIENT_CONTEXT = re.compile(r"recipient|addressee|\bname\b|收件人|收货人|姓名|名字", re.I)
# Capitalised words that start a sentence rather than a name ("Put Robert Brown as ...").
_LEADING_WORDS = {"Put", "Please", "Make", "Set", "Use", "Add", "Change", "Send", "Ship", "Hi"}
_LEADING_WORDS |= {"Hello", "Dear", "Thanks", "And", "Or", "To", "For", "Deliver", "Mail"}
_NOT_NAMES = {"New York", "Hong Kong", "New Zealand", "United States", "United Kingdom"}


def _zh_value(match: re.Match[str]) -> dict[str, str]:
    return {k: v.strip() for k, v in match.groupdict().items() if v and v.strip()}


def zh_address_matches(text: str) -> Iterator[re.Match[str]]:
    """Chinese addresses; an estate without a road (花家地小区7号楼) needs a city or district
    before it ("送到阳光花园3栋" alone is not taken as a whole address)."""
    for match in _ZH_ADDRESS.finditer(text):
        if match.group("estate") and not (match.group("district") or match.group("city")):
            continue
        yield match


def en_address_matches(text: str) -> Iterator[re.Match[str]]:
    """English addresses: a street of a known type, or any capitalised street name when a
    city, state and postcode follow it ("1 Infinite Loop, Cupertino, CA 95014")."""
    typed = list(_EN_ADDRESS.finditer(text))
    yield from typed
    spans = {m.span() for m in typed}
    yield from (m for m in _EN_ADDRESS_UNTYPED.finditer(text) if m.span() not in spans)


def _en_value(match: re.Match[str]) -> dict[str, str]:
    value = {k: v for k, v in match.groupdict().items() if v}
    for key in ("unit_before", "unit_slash"):
        if key in value:
            value["unit"] = value.pop(key)
    value["street"] = " ".join(value["street"].split()).rstrip(".")
    if value.get("state") in _COUNTRY_CODES and "postcode" not in value:
        value["country"] = value.pop("state")
    return value


def find_addresses(text: str) -> Iterator[Entity]:
    for match in zh_address_matches(text):
        value = _zh_value(match)
        value.pop("estate", None)
        yield Entity("address", match.group(0), match.start(), match.end(), value)
    for match in en_address_matches(text):
        end = match.end()
        yield Entity("address", text[match.start() : end], match.start(), end, _en_value(match))


def building_spans(text: str) -> Iterator[tuple[int, int]]:
    """Building and room numbers without a street (3号楼2单元501室): redaction hides them too."""
    for match in _BUILDING_ONLY.finditer(text):
        yield match.span()


def find_recipients(text: str, has_address: bool = False) -> Iterator[Entity]:
    patterns: list[re.Pattern[str]] = [_ZH_RECIPIENT, _ZH_RECIPIENT_RELATION, *_EN_RECIPIENT]
    if _RECIPIENT_CONTEXT.search(text):
        patterns += [_ZH_RECIPIENT_LATE, _EN_RECIPIENT_LATE]
    if has_address:
        patterns.append(_EN_RECIPIENT_FOR)
    for pattern in patterns:
        for match in pattern.finditer(text):
            name = match.group("name")
            start = match.start("name")
            first, _, rest = name.partition(" ")
            if first in _LEADING_WORDS and " " in rest:
                name, start = rest, start + len(first) + 1
            if not name or name in _NOT_NAMES:
                continue
            yield Entity("recipient", name, start, start + len(name), name)


def private_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of what redaction hides: of a Chinese address its street and unit,
    of an English one the house number, street, unit and postcode; recipients' names. Spans do
    not overlap (an address wins over a name inside it)."""
    spans: list[tuple[int, int, str]] = []
    for match in zh_address_matches(text):
        end = match.end("unit") if match.group("unit") else match.end("street")
        spans.append((match.start("street"), end, "address"))
    for match in en_address_matches(text):
        end = match.end("unit") if match.group("unit") else match.end("street")
        spans.append((match.start(), end, "address"))
        if match.group("postcode"):
            spans.append((*match.span("postcode"), "address"))
    names = [(e.start, e.end, "recipient") for e in find_recipients(text, bool(spans))]
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans) + sorted(names):  # addresses first, in text order
        index = bisect.bisect_left(kept, span)
        before = kept[index - 1] if index else None
        after = kept[index] if index < len(kept) else None
        if (before is None or before[1] <= span[0]) and (after is None or span[1] <= after[0]):
            kept.insert(index, span)
    return kept
