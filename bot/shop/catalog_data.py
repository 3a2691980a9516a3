"""The demo shop's taxonomy: categories and product types, in English and Chinese.

Plain constant data read by the generator (``bot.shop.seed``); changing it changes the demo
shop, and the NLU lookup table follows through ``python -m bot prepare-training``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import category_names

Pair = tuple[str, str]  # (English, Chinese)


@dataclass(frozen=True)
class Category:
    key: str
    name_en: str
    name_zh: str
    color: str  # card colour of the product images


@dataclass(frozen=True)
class Spec:
    key_en: str
    key_zh: str
    values: tuple[Pair, ...]


@dataclass(frozen=True)
class ProductType:
    key: str
    category: str
    noun: Pair  # "Wireless Earbuds" / "真无线蓝牙耳机"
    aliases_en: tuple[str, ...]  # the first one is the type's plain name
    aliases_zh: tuple[str, ...]
    brands: tuple[Pair, ...]
    lines: tuple[Pair, ...]  # model line or title, combined with brand and noun
    price_yuan: tuple[int, int]
    colors: tuple[Pair, ...] = ()
    sizes: tuple[str, ...] = ()
    specs: tuple[Spec, ...] = ()
    blurb: Pair = ("", "")
    # How brand, line and noun make the name; books use the title without the publisher.
    name_en_fmt: str = "{brand} {line} {noun}"
    name_zh_fmt: str = "{brand} {line}{sep}{noun}"


CATEGORIES: tuple[Category, ...] = (
    Category("electronics", *category_names("electronics"), "#3b6fd8"),
    Category("appliances", *category_names("appliances"), "#0f9d8a"),
    Category("clothing", *category_names("clothing"), "#d8553b"),
    Category("shoes", *category_names("shoes"), "#8a5a2b"),
    Category("beauty", *category_names("beauty"), "#d63f8c"),
    Category("food", *category_names("food"), "#6a9a1f"),
    Category("sports", *category_names("sports"), "#1f8fb3"),
    Category("home", *category_names("home"), "#b3861f"),
    Category("underwear", *category_names("underwear"), "#9b59b6"),
    Category("books", *category_names("books"), "#4d5b6a"),
)

CONSUMABLE_CATEGORIES = frozenset({"food", "beauty"})

# Colours -------------------------------------------------------------------------------------
BLACK = ("Black", "黑色")
WHITE = ("White", "白色")
NAVY = ("Navy", "藏青色")
GREY = ("Grey", "灰色")
RED = ("Red", "红色")
BLUE = ("Blue", "蓝色")
PINK = ("Pink", "粉色")
GREEN = ("Green", "绿色")
BEIGE = ("Beige", "米色")
KHAKI = ("Khaki", "卡其色")
SILVER = ("Silver", "银色")
ROSE_GOLD = ("Rose Gold", "玫瑰金")
PURPLE = ("Purple", "紫色")
YELLOW = ("Yellow", "黄色")
BROWN = ("Brown", "棕色")
SPACE_GREY = ("Space Grey", "深空灰")
CLEAR = ("Clear", "透明")
LIGHT_BLUE = ("Light Blue", "浅蓝色")
DARK_BLUE = ("Dark Blue", "深蓝色")
NUDE = ("Nude", "肤色")
ORANGE = ("Orange", "橙色")
OLIVE = ("Olive", "橄榄绿")

APPAREL_SIZES = ("S", "M", "L", "XL", "XXL")
SHOE_SIZES = ("36", "37", "38", "39", "40", "41", "42", "43", "44", "45")

WARRANTY = Spec("Warranty", "保修", (("1 year", "1 年"), ("2 years", "2 年")))

# Brands --------------------------------------------------------------------------------------
AUDIO_BRANDS = (
    ("SoundPeak", "声浪"),
    ("Cadence", "韵律"),
    ("EchoBay", "回声湾"),
    ("Nova", "诺瓦"),
    ("Harmonia", "和弦"),
)
POWER_BRANDS = (
    ("Voltix", "沃特斯"),
    ("ZenCharge", "禅充"),
    ("Anvo", "安沃"),
    ("Lumio", "流明"),
    ("Nova", "诺瓦"),
)
GADGET_BRANDS = (
    ("TapKey", "触键"),
    ("KeyForge", "键铸"),
    ("PixelArc", "像弧"),
    ("Orbit", "轨迹"),
    ("Lumio", "流明"),
)
KITCHEN_BRANDS = (
    ("Homewell", "好居"),
    ("Kitchy", "厨趣"),
    ("Zenhome", "禅家"),
    ("Bellini", "贝利尼"),
    ("Pureflow", "纯流"),
)
FASHION_BRANDS = (
    ("Cottonwood", "棉语"),
    ("UrbanThread", "都市织"),
    ("Nordline", "北线"),
    ("Basics Co.", "本色"),
    ("Maple", "枫叶"),
)
SHOE_BRANDS = (
    ("Stride", "步锐"),
    ("AeroRun", "飞跑"),
    ("Peakway", "峰途"),
    ("Swift", "迅捷"),
    ("Lightfoot", "轻足"),
)
BEAUTY_BRANDS = (
    ("Rosette", "玫瑰坊"),
    ("Muse", "缪斯"),
    ("Lumi", "露米"),
    ("Camellia", "山茶"),
    ("Velvet", "丝绒"),
)
HAIR_BRANDS = (
    ("Silka", "丝佳"),
    ("Herbal House", "草本集"),
    ("Oasis", "绿洲"),
    ("Camellia", "山茶"),
    ("PureRoot", "纯根"),
)
SPORT_BRANDS = (
    ("Peakway", "峰途"),
    ("FlexFit", "弹力"),
    ("Lotus", "莲花"),
    ("Summit", "极顶"),
    ("Stride", "步锐"),
)
HOME_BRANDS = (
    ("Dreamy", "梦乡"),
    ("Cozyhome", "暖家"),
    ("Linen House", "麻屋"),
    ("Cloud Nine", "云朵"),
    ("Homewell", "好居"),
)
LINGERIE_BRANDS = (
    ("Softie", "柔肤"),
    ("Silkee", "丝柔"),
    ("Cottonwood", "棉语"),
    ("Grace", "雅格"),
    ("Lumi", "露米"),
)
PUBLISHERS = (
    ("Riverside Press", "河畔出版社"),
    ("Lantern Books", "灯笼书局"),
    ("Bamboo Press", "竹林出版社"),
    ("Harbor House", "港湾书屋"),
    ("Inkstone", "砚台文化"),
)

BATTERY_H = Spec(
    "Battery life",
    "续航",
    (("24 h", "24 小时"), ("30 h", "30 小时"), ("36 h", "36 小时"), ("40 h", "40 小时")),
)
BLUETOOTH = Spec("Bluetooth", "蓝牙版本", (("5.2", "5.2"), ("5.3", "5.3"), ("5.4", "5.4")))
ANC = Spec(
    "Active noise cancelling",
    "主动降噪",
    (("Yes", "支持"), ("Yes, adaptive", "支持，自适应"), ("No", "不支持")),
)
WATER_IPX = Spec(
    "Water resistance", "防水等级", (("IPX4", "IPX4"), ("IPX5", "IPX5"), ("IP67", "IP67"))
)
FABRIC_CARE = Spec(
    "Care",
    "洗涤方式",
    (("Machine wash cold", "冷水机洗"), ("Hand wash", "手洗"), ("Machine wash 30°C", "30°C 机洗")),
)
SHELF_LIFE = Spec(
    "Shelf life",
    "保质期",
    (("12 months", "12 个月"), ("18 months", "18 个月"), ("24 months", "24 个月")),
)
ORIGIN_CN = Spec(
    "Origin",
    "产地",
    (
        ("Hangzhou, Zhejiang", "浙江杭州"),
        ("Pu'er, Yunnan", "云南普洱"),
        ("Huangshan, Anhui", "安徽黄山"),
        ("Fuzhou, Fujian", "福建福州"),
    ),
)

PRODUCT_TYPES: tuple[ProductType, ...] = (
    # Electronics ------------------------------------------------------------------------------
    ProductType(
        key="wireless_earbuds",
        category="electronics",
        noun=("Wireless Earbuds", "真无线蓝牙耳机"),
        aliases_en=("wireless earbuds", "earbuds", "earphones"),
        aliases_zh=("无线耳机", "蓝牙耳机", "耳机"),
        brands=AUDIO_BRANDS,
        lines=(
            ("Air Pro", "Air Pro"),
            ("Buds 3", "Buds 3"),
            ("Lite", "Lite 青春版"),
            ("ANC Max", "ANC Max 降噪版"),
            ("Sport", "Sport 运动版"),
        ),
        price_yuan=(129, 1299),
        colors=(BLACK, WHITE, BLUE),
        specs=(BATTERY_H, BLUETOOTH, ANC, WATER_IPX, WARRANTY),
        blurb=(
            "True wireless earbuds with a pocket-size charging case, clear calls and a stable "
            "Bluetooth connection.",
            "口袋大小的充电盒，通话清晰，蓝牙连接稳定的真无线耳机。",
        ),
    ),
    ProductType(
        key="headphones",
        category="electronics",
        noun=("Over-Ear Headphones", "头戴式蓝牙耳机"),
        aliases_en=("headphones", "over-ear headphones"),
        aliases_zh=("耳机", "头戴式耳机"),
        brands=AUDIO_BRANDS,
        lines=(
            ("Studio X", "Studio X"),
            ("Q45", "Q45"),
            ("Travel ANC", "Travel ANC 降噪"),
            ("Classic", "经典款"),
            ("Pro Monitor", "Pro 监听"),
        ),
        price_yuan=(199, 1999),
        colors=(BLACK, SILVER, NAVY),
        specs=(
            BATTERY_H,
            ANC,
            Spec("Driver", "驱动单元", (("40 mm", "40 毫米"), ("50 mm", "50 毫米"))),
            Spec("Weight", "重量", (("250 g", "250 克"), ("280 g", "280 克"), ("310 g", "310 克"))),
            WARRANTY,
        ),
        blurb=(
            "Comfortable over-ear headphones with soft memory-foam cushions for long listening.",
            "记忆海绵耳罩柔软舒适，长时间佩戴也不累的头戴式耳机。",
        ),
    ),
    ProductType(
        key="phone_case",
        category="electronics",
        noun=("Phone Case", "手机壳"),
        aliases_en=("phone case", "iPhone case"),
        aliases_zh=("手机壳", "iPhone壳", "手机套"),
        brands=(
            ("ShellGuard", "壳盾"),
            ("Lumio", "流明"),
            ("ArmorLite", "轻甲"),
            ("Pebble", "卵石"),
            ("Casa", "卡萨"),
        ),
        lines=(
            ("Clear MagSafe", "透明磁吸"),
            ("Liquid Silicone", "液态硅胶"),
            ("Rugged", "军规防摔"),
            ("Leather", "真皮"),
            ("Slim Matte", "超薄磨砂"),
        ),
        price_yuan=(29, 199),
        colors=(CLEAR, BLACK, PINK, NAVY, GREEN),
        sizes=("iPhone 15", "iPhone 15 Pro", "iPhone 15 Pro Max", "iPhone 16", "iPhone 16 Pro"),
        specs=(
            Spec(
                "Material",
                "材质",
                (("TPU", "TPU"), ("Polycarbonate", "聚碳酸酯"), ("Silicone", "硅胶")),
            ),
            Spec("Drop protection", "防摔高度", (("1.2 m", "1.2 米"), ("2 m", "2 米"))),
            Spec("MagSafe", "磁吸充电", (("Compatible", "支持"), ("Not supported", "不支持"))),
        ),
        blurb=(
            "A snug case with raised edges that protect the screen and camera.",
            "贴合机身，镜头与屏幕边缘加高保护。",
        ),
    ),
    ProductType(
        key="power_bank",
        category="electronics",
        noun=("Power Bank", "充电宝"),
        aliases_en=("power bank", "portable charger"),
        aliases_zh=("充电宝", "移动电源"),
        brands=POWER_BRANDS,
        lines=(
            ("Slim 10K", "Slim 10K 超薄"),
            ("PD 20K", "PD 20K 快充"),
            ("MagGo", "MagGo 磁吸"),
            ("Mini 5K", "Mini 5K 迷你"),
            ("Max 30K", "Max 30K 大容量"),
        ),
        price_yuan=(79, 399),
        colors=(BLACK, WHITE),
        specs=(
            Spec(
                "Max output", "最大输出", (("20 W", "20 瓦"), ("30 W", "30 瓦"), ("65 W", "65 瓦"))
            ),
            Spec(
                "Ports",
                "接口",
                (("USB-C x2, USB-A x1", "USB-C ×2，USB-A ×1"), ("USB-C x1", "USB-C ×1")),
            ),
            Spec("Flight safe", "可带上飞机", (("Yes", "是"),)),
            WARRANTY,
        ),
        blurb=(
            "Fast-charging power bank that tops up a phone about twice per charge.",
            "支持快充，一次充满约可为手机充电两次。",
        ),
    ),
    ProductType(
        key="charger",
        category="electronics",
        noun=("Fast Charger", "快充充电器"),
        aliases_en=("charger", "USB-C charger", "wall charger"),
        aliases_zh=("充电器", "充电头", "快充头"),
        brands=POWER_BRANDS,
        lines=(
            ("GaN 65W", "氮化镓 65W"),
            ("Mini 20W", "Mini 20W"),
            ("3-Port 100W", "三口 100W"),
            ("Dual 35W", "双口 35W"),
            ("Travel 45W", "旅行 45W"),
        ),
        price_yuan=(39, 299),
        colors=(WHITE, BLACK),
        specs=(
            Spec(
                "Protocols",
                "快充协议",
                (("PD 3.0 / QC 4.0", "PD 3.0 / QC 4.0"), ("PD 3.1 / PPS", "PD 3.1 / PPS")),
            ),
            Spec("Foldable plug", "折叠插脚", (("Yes", "是"), ("No", "否"))),
            WARRANTY,
        ),
        blurb=(
            "Compact charger that fast-charges phones, tablets and laptops.",
            "小巧机身，手机、平板、笔记本都能快充。",
        ),
    ),
    ProductType(
        key="smartwatch",
        category="electronics",
        noun=("Smartwatch", "智能手表"),
        aliases_en=("smartwatch", "smart watch", "watch"),
        aliases_zh=("智能手表", "手表"),
        brands=(
            ("Nova", "诺瓦"),
            ("Orbit", "轨迹"),
            ("PulseFit", "脉动"),
            ("Lumio", "流明"),
            ("Kronos", "时纪"),
        ),
        lines=(
            ("Watch GT", "Watch GT"),
            ("Fit 5", "Fit 5"),
            ("Active 2", "Active 2"),
            ("Pro 46mm", "Pro 46mm"),
            ("Kids", "儿童版"),
        ),
        price_yuan=(299, 2499),
        colors=(BLACK, SILVER, ROSE_GOLD, GREEN),
        specs=(
            Spec(
                "Battery life",
                "续航",
                (("7 days", "7 天"), ("10 days", "10 天"), ("14 days", "14 天")),
            ),
            Spec(
                "Display",
                "屏幕",
                (
                    ("1.43-inch AMOLED", "1.43 英寸 AMOLED"),
                    ("1.96-inch AMOLED", "1.96 英寸 AMOLED"),
                ),
            ),
            Spec("Water resistance", "防水", (("5 ATM", "5 ATM"),)),
            Spec("GPS", "GPS", (("Built-in", "内置"), ("Via phone", "手机辅助"))),
            WARRANTY,
        ),
        blurb=(
            "Tracks heart rate, sleep and over 100 sports, with notifications on your wrist.",
            "心率、睡眠监测与 100 多种运动模式，消息提醒抬腕即看。",
        ),
    ),
    ProductType(
        key="bluetooth_speaker",
        category="electronics",
        noun=("Bluetooth Speaker", "蓝牙音箱"),
        aliases_en=("bluetooth speaker", "speaker", "portable speaker"),
        aliases_zh=("蓝牙音箱", "音箱", "音响"),
        brands=(
            ("SoundPeak", "声浪"),
            ("EchoBay", "回声湾"),
            ("Cadence", "韵律"),
            ("Harmonia", "和弦"),
            ("BassLab", "低音实验室"),
        ),
        lines=(
            ("Boom 3", "Boom 3"),
            ("Mini Go", "Mini Go"),
            ("Party 200", "Party 200"),
            ("Outdoor Rock", "户外 Rock"),
            ("Home Air", "Home Air"),
        ),
        price_yuan=(99, 1499),
        colors=(BLACK, BLUE, RED, GREY),
        specs=(
            Spec(
                "Output power",
                "输出功率",
                (("10 W", "10 瓦"), ("20 W", "20 瓦"), ("40 W", "40 瓦")),
            ),
            Spec("Battery life", "续航", (("12 h", "12 小时"), ("20 h", "20 小时"))),
            WATER_IPX,
            WARRANTY,
        ),
        blurb=(
            "Room-filling sound with deep bass, paired in seconds over Bluetooth.",
            "低音浑厚，声音饱满，蓝牙秒连。",
        ),
    ),
    ProductType(
        key="keyboard",
        category="electronics",
        noun=("Mechanical Keyboard", "机械键盘"),
        aliases_en=("keyboard", "mechanical keyboard"),
        aliases_zh=("键盘", "机械键盘"),
        brands=GADGET_BRANDS,
        lines=(
            ("K87", "K87"),
            ("Low Profile 75", "矮轴 75%"),
            ("Tri-Mode 98", "三模 98"),
            ("Silent Office", "静音办公"),
            ("Retro 68", "复古 68"),
        ),
        price_yuan=(149, 899),
        colors=(BLACK, WHITE, GREY),
        specs=(
            Spec(
                "Switches",
                "轴体",
                (("Red (linear)", "红轴"), ("Brown (tactile)", "茶轴"), ("Blue (clicky)", "青轴")),
            ),
            Spec(
                "Connection",
                "连接方式",
                (
                    ("Wired USB-C", "有线 USB-C"),
                    ("Bluetooth + 2.4 GHz + wired", "蓝牙 + 2.4G + 有线"),
                ),
            ),
            Spec("Backlight", "背光", (("RGB", "RGB"), ("White", "白光"))),
            WARRANTY,
        ),
        blurb=(
            "Hot-swappable mechanical keyboard with a solid, quiet typing feel.",
            "支持热插拔，手感扎实，声音克制。",
        ),
    ),
    ProductType(
        key="mouse",
        category="electronics",
        noun=("Wireless Mouse", "无线鼠标"),
        aliases_en=("mouse", "wireless mouse"),
        aliases_zh=("鼠标", "无线鼠标"),
        brands=GADGET_BRANDS,
        lines=(
            ("M350 Silent", "M350 静音"),
            ("Ergo Vertical", "人体工学 垂直"),
            ("G Pro Lite", "G Pro Lite 电竞"),
            ("Travel Mini", "便携 Mini"),
            ("MX Flow", "MX Flow"),
        ),
        price_yuan=(49, 699),
        colors=(BLACK, WHITE, PINK, GREY),
        specs=(
            Spec(
                "Sensor",
                "传感器",
                (("1,600 DPI", "1600 DPI"), ("4,000 DPI", "4000 DPI"), ("26,000 DPI", "26000 DPI")),
            ),
            Spec(
                "Power",
                "供电",
                (
                    ("AA battery, about 18 months", "5 号电池，约 18 个月"),
                    ("Rechargeable, about 70 days", "可充电，约 70 天"),
                ),
            ),
            WARRANTY,
        ),
        blurb=(
            "Quiet clicks and a shape that fits the hand for a full working day.",
            "静音按键，贴合手型，整天办公也舒适。",
        ),
    ),
    ProductType(
        key="tablet",
        category="electronics",
        noun=("Tablet", "平板电脑"),
        aliases_en=("tablet",),
        aliases_zh=("平板", "平板电脑"),
        brands=(
            ("Nova", "诺瓦"),
            ("Lumio", "流明"),
            ("PixelArc", "像弧"),
            ("Orbit", "轨迹"),
            ("Kronos", "时纪"),
        ),
        lines=(
            ("Pad 11", "Pad 11"),
            ("Pad Air", "Pad Air"),
            ("Pad Pro 12.6", "Pad Pro 12.6"),
            ("Kids Learning", "儿童学习"),
            ("Pad Mini", "Pad Mini"),
        ),
        price_yuan=(999, 5999),
        colors=(SPACE_GREY, SILVER),
        sizes=("128 GB", "256 GB"),
        specs=(
            Spec(
                "Screen",
                "屏幕",
                (("11-inch 2.5K", "11 英寸 2.5K"), ("12.6-inch 2.8K", "12.6 英寸 2.8K")),
            ),
            Spec("RAM", "运行内存", (("8 GB", "8 GB"), ("12 GB", "12 GB"))),
            Spec("Battery", "电池", (("8,600 mAh", "8600 毫安时"), ("10,000 mAh", "10000 毫安时"))),
            WARRANTY,
        ),
        blurb=(
            "A bright, fast tablet for films, notes and video calls.",
            "屏幕明亮、运行流畅，追剧、记笔记、视频通话都合适。",
        ),
    ),
    # Appliances -------------------------------------------------------------------------------
    ProductType(
        key="electric_kettle",
        category="appliances",
        noun=("Electric Kettle", "电热水壶"),
        aliases_en=("electric kettle", "kettle"),
        aliases_zh=("电热水壶", "烧水壶", "热水壶"),
        brands=KITCHEN_BRANDS,
        lines=(
            ("Steel 1.7L", "304不锈钢 1.7L"),
            ("Glass 1.5L", "玻璃 1.5L"),
            ("Smart Temp", "智能控温"),
            ("Travel 0.8L", "便携 0.8L"),
            ("Gooseneck Pour-Over", "手冲细口"),
        ),
        price_yuan=(69, 399),
        colors=(WHITE, SILVER, BLACK),
        specs=(
            Spec(
                "Power",
                "功率",
                (("1,500 W", "1500 瓦"), ("1,800 W", "1800 瓦"), ("2,200 W", "2200 瓦")),
            ),
            Spec("Boil-dry protection", "防干烧", (("Yes", "支持"),)),
            WARRANTY,
        ),
        blurb=(
            "Boils a full kettle in about five minutes and switches off by itself.",
            "约 5 分钟烧开一壶水，沸腾自动断电。",
        ),
    ),
    ProductType(
        key="rice_cooker",
        category="appliances",
        noun=("Rice Cooker", "电饭煲"),
        aliases_en=("rice cooker",),
        aliases_zh=("电饭煲", "电饭锅"),
        brands=KITCHEN_BRANDS,
        lines=(
            ("IH 4L", "IH 4L"),
            ("Mini 2L", "迷你 2L"),
            ("Smart 5L", "智能 5L"),
            ("Low-Sugar 3L", "低糖 3L"),
            ("Clay Pot 4L", "陶晶釜 4L"),
        ),
        price_yuan=(149, 1299),
        colors=(WHITE, BLACK, SILVER),
        specs=(
            Spec(
                "Power", "功率", (("700 W", "700 瓦"), ("860 W", "860 瓦"), ("1,200 W", "1200 瓦"))
            ),
            Spec(
                "Inner pot",
                "内胆",
                (("Non-stick coating", "不粘涂层"), ("Ceramic", "陶瓷"), ("Copper-clad", "铜晶")),
            ),
            Spec(
                "Programs", "烹饪模式", (("8 programs", "8 种模式"), ("12 programs", "12 种模式"))
            ),
            WARRANTY,
        ),
        blurb=(
            "Fluffy rice, porridge and soups at the press of a button, with a 24-hour timer.",
            "一键煮饭、熬粥、煲汤，支持 24 小时预约。",
        ),
    ),
    ProductType(
        key="air_fryer",
        category="appliances",
        noun=("Air Fryer", "空气炸锅"),
        aliases_en=("air fryer",),
        aliases_zh=("空气炸锅",),
        brands=KITCHEN_BRANDS,
        lines=(
            ("Visible 5L", "可视 5L"),
            ("Dual Basket 8L", "双篮 8L"),
            ("Compact 3.5L", "小型 3.5L"),
            ("Oven 12L", "烤箱式 12L"),
            ("Smart 6L", "智能 6L"),
        ),
        price_yuan=(199, 899),
        colors=(BLACK, WHITE, BEIGE),
        specs=(
            Spec("Power", "功率", (("1,400 W", "1400 瓦"), ("1,700 W", "1700 瓦"))),
            Spec("Temperature", "温度范围", (("80-200°C", "80-200°C"),)),
            WARRANTY,
        ),
        blurb=(
            "Crispy food with little or no oil; the basket is dishwasher-safe.",
            "少油甚至无油也能炸得酥脆，炸篮可进洗碗机。",
        ),
    ),
    ProductType(
        key="blender",
        category="appliances",
        noun=("Blender", "破壁料理机"),
        aliases_en=("blender", "juicer"),
        aliases_zh=("榨汁机", "破壁机", "料理机"),
        brands=KITCHEN_BRANDS,
        lines=(
            ("High-Speed Pro", "高速 Pro"),
            ("Portable", "便携"),
            ("Quiet", "静音"),
            ("Soy Milk", "豆浆"),
            ("Personal 600ml", "单人 600ml"),
        ),
        price_yuan=(99, 1299),
        colors=(WHITE, GREY, GREEN),
        specs=(
            Spec(
                "Power",
                "功率",
                (("300 W", "300 瓦"), ("1,000 W", "1000 瓦"), ("1,500 W", "1500 瓦")),
            ),
            Spec("Jar", "杯体", (("Tritan, BPA-free", "Tritan，不含双酚A"), ("Glass", "玻璃"))),
            WARRANTY,
        ),
        blurb=(
            "Smoothies, soy milk and soups, with a self-cleaning program.",
            "果昔、豆浆、浓汤都能做，支持一键自清洁。",
        ),
    ),
    ProductType(
        key="vacuum_cleaner",
        category="appliances",
        noun=("Vacuum Cleaner", "吸尘器"),
        aliases_en=("vacuum cleaner", "vacuum", "cordless vacuum"),
        aliases_zh=("吸尘器", "无线吸尘器"),
        brands=(
            ("CleanMax", "净力"),
            ("Homewell", "好居"),
            ("Zenhome", "禅家"),
            ("Dustless", "无尘"),
            ("Tornado", "旋风"),
        ),
        lines=(
            ("V10 Cordless", "V10 无线"),
            ("Robot S7", "S7 扫地机器人"),
            ("Handheld Mini", "手持 Mini"),
            ("Wet & Dry", "洗地"),
            ("Pet Pro", "宠物 Pro"),
        ),
        price_yuan=(299, 3999),
        colors=(GREY, WHITE, PURPLE),
        specs=(
            Spec("Suction", "吸力", (("12,000 Pa", "12000 帕"), ("22,000 Pa", "22000 帕"))),
            Spec("Run time", "续航", (("40 min", "40 分钟"), ("60 min", "60 分钟"))),
            WARRANTY,
        ),
        blurb=(
            "Strong suction for floors, sofas and pet hair, with a washable filter.",
            "吸力强劲，地面、沙发、宠物毛发都能清理，滤网可水洗。",
        ),
    ),
    ProductType(
        key="hair_dryer",
        category="appliances",
        noun=("Hair Dryer", "电吹风"),
        aliases_en=("hair dryer", "hairdryer", "blow dryer"),
        aliases_zh=("吹风机", "电吹风"),
        brands=(
            ("Silka", "丝佳"),
            ("Bellini", "贝利尼"),
            ("Breeze", "微风"),
            ("Homewell", "好居"),
            ("Velvet", "丝绒"),
        ),
        lines=(
            ("Ionic 1800", "负离子 1800"),
            ("Supersonic Lite", "高速 Lite"),
            ("Travel Fold", "折叠便携"),
            ("Salon Pro", "沙龙 Pro"),
            ("Quiet Care", "静音护发"),
        ),
        price_yuan=(99, 1999),
        colors=(BLACK, WHITE, PINK, ROSE_GOLD),
        specs=(
            Spec(
                "Power",
                "功率",
                (("1,200 W", "1200 瓦"), ("1,600 W", "1600 瓦"), ("1,800 W", "1800 瓦")),
            ),
            Spec("Heat settings", "温度档位", (("3", "3 档"), ("4", "4 档"))),
            WARRANTY,
        ),
        blurb=(
            "Dries hair fast with less heat damage, thanks to negative ions.",
            "负离子护发，速干又少伤发。",
        ),
    ),
    # Clothing ---------------------------------------------------------------------------------
    ProductType(
        key="tshirt",
        category="clothing",
        noun=("T-Shirt", "T恤"),
        aliases_en=("T-shirt", "tee", "tshirt"),
        aliases_zh=("t恤", "T恤", "短袖"),
        brands=FASHION_BRANDS,
        lines=(
            ("Classic Cotton Crew-Neck", "经典纯棉圆领"),
            ("Oversized Graphic", "宽松印花"),
            ("Quick-Dry Sport", "速干运动"),
            ("Pima Cotton V-Neck", "匹马棉V领"),
            ("Heavyweight", "重磅"),
        ),
        price_yuan=(49, 199),
        colors=(WHITE, BLACK, NAVY, GREY, GREEN),
        sizes=APPAREL_SIZES,
        specs=(
            Spec(
                "Material",
                "面料",
                (
                    ("100% cotton", "100% 棉"),
                    ("95% cotton, 5% spandex", "95% 棉，5% 氨纶"),
                    ("60% cotton, 40% polyester", "60% 棉，40% 聚酯纤维"),
                ),
            ),
            Spec("Fit", "版型", (("Regular", "常规"), ("Loose", "宽松"), ("Slim", "修身"))),
            FABRIC_CARE,
        ),
        blurb=(
            "Soft, breathable everyday T-shirt that keeps its shape after washing.",
            "柔软透气，洗后不易变形的日常 T 恤。",
        ),
    ),
    ProductType(
        key="hoodie",
        category="clothing",
        noun=("Hoodie", "连帽卫衣"),
        aliases_en=("hoodie", "sweatshirt"),
        aliases_zh=("卫衣", "连帽衫"),
        brands=FASHION_BRANDS,
        lines=(
            ("Fleece Pullover", "加绒套头"),
            ("Zip-Up", "拉链开衫"),
            ("Oversized", "宽松"),
            ("Lightweight", "薄款"),
            ("Tech Fleece", "科技绒"),
        ),
        price_yuan=(129, 459),
        colors=(GREY, BLACK, NAVY, BEIGE),
        sizes=APPAREL_SIZES,
        specs=(
            Spec(
                "Material",
                "面料",
                (("80% cotton, 20% polyester", "80% 棉，20% 聚酯纤维"), ("100% cotton", "100% 棉")),
            ),
            Spec("Fit", "版型", (("Regular", "常规"), ("Loose", "宽松"))),
            FABRIC_CARE,
        ),
        blurb=(
            "Cosy hoodie with a lined hood and a roomy front pocket.",
            "帽子内衬柔软，前袋宽大，穿着舒适。",
        ),
    ),
    ProductType(
        key="jeans",
        category="clothing",
        noun=("Jeans", "牛仔裤"),
        aliases_en=("jeans", "denim"),
        aliases_zh=("牛仔裤",),
        brands=FASHION_BRANDS,
        lines=(
            ("Slim Fit", "修身"),
            ("Straight Leg", "直筒"),
            ("Relaxed Tapered", "宽松锥形"),
            ("Stretch Skinny", "弹力紧身"),
            ("Wide Leg", "阔腿"),
        ),
        price_yuan=(159, 599),
        colors=(LIGHT_BLUE, DARK_BLUE, BLACK),
        sizes=("28", "30", "32", "34", "36"),
        specs=(
            Spec(
                "Material",
                "面料",
                (
                    ("99% cotton, 1% elastane", "99% 棉，1% 氨纶"),
                    ("100% cotton denim", "100% 棉牛仔布"),
                ),
            ),
            Spec("Rise", "腰型", (("Mid", "中腰"), ("High", "高腰"))),
            FABRIC_CARE,
        ),
        blurb=(
            "Durable denim with a little stretch for all-day comfort.",
            "耐穿的牛仔面料，微弹不紧绷。",
        ),
    ),
    ProductType(
        key="dress",
        category="clothing",
        noun=("Dress", "连衣裙"),
        aliases_en=("dress",),
        aliases_zh=("连衣裙", "裙子"),
        brands=FASHION_BRANDS,
        lines=(
            ("Floral Midi", "碎花中长"),
            ("Linen Shirt", "亚麻衬衫"),
            ("Knit Sweater", "针织毛衣"),
            ("A-Line Summer", "夏季A字"),
            ("Satin Slip", "缎面吊带"),
        ),
        price_yuan=(159, 699),
        colors=(BLACK, BEIGE, BLUE, RED, GREEN),
        sizes=("XS", "S", "M", "L", "XL"),
        specs=(
            Spec(
                "Material",
                "面料",
                (
                    ("100% linen", "100% 亚麻"),
                    ("100% viscose", "100% 粘胶纤维"),
                    ("Polyester", "聚酯纤维"),
                ),
            ),
            Spec("Length", "裙长", (("Knee", "及膝"), ("Midi", "中长"), ("Maxi", "长款"))),
            FABRIC_CARE,
        ),
        blurb=(
            "A flattering dress that moves easily, for the office or the weekend.",
            "版型显瘦，通勤周末都好穿。",
        ),
    ),
    ProductType(
        key="down_jacket",
        category="clothing",
        noun=("Down Jacket", "羽绒服"),
        aliases_en=("down jacket", "jacket", "puffer jacket"),
        aliases_zh=("羽绒服", "外套"),
        brands=FASHION_BRANDS,
        lines=(
            ("Ultra Light", "轻薄"),
            ("Hooded Long", "连帽长款"),
            ("Puffer", "面包服"),
            ("Expedition", "极寒"),
            ("Packable", "可收纳"),
        ),
        price_yuan=(399, 1999),
        colors=(BLACK, NAVY, KHAKI, OLIVE),
        sizes=APPAREL_SIZES,
        specs=(
            Spec(
                "Filling",
                "填充物",
                (("90% white duck down", "90% 白鸭绒"), ("90% white goose down", "90% 白鹅绒")),
            ),
            Spec("Fill power", "蓬松度", (("650", "650"), ("750", "750"))),
            Spec(
                "Warmth",
                "适宜温度",
                (("Down to -10°C", "-10°C 以上"), ("Down to -30°C", "-30°C 以上")),
            ),
        ),
        blurb=(
            "Warm, light down jacket with a water-repellent shell.",
            "轻盈保暖，面料防泼水。",
        ),
    ),
    ProductType(
        key="socks",
        category="clothing",
        noun=("Socks", "袜子"),
        aliases_en=("socks",),
        aliases_zh=("袜子",),
        brands=FASHION_BRANDS,
        lines=(
            ("Cotton Crew 5-Pack", "纯棉中筒5双装"),
            ("Ankle 6-Pack", "船袜6双装"),
            ("Merino Hiking", "美利奴羊毛徒步"),
            ("Compression Running", "压缩跑步"),
            ("Thermal Winter", "加厚保暖"),
        ),
        price_yuan=(29, 129),
        colors=(BLACK, WHITE, GREY),
        sizes=("36-40", "41-45"),
        specs=(
            Spec(
                "Material",
                "面料",
                (("80% cotton", "80% 棉"), ("70% merino wool", "70% 美利奴羊毛")),
            ),
            FABRIC_CARE,
        ),
        blurb=(
            "Breathable socks with a cushioned sole and no-slip cuffs.",
            "透气吸汗，袜底加厚，袜口不滑落。",
        ),
    ),
    # Shoes ------------------------------------------------------------------------------------
    ProductType(
        key="running_shoes",
        category="shoes",
        noun=("Running Shoes", "跑步鞋"),
        aliases_en=("running shoes", "runners", "running shoe"),
        aliases_zh=("跑鞋", "跑步鞋"),
        brands=SHOE_BRANDS,
        lines=(
            ("Cloud 3", "Cloud 3 缓震"),
            ("Tempo Racer", "Tempo 竞速"),
            ("Trail Grip", "Trail 越野"),
            ("Daily Trainer", "日常训练"),
            ("Carbon Elite", "碳板 Elite"),
        ),
        price_yuan=(299, 1299),
        colors=(BLACK, WHITE, BLUE, ORANGE),
        sizes=SHOE_SIZES,
        specs=(
            Spec(
                "Drop", "前后掌落差", (("6 mm", "6 毫米"), ("8 mm", "8 毫米"), ("10 mm", "10 毫米"))
            ),
            Spec(
                "Weight",
                "单只重量",
                (("230 g", "230 克"), ("260 g", "260 克"), ("290 g", "290 克")),
            ),
            Spec("Upper", "鞋面", (("Engineered mesh", "工程网布"), ("Knit", "飞织"))),
        ),
        blurb=(
            "Cushioned running shoes with a responsive midsole and breathable mesh upper.",
            "中底回弹，鞋面透气，缓震舒适的跑鞋。",
        ),
    ),
    ProductType(
        key="sneakers",
        category="shoes",
        noun=("Sneakers", "休闲运动鞋"),
        aliases_en=("sneakers", "trainers"),
        aliases_zh=("运动鞋", "板鞋", "小白鞋"),
        brands=SHOE_BRANDS,
        lines=(
            ("Court Classic", "经典板鞋"),
            ("Canvas Low", "帆布低帮"),
            ("Retro Runner", "复古跑"),
            ("Chunky", "老爹鞋"),
            ("Slip-On", "一脚蹬"),
        ),
        price_yuan=(199, 799),
        colors=(WHITE, BLACK, BEIGE, GREEN),
        sizes=SHOE_SIZES,
        specs=(
            Spec("Upper", "鞋面", (("Leather", "皮革"), ("Canvas", "帆布"), ("Suede", "翻毛皮"))),
            Spec("Sole", "鞋底", (("Rubber", "橡胶"), ("EVA", "EVA"))),
        ),
        blurb=(
            "Everyday sneakers that go with jeans, shorts and dresses.",
            "百搭休闲鞋，牛仔裤、短裤、裙子都能配。",
        ),
    ),
    ProductType(
        key="boots",
        category="shoes",
        noun=("Boots", "靴"),
        aliases_en=("boots",),
        aliases_zh=("靴子", "短靴", "马丁靴"),
        brands=SHOE_BRANDS,
        lines=(
            ("Chelsea Leather", "切尔西真皮"),
            ("Waterproof Hiking", "防水登山"),
            ("Combat Lace-Up", "系带马丁"),
            ("Snow Warm", "加绒雪地"),
            ("Desert Suede", "沙漠麂皮"),
        ),
        price_yuan=(299, 1299),
        colors=(BLACK, BROWN, KHAKI),
        sizes=SHOE_SIZES,
        specs=(
            Spec("Upper", "鞋面", (("Full-grain leather", "头层牛皮"), ("Suede", "麂皮"))),
            Spec("Lining", "内里", (("Textile", "织物"), ("Wool blend", "羊毛混纺"))),
        ),
        blurb=(
            "Sturdy boots with a grippy sole for city streets and muddy trails.",
            "鞋底防滑耐磨，城市街道和泥泞山路都能应付。",
        ),
    ),
    ProductType(
        key="sandals",
        category="shoes",
        noun=("Sandals", "凉鞋"),
        aliases_en=("sandals",),
        aliases_zh=("凉鞋",),
        brands=SHOE_BRANDS,
        lines=(
            ("Sport Strap", "运动魔术贴"),
            ("Cork Footbed", "软木"),
            ("Beach", "沙滩"),
            ("Platform", "厚底"),
            ("River Trek", "户外溯溪"),
        ),
        price_yuan=(79, 399),
        colors=(BLACK, BROWN, BEIGE),
        sizes=("35", "36", "37", "38", "39", "40", "41", "42", "43", "44"),
        specs=(
            Spec("Sole", "鞋底", (("Rubber", "橡胶"), ("EVA", "EVA"))),
            Spec(
                "Straps", "鞋带", (("Adjustable hook-and-loop", "可调魔术贴"), ("Buckle", "搭扣"))
            ),
        ),
        blurb=(
            "Light sandals with adjustable straps and a soft footbed.",
            "轻便凉鞋，绑带可调，脚床柔软。",
        ),
    ),
    # Beauty -----------------------------------------------------------------------------------
    ProductType(
        key="lipstick",
        category="beauty",
        noun=("Lipstick", "口红"),
        aliases_en=("lipstick",),
        aliases_zh=("口红", "唇膏"),
        brands=BEAUTY_BRANDS,
        lines=(
            ("Matte Velvet", "丝绒哑光"),
            ("Satin Glow", "缎光"),
            ("Hydrating Balm", "滋润"),
            ("Long-Wear", "持久不脱色"),
            ("Mini Trio", "迷你三支装"),
        ),
        price_yuan=(99, 399),
        colors=(
            ("#01 Ruby Red", "#01 宝石红"),
            ("#02 Rose Nude", "#02 裸玫瑰"),
            ("#03 Coral", "#03 珊瑚橘"),
            ("#04 Brick", "#04 砖红"),
            ("#05 Berry", "#05 浆果色"),
        ),
        specs=(
            Spec("Net weight", "净含量", (("3.5 g", "3.5 克"), ("3 g", "3 克"))),
            Spec("Finish", "质地", (("Matte", "哑光"), ("Satin", "缎光"), ("Glossy", "水光"))),
            SHELF_LIFE,
        ),
        blurb=(
            "Rich colour in one stroke that stays comfortable for hours.",
            "一抹显色，长时间佩戴依然舒适。",
        ),
    ),
    ProductType(
        key="face_cream",
        category="beauty",
        noun=("Face Cream", "面霜"),
        aliases_en=("face cream", "moisturizer", "moisturiser"),
        aliases_zh=("面霜", "保湿霜"),
        brands=BEAUTY_BRANDS,
        lines=(
            ("Hydra Boost", "水润保湿"),
            ("Repair Night", "修护晚霜"),
            ("Sensitive Calm", "敏感肌舒缓"),
            ("Firming", "抗皱紧致"),
            ("Oil Control", "控油清爽"),
        ),
        price_yuan=(89, 899),
        specs=(
            Spec("Volume", "容量", (("50 ml", "50 毫升"), ("30 ml", "30 毫升"))),
            Spec(
                "Skin type",
                "适用肤质",
                (
                    ("All skin types", "所有肤质"),
                    ("Dry skin", "干性肌肤"),
                    ("Oily skin", "油性肌肤"),
                ),
            ),
            SHELF_LIFE,
        ),
        blurb=(
            "A light cream that keeps skin moisturised all day without feeling greasy.",
            "质地轻薄，全天保湿不油腻。",
        ),
    ),
    ProductType(
        key="sunscreen",
        category="beauty",
        noun=("Sunscreen", "防晒霜"),
        aliases_en=("sunscreen", "sunblock", "sun cream"),
        aliases_zh=("防晒霜", "防晒乳"),
        brands=BEAUTY_BRANDS,
        lines=(
            ("SPF50+ Light Fluid", "SPF50+ 清透"),
            ("Mineral Kids", "儿童物理"),
            ("Sport Water-Resistant", "运动防水"),
            ("Tone-Up", "素颜"),
            ("Mist", "喷雾"),
        ),
        price_yuan=(69, 299),
        specs=(
            Spec(
                "Protection",
                "防晒指数",
                (("SPF50+ PA++++", "SPF50+ PA++++"), ("SPF30 PA+++", "SPF30 PA+++")),
            ),
            Spec("Volume", "容量", (("50 ml", "50 毫升"), ("100 ml", "100 毫升"))),
            SHELF_LIFE,
        ),
        blurb=(
            "Broad-spectrum sun protection that absorbs fast with no white cast.",
            "广谱防晒，吸收快，不泛白。",
        ),
    ),
    ProductType(
        key="shampoo",
        category="beauty",
        noun=("Shampoo", "洗发水"),
        aliases_en=("shampoo",),
        aliases_zh=("洗发水", "洗发露"),
        brands=HAIR_BRANDS,
        lines=(
            ("Anti-Dandruff", "去屑"),
            ("Moisture Repair", "修护滋养"),
            ("Volume & Oil Control", "控油蓬松"),
            ("Ginger Strength", "生姜固发"),
            ("Silicone-Free", "无硅油"),
        ),
        price_yuan=(39, 189),
        specs=(
            Spec("Volume", "容量", (("400 ml", "400 毫升"), ("750 ml", "750 毫升"))),
            Spec(
                "Hair type",
                "适用发质",
                (
                    ("All hair types", "所有发质"),
                    ("Oily scalp", "油性头皮"),
                    ("Dry, damaged hair", "干枯受损发质"),
                ),
            ),
            SHELF_LIFE,
        ),
        blurb=(
            "Gentle daily shampoo that cleans the scalp and leaves hair soft.",
            "温和洁净头皮，洗后秀发柔顺。",
        ),
    ),
    ProductType(
        key="perfume",
        category="beauty",
        noun=("Eau de Parfum", "香水"),
        aliases_en=("perfume", "fragrance"),
        aliases_zh=("香水",),
        brands=BEAUTY_BRANDS,
        lines=(
            ("Jasmine Night", "茉莉之夜"),
            ("Ocean Breeze", "海洋微风"),
            ("White Tea", "白茶"),
            ("Oud Wood", "乌木沉香"),
            ("Peony Blush", "牡丹"),
        ),
        price_yuan=(199, 1299),
        specs=(
            Spec(
                "Volume",
                "容量",
                (("30 ml", "30 毫升"), ("50 ml", "50 毫升"), ("100 ml", "100 毫升")),
            ),
            Spec(
                "Scent family",
                "香调",
                (("Floral", "花香调"), ("Woody", "木质调"), ("Fresh", "清新调")),
            ),
            SHELF_LIFE,
        ),
        blurb=(
            "A long-lasting fragrance with a soft, elegant trail.",
            "留香持久，香气柔和优雅。",
        ),
    ),
    # Food -------------------------------------------------------------------------------------
    ProductType(
        key="green_tea",
        category="food",
        noun=("Green Tea", "绿茶"),
        aliases_en=("green tea", "tea"),
        aliases_zh=("绿茶", "茶叶"),
        brands=(
            ("Teahouse", "茗居"),
            ("Misty Peak", "云峰"),
            ("Jade Leaf", "翠叶"),
            ("Old Town", "老街"),
            ("Mountain Spring", "山泉"),
        ),
        lines=(
            ("Longjing 250g", "明前龙井 250g"),
            ("Biluochun Gift Box", "碧螺春礼盒"),
            ("Huangshan Maofeng", "黄山毛峰"),
            ("Jasmine", "茉莉花茶"),
            ("Tea Bags 100", "袋泡茶 100包"),
        ),
        price_yuan=(39, 699),
        specs=(
            ORIGIN_CN,
            SHELF_LIFE,
            Spec("Storage", "储存", (("Cool, dry place", "阴凉干燥处"),)),
        ),
        blurb=(
            "Fragrant spring-harvest green tea with a fresh, sweet aftertaste.",
            "春季采摘，香气清高，回味甘甜。",
        ),
    ),
    ProductType(
        key="coffee_beans",
        category="food",
        noun=("Coffee Beans", "咖啡豆"),
        aliases_en=("coffee beans", "coffee"),
        aliases_zh=("咖啡豆", "咖啡"),
        brands=(
            ("Roast Lab", "烘焙实验室"),
            ("Yunnan Peak", "云咖"),
            ("Morning", "晨光"),
            ("Bean There", "豆在"),
            ("Harbor Roasters", "港湾烘焙"),
        ),
        lines=(
            ("Yunnan Medium Roast 500g", "云南中烘 500g"),
            ("Ethiopia Yirgacheffe", "埃塞俄比亚耶加雪菲"),
            ("Espresso Blend", "意式拼配"),
            ("Colombia Dark Roast", "哥伦比亚深烘"),
            ("Decaf", "低因"),
        ),
        price_yuan=(49, 259),
        specs=(
            Spec("Roast", "烘焙度", (("Light", "浅烘"), ("Medium", "中烘"), ("Dark", "深烘"))),
            Spec(
                "Net weight",
                "净含量",
                (("250 g", "250 克"), ("500 g", "500 克"), ("1 kg", "1 千克")),
            ),
            SHELF_LIFE,
        ),
        blurb=(
            "Freshly roasted whole beans, shipped within days of roasting.",
            "新鲜烘焙的咖啡豆，烘焙后数日内发货。",
        ),
    ),
    ProductType(
        key="mixed_nuts",
        category="food",
        noun=("Mixed Nuts", "每日坚果"),
        aliases_en=("mixed nuts", "nuts"),
        aliases_zh=("坚果", "每日坚果", "混合坚果"),
        brands=(
            ("Squirrel Farm", "松鼠农场"),
            ("Nutty", "果仁家"),
            ("Golden Harvest", "金丰收"),
            ("Daily Crunch", "每日脆"),
            ("Orchard", "果园"),
        ),
        lines=(
            ("Daily 30 Packs", "30 日装"),
            ("Cashew 500g", "腰果 500g"),
            ("Roasted Almond", "烤杏仁"),
            ("Macadamia", "夏威夷果"),
            ("Gift Box", "年货礼盒"),
        ),
        price_yuan=(39, 199),
        specs=(
            Spec(
                "Net weight",
                "净含量",
                (("750 g", "750 克"), ("500 g", "500 克"), ("1.2 kg", "1.2 千克")),
            ),
            SHELF_LIFE,
        ),
        blurb=(
            "Lightly roasted nuts and dried fruit in handy daily packs.",
            "轻烘焙坚果搭配果干，独立小包装，每天一包。",
        ),
    ),
    ProductType(
        key="snack_box",
        category="food",
        noun=("Snack Box", "零食大礼包"),
        aliases_en=("snack box", "snacks"),
        aliases_zh=("零食", "零食大礼包"),
        brands=(
            ("Squirrel Farm", "松鼠农场"),
            ("Snack Street", "零食街"),
            ("Happy Bites", "快乐一口"),
            ("Golden Harvest", "金丰收"),
            ("Daily Crunch", "每日脆"),
        ),
        lines=(
            ("Office Mix", "办公室"),
            ("Spicy Sichuan", "川味麻辣"),
            ("Kids Healthy", "儿童健康"),
            ("Japanese Style", "日式"),
            ("Party Pack", "派对分享"),
        ),
        price_yuan=(49, 199),
        specs=(
            Spec(
                "Pieces",
                "件数",
                (("30 packs", "30 包"), ("45 packs", "45 包"), ("60 packs", "60 包")),
            ),
            SHELF_LIFE,
        ),
        blurb=(
            "A box of popular snacks to share at work or at home.",
            "人气零食组合，办公室、家里分享都合适。",
        ),
    ),
    # Sports -----------------------------------------------------------------------------------
    ProductType(
        key="yoga_mat",
        category="sports",
        noun=("Yoga Mat", "瑜伽垫"),
        aliases_en=("yoga mat",),
        aliases_zh=("瑜伽垫",),
        brands=SPORT_BRANDS,
        lines=(
            ("TPE 6mm", "TPE 6mm"),
            ("Natural Rubber", "天然橡胶"),
            ("Extra Thick 10mm", "加厚 10mm"),
            ("Travel Fold", "折叠便携"),
            ("Pro Grip", "专业防滑"),
        ),
        price_yuan=(59, 399),
        colors=(PURPLE, BLUE, GREEN, PINK),
        specs=(
            Spec(
                "Size", "尺寸", (("183 x 61 cm", "183 × 61 厘米"), ("185 x 80 cm", "185 × 80 厘米"))
            ),
            Spec(
                "Material", "材质", (("TPE", "TPE"), ("Natural rubber", "天然橡胶"), ("NBR", "NBR"))
            ),
        ),
        blurb=(
            "Non-slip mat with good cushioning for yoga, pilates and stretching.",
            "防滑回弹，适合瑜伽、普拉提和拉伸。",
        ),
    ),
    ProductType(
        key="dumbbells",
        category="sports",
        noun=("Dumbbells", "哑铃"),
        aliases_en=("dumbbells", "dumbbell"),
        aliases_zh=("哑铃",),
        brands=SPORT_BRANDS,
        lines=(
            ("Adjustable 20kg", "可调节 20kg"),
            ("Hex Rubber Pair", "六角包胶 一对"),
            ("Neoprene 2kg", "浸塑 2kg"),
            ("Quick-Lock 40kg", "快调 40kg"),
            ("Chrome 5kg", "电镀 5kg"),
        ),
        price_yuan=(59, 1299),
        colors=(BLACK, GREY),
        specs=(
            Spec("Coating", "表面", (("Rubber", "包胶"), ("Neoprene", "浸塑"), ("Chrome", "电镀"))),
            WARRANTY,
        ),
        blurb=(
            "Solid dumbbells with a knurled, non-slip grip for home workouts.",
            "握把防滑，适合居家力量训练。",
        ),
    ),
    ProductType(
        key="backpack",
        category="sports",
        noun=("Backpack", "双肩包"),
        aliases_en=("backpack", "rucksack"),
        aliases_zh=("双肩包", "背包"),
        brands=SPORT_BRANDS,
        lines=(
            ("Commuter 20L", "通勤 20L"),
            ("Hiking 40L", "登山 40L"),
            ("Laptop Pro", "电脑包 Pro"),
            ("Anti-Theft", "防盗"),
            ("Kids School", "儿童书包"),
        ),
        price_yuan=(99, 699),
        colors=(BLACK, GREY, NAVY, OLIVE),
        specs=(
            Spec(
                "Laptop sleeve",
                "电脑隔层",
                (("Up to 15.6 inches", "最大 15.6 英寸"), ("Up to 14 inches", "最大 14 英寸")),
            ),
            Spec(
                "Water resistance",
                "防水",
                (("Splash-proof", "防泼水"), ("Rain cover included", "附防雨罩")),
            ),
        ),
        blurb=(
            "Padded backpack with many pockets and breathable shoulder straps.",
            "多隔层收纳，肩带透气减压。",
        ),
    ),
    ProductType(
        key="water_bottle",
        category="sports",
        noun=("Water Bottle", "运动水杯"),
        aliases_en=("water bottle", "sports bottle"),
        aliases_zh=("水杯", "运动水壶", "保温杯"),
        brands=SPORT_BRANDS,
        lines=(
            ("Insulated 750ml", "保温 750ml"),
            ("Tritan 1L", "Tritan 1L"),
            ("Straw Kids", "儿童吸管"),
            ("Collapsible", "折叠"),
            ("Big 2L", "大容量 2L"),
        ),
        price_yuan=(39, 259),
        colors=(BLACK, WHITE, BLUE, PINK, GREEN),
        specs=(
            Spec(
                "Material",
                "材质",
                (("316 stainless steel", "316 不锈钢"), ("Tritan, BPA-free", "Tritan，不含双酚A")),
            ),
            Spec("Leak-proof", "防漏", (("Yes", "是"),)),
        ),
        blurb=(
            "Leak-proof bottle that keeps drinks cold for 24 hours.",
            "密封防漏，冷饮保冷 24 小时。",
        ),
    ),
    ProductType(
        key="tent",
        category="sports",
        noun=("Tent", "帐篷"),
        aliases_en=("tent", "camping tent"),
        aliases_zh=("帐篷",),
        brands=SPORT_BRANDS,
        lines=(
            ("2-Person Dome", "双人圆顶"),
            ("Pop-Up 4-Person", "速开四人"),
            ("Ultralight Solo", "超轻单人"),
            ("Family Cabin 6-Person", "家庭六人"),
            ("Beach Shelter", "沙滩遮阳"),
        ),
        price_yuan=(199, 1999),
        colors=(GREEN, KHAKI, ORANGE),
        specs=(
            Spec(
                "Waterproof rating",
                "防水指数",
                (("2,000 mm", "2000 毫米"), ("3,000 mm", "3000 毫米")),
            ),
            Spec(
                "Packed weight",
                "收纳重量",
                (("1.6 kg", "1.6 千克"), ("2.8 kg", "2.8 千克"), ("6.5 kg", "6.5 千克")),
            ),
        ),
        blurb=(
            "Quick to pitch, with taped seams and good ventilation.",
            "搭建快捷，压胶防水，通风良好。",
        ),
    ),
    # Home -------------------------------------------------------------------------------------
    ProductType(
        key="pillow",
        category="home",
        noun=("Pillow", "枕头"),
        aliases_en=("pillow",),
        aliases_zh=("枕头", "枕芯"),
        brands=HOME_BRANDS,
        lines=(
            ("Memory Foam", "记忆棉"),
            ("Latex", "天然乳胶"),
            ("Down Alternative", "羽丝绒"),
            ("Buckwheat", "荞麦"),
            ("Cooling Gel", "凝胶冰感"),
        ),
        price_yuan=(59, 499),
        specs=(
            Spec("Size", "尺寸", (("48 x 74 cm", "48 × 74 厘米"), ("40 x 60 cm", "40 × 60 厘米"))),
            Spec("Firmness", "软硬度", (("Soft", "偏软"), ("Medium", "适中"), ("Firm", "偏硬"))),
        ),
        blurb=(
            "Supportive pillow that keeps the neck aligned through the night.",
            "贴合颈椎，整夜稳定支撑。",
        ),
    ),
    ProductType(
        key="bedding_set",
        category="home",
        noun=("Bedding Set", "床上四件套"),
        aliases_en=("bedding set", "duvet cover set", "bed sheets"),
        aliases_zh=("四件套", "床上用品", "床单"),
        brands=HOME_BRANDS,
        lines=(
            ("Long-Staple Cotton", "长绒棉"),
            ("Washed Linen", "水洗亚麻"),
            ("Mulberry Silk", "桑蚕丝"),
            ("Flannel Winter", "法兰绒"),
            ("Kids Cartoon", "儿童卡通"),
        ),
        price_yuan=(199, 1299),
        colors=(WHITE, GREY, BEIGE, BLUE),
        sizes=("1.5 m", "1.8 m", "2.0 m"),
        specs=(
            Spec("Thread count", "支数", (("60s", "60 支"), ("80s", "80 支"))),
            Spec("Pieces", "件数", (("Duvet cover, sheet, 2 pillowcases", "被套、床单、枕套 ×2"),)),
        ),
        blurb=(
            "Soft, breathable bedding that gets softer with every wash.",
            "柔软透气，越洗越软。",
        ),
    ),
    ProductType(
        key="towel",
        category="home",
        noun=("Towel", "毛巾"),
        aliases_en=("towel", "towels", "bath towel"),
        aliases_zh=("毛巾", "浴巾"),
        brands=HOME_BRANDS,
        lines=(
            ("Cotton 3-Pack", "纯棉 3条装"),
            ("Large Bath", "加大浴巾"),
            ("Quick-Dry Microfibre", "速干超细纤维"),
            ("Bamboo", "竹纤维"),
            ("Hotel Collection", "酒店款"),
        ),
        price_yuan=(29, 199),
        colors=(WHITE, GREY, BLUE, PINK),
        specs=(
            Spec(
                "Material",
                "材质",
                (
                    ("100% cotton", "100% 棉"),
                    ("Bamboo fibre", "竹纤维"),
                    ("Microfibre", "超细纤维"),
                ),
            ),
            Spec(
                "Size", "尺寸", (("34 x 76 cm", "34 × 76 厘米"), ("70 x 140 cm", "70 × 140 厘米"))
            ),
        ),
        blurb=(
            "Thick, absorbent towels that stay soft wash after wash.",
            "厚实吸水，多次洗涤依然柔软。",
        ),
    ),
    ProductType(
        key="mug",
        category="home",
        noun=("Mug", "马克杯"),
        aliases_en=("mug", "coffee mug"),
        aliases_zh=("马克杯", "杯子"),
        brands=HOME_BRANDS,
        lines=(
            ("Ceramic 350ml", "陶瓷 350ml"),
            ("Double-Wall Glass", "双层玻璃"),
            ("Steel Travel", "不锈钢随行"),
            ("Handmade Stoneware", "手作粗陶"),
            ("Couple Set", "情侣对杯"),
        ),
        price_yuan=(29, 159),
        colors=(WHITE, BLACK, BLUE, YELLOW),
        specs=(
            Spec("Capacity", "容量", (("350 ml", "350 毫升"), ("450 ml", "450 毫升"))),
            Spec("Dishwasher safe", "可洗碗机清洗", (("Yes", "是"), ("No", "否"))),
        ),
        blurb=(
            "A sturdy mug for coffee, tea or hot chocolate.",
            "结实耐用，咖啡、茶、热可可都合适。",
        ),
    ),
    ProductType(
        key="knife_set",
        category="home",
        noun=("Knife Set", "刀具套装"),
        aliases_en=("knife set", "kitchen knives"),
        aliases_zh=("刀具", "刀具套装", "菜刀"),
        brands=(
            ("Kitchy", "厨趣"),
            ("Bellini", "贝利尼"),
            ("Zenhome", "禅家"),
            ("Sakura Steel", "樱钢"),
            ("Homewell", "好居"),
        ),
        lines=(
            ("German Steel 7-Piece", "德国钢 七件套"),
            ("Damascus Chef", "大马士革 主厨"),
            ("Chinese Cleaver", "中式"),
            ("Ceramic 3-Piece", "陶瓷 三件套"),
            ("Magnetic Block", "磁吸刀座"),
        ),
        price_yuan=(99, 1299),
        colors=(BLACK, SILVER),
        specs=(
            Spec(
                "Steel",
                "钢材",
                (
                    ("X50CrMoV15", "X50CrMoV15"),
                    ("VG-10 Damascus", "VG-10 大马士革"),
                    ("Zirconia ceramic", "氧化锆陶瓷"),
                ),
            ),
            WARRANTY,
        ),
        blurb=(
            "Sharp, well-balanced knives for everyday cooking.",
            "锋利顺手，日常下厨的好帮手。",
        ),
    ),
    # Underwear --------------------------------------------------------------------------------
    ProductType(
        key="bra",
        category="underwear",
        noun=("Bra", "文胸"),
        aliases_en=("bra", "wireless bra"),
        aliases_zh=("文胸", "内衣", "胸罩"),
        brands=LINGERIE_BRANDS,
        lines=(
            ("Wireless Comfort", "无钢圈舒适"),
            ("Seamless", "无痕"),
            ("Sports", "运动"),
            ("Lace Push-Up", "蕾丝聚拢"),
            ("Cotton Everyday", "纯棉日常"),
        ),
        price_yuan=(79, 299),
        colors=(BLACK, NUDE, WHITE, PINK),
        sizes=("70B", "75B", "75C", "80B", "80C", "85C"),
        specs=(
            Spec(
                "Material",
                "面料",
                (("Modal blend", "莫代尔混纺"), ("Nylon, spandex", "锦纶、氨纶"), ("Cotton", "棉")),
            ),
            Spec("Underwire", "钢圈", (("No", "无"), ("Yes", "有"))),
            Spec("Care", "洗涤方式", (("Hand wash", "手洗"),)),
        ),
        blurb=(
            "Soft, supportive and invisible under a T-shirt.",
            "柔软承托，穿 T 恤也不显痕迹。",
        ),
    ),
    ProductType(
        key="boxer_briefs",
        category="underwear",
        noun=("Boxer Briefs", "平角内裤"),
        aliases_en=("boxer briefs", "boxers", "underwear"),
        aliases_zh=("内裤", "平角内裤"),
        brands=LINGERIE_BRANDS,
        lines=(
            ("Modal 3-Pack", "莫代尔 3条装"),
            ("Cotton 4-Pack", "纯棉 4条装"),
            ("Ice Silk", "冰丝"),
            ("Sport Mesh", "运动速干"),
            ("Bamboo 3-Pack", "竹纤维 3条装"),
        ),
        price_yuan=(59, 199),
        colors=(BLACK, GREY, NAVY),
        sizes=("M", "L", "XL", "XXL"),
        specs=(
            Spec(
                "Material",
                "面料",
                (
                    ("95% modal, 5% spandex", "95% 莫代尔，5% 氨纶"),
                    ("95% cotton, 5% spandex", "95% 棉，5% 氨纶"),
                ),
            ),
            FABRIC_CARE,
        ),
        blurb=(
            "Breathable, stretchy boxer briefs that stay in place.",
            "透气弹力，贴身不跑位。",
        ),
    ),
    # Books ------------------------------------------------------------------------------------
    ProductType(
        key="novel",
        category="books",
        noun=("A Novel", "长篇小说"),
        aliases_en=("novel",),
        aliases_zh=("小说",),
        brands=PUBLISHERS,
        lines=(
            ("The Tea Merchant's Daughter", "茶商的女儿"),
            ("Moonlight over Lijiang", "丽江月色"),
            ("Rivers of Shanghai", "上海的河"),
            ("The Last Night Train", "末班夜车"),
            ("Salt and Snow", "盐与雪"),
        ),
        price_yuan=(39, 89),
        specs=(
            Spec(
                "Author",
                "作者",
                (("Lin Qiu", "林秋"), ("Chen Mo", "陈默"), ("Anna Hale", "安娜·黑尔")),
            ),
            Spec("Pages", "页数", (("288", "288 页"), ("368", "368 页"), ("452", "452 页"))),
            Spec("Binding", "装帧", (("Paperback", "平装"), ("Hardcover", "精装"))),
        ),
        blurb=(
            "A gripping story of family, love and choices, told across three generations.",
            "跨越三代人的家族、爱情与抉择，引人入胜。",
        ),
        name_en_fmt="{line}: {noun}",
        name_zh_fmt="{line}（{noun}）",
    ),
    ProductType(
        key="cookbook",
        category="books",
        noun=("Cookbook", "菜谱"),
        aliases_en=("cookbook", "recipe book"),
        aliases_zh=("菜谱", "食谱"),
        brands=PUBLISHERS,
        lines=(
            ("Home-Style Sichuan", "家常川菜"),
            ("Cantonese Dim Sum", "广式点心"),
            ("15-Minute Meals", "15分钟快手菜"),
            ("Baking for Beginners", "烘焙入门"),
            ("Healthy Lunch Boxes", "健康便当"),
        ),
        price_yuan=(39, 129),
        specs=(
            Spec("Recipes", "菜谱数量", (("80 recipes", "80 道"), ("120 recipes", "120 道"))),
            Spec("Pages", "页数", (("224", "224 页"), ("320", "320 页"))),
            Spec("Binding", "装帧", (("Paperback", "平装"), ("Hardcover", "精装"))),
        ),
        blurb=(
            "Clear step-by-step recipes with a photo for every dish.",
            "步骤清晰，每道菜都配有成品图。",
        ),
        name_en_fmt="{line} {noun}",
        name_zh_fmt="{line}{noun}",
    ),
)


def category_by_key(key: str) -> Category | None:
    for category in CATEGORIES:
        if category.key == key:
            return category
    return None
