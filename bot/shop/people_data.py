"""Names, places and carriers the demo shop generator draws from (English and Chinese)."""

from __future__ import annotations

from dataclasses import dataclass

Pair = tuple[str, str]  # (English, Chinese)


@dataclass(frozen=True)
class City:
    name: Pair  # ("Shenzhen", "深圳")
    province_zh: str  # "广东省" ("" for municipalities)
    districts: tuple[Pair, ...]
    roads: tuple[Pair, ...]
    postcode: str


@dataclass(frozen=True)
class Carrier:
    name_en: str
    name_zh: str
    tracking_prefix: str
    tracking_digits: int


CITIES: tuple[City, ...] = (
    City(
        ("Shanghai", "上海"),
        "",
        (
            ("Pudong New Area", "浦东新区"),
            ("Xuhui District", "徐汇区"),
            ("Jing'an District", "静安区"),
        ),
        (("Zhangjiang Road", "张江路"), ("Century Avenue", "世纪大道"), ("Huaihai Road", "淮海路")),
        "200120",
    ),
    City(
        ("Beijing", "北京"),
        "",
        (
            ("Chaoyang District", "朝阳区"),
            ("Haidian District", "海淀区"),
            ("Dongcheng District", "东城区"),
        ),
        (
            ("Jianguo Road", "建国路"),
            ("Zhongguancun Street", "中关村大街"),
            ("Andingmen Street", "安定门大街"),
        ),
        "100020",
    ),
    City(
        ("Guangzhou", "广州"),
        "广东省",
        (
            ("Tianhe District", "天河区"),
            ("Yuexiu District", "越秀区"),
            ("Haizhu District", "海珠区"),
        ),
        (
            ("Tianhe Road", "天河路"),
            ("Huanshi East Road", "环市东路"),
            ("Jiangnan Avenue", "江南大道"),
        ),
        "510620",
    ),
    City(
        ("Shenzhen", "深圳"),
        "广东省",
        (
            ("Nanshan District", "南山区"),
            ("Futian District", "福田区"),
            ("Longhua District", "龙华区"),
        ),
        (("Keyuan Road", "科苑路"), ("Shennan Avenue", "深南大道"), ("Minzhi Avenue", "民治大道")),
        "518057",
    ),
    City(
        ("Hangzhou", "杭州"),
        "浙江省",
        (
            ("Xihu District", "西湖区"),
            ("Binjiang District", "滨江区"),
            ("Gongshu District", "拱墅区"),
        ),
        (
            ("Wensan Road", "文三路"),
            ("Jiangnan Avenue", "江南大道"),
            ("Moganshan Road", "莫干山路"),
        ),
        "310012",
    ),
    City(
        ("Chengdu", "成都"),
        "四川省",
        (
            ("Wuhou District", "武侯区"),
            ("Jinjiang District", "锦江区"),
            ("Gaoxin District", "高新区"),
        ),
        (
            ("Tianfu Avenue", "天府大道"),
            ("Chunxi Road", "春熙路"),
            ("Renmin South Road", "人民南路"),
        ),
        "610041",
    ),
    City(
        ("Wuhan", "武汉"),
        "湖北省",
        (
            ("Wuchang District", "武昌区"),
            ("Jianghan District", "江汉区"),
            ("Hongshan District", "洪山区"),
        ),
        (("Zhongnan Road", "中南路"), ("Jiefang Avenue", "解放大道"), ("Luoyu Road", "珞喻路")),
        "430071",
    ),
    City(
        ("Nanjing", "南京"),
        "江苏省",
        (
            ("Gulou District", "鼓楼区"),
            ("Xuanwu District", "玄武区"),
            ("Jianye District", "建邺区"),
        ),
        (
            ("Zhongshan Road", "中山路"),
            ("Beijing East Road", "北京东路"),
            ("Jiangdong Road", "江东路"),
        ),
        "210008",
    ),
    City(
        ("Xi'an", "西安"),
        "陕西省",
        (
            ("Yanta District", "雁塔区"),
            ("Beilin District", "碑林区"),
            ("Weiyang District", "未央区"),
        ),
        (("Chang'an Road", "长安路"), ("Xiaozhai Road", "小寨路"), ("Fengcheng Road", "凤城路")),
        "710061",
    ),
    City(
        ("Chongqing", "重庆"),
        "",
        (
            ("Yuzhong District", "渝中区"),
            ("Jiangbei District", "江北区"),
            ("Yubei District", "渝北区"),
        ),
        (
            ("Minzu Road", "民族路"),
            ("Jianxin North Road", "建新北路"),
            ("Jinkai Avenue", "金开大道"),
        ),
        "400010",
    ),
    City(
        ("Suzhou", "苏州"),
        "江苏省",
        (
            ("Gusu District", "姑苏区"),
            ("Suzhou Industrial Park", "苏州工业园区"),
            ("Wuzhong District", "吴中区"),
        ),
        (
            ("Ganjiang Road", "干将路"),
            ("Xinghu Street", "星湖街"),
            ("Dongwu North Road", "东吴北路"),
        ),
        "215000",
    ),
    City(
        ("Tianjin", "天津"),
        "",
        (("Heping District", "和平区"), ("Nankai District", "南开区"), ("Hexi District", "河西区")),
        (("Nanjing Road", "南京路"), ("Weijin Road", "卫津路"), ("Youyi Road", "友谊路")),
        "300041",
    ),
    City(
        ("Xiamen", "厦门"),
        "福建省",
        (("Siming District", "思明区"), ("Huli District", "湖里区")),
        (
            ("Zhongshan Road", "中山路"),
            ("Hubin South Road", "湖滨南路"),
            ("Lianqian West Road", "莲前西路"),
        ),
        "361001",
    ),
    City(
        ("Qingdao", "青岛"),
        "山东省",
        (("Shinan District", "市南区"), ("Laoshan District", "崂山区")),
        (
            ("Xianggang Middle Road", "香港中路"),
            ("Zhanshan Road", "湛山路"),
            ("Haier Road", "海尔路"),
        ),
        "266071",
    ),
)

# Cities the shop ships from (indices into CITIES).
WAREHOUSE_CITIES: tuple[int, ...] = (0, 2, 3, 4, 6, 5)

# Transit hubs parcels pass through on long routes (indices into CITIES).
TRANSIT_HUBS: tuple[int, ...] = (4, 6, 7, 8, 2)

CARRIERS: tuple[Carrier, ...] = (
    Carrier("SF Express", "顺丰速运", "SF", 13),
    Carrier("JD Logistics", "京东物流", "JDX", 12),
    Carrier("ZTO Express", "中通快递", "78", 12),
    Carrier("YTO Express", "圆通速递", "YT", 13),
    Carrier("China Post EMS", "中国邮政EMS", "11", 11),
)

CHINESE_SURNAMES: tuple[Pair, ...] = (
    ("Wang", "王"),
    ("Li", "李"),
    ("Zhang", "张"),
    ("Liu", "刘"),
    ("Chen", "陈"),
    ("Yang", "杨"),
    ("Huang", "黄"),
    ("Zhao", "赵"),
    ("Wu", "吴"),
    ("Zhou", "周"),
    ("Xu", "徐"),
    ("Sun", "孙"),
    ("Ma", "马"),
    ("Zhu", "朱"),
    ("Hu", "胡"),
    ("Guo", "郭"),
    ("He", "何"),
    ("Lin", "林"),
    ("Luo", "罗"),
    ("Gao", "高"),
    ("Zheng", "郑"),
    ("Tang", "唐"),
)

CHINESE_GIVEN_NAMES: tuple[Pair, ...] = (
    ("Fang", "芳"),
    ("Na", "娜"),
    ("Min", "敏"),
    ("Jing", "静"),
    ("Lei", "磊"),
    ("Qiang", "强"),
    ("Yang", "洋"),
    ("Yan", "艳"),
    ("Jie", "杰"),
    ("Tao", "涛"),
    ("Ming", "明"),
    ("Chao", "超"),
    ("Xiuying", "秀英"),
    ("Xiaohong", "晓红"),
    ("Haoran", "浩然"),
    ("Zixuan", "子轩"),
    ("Yuxuan", "雨萱"),
    ("Jiahui", "佳慧"),
    ("Jianguo", "建国"),
    ("Shuang", "爽"),
    ("Ting", "婷"),
    ("Hui", "慧"),
    ("Bo", "博"),
    ("Kai", "凯"),
    ("Xin", "欣"),
    ("Yu", "宇"),
    ("Mengyao", "梦瑶"),
    ("Zhiyuan", "志远"),
)

ENGLISH_FIRST_NAMES: tuple[str, ...] = (
    "Olivia",
    "James",
    "Oliver",
    "Sophie",
    "Jack",
    "Amelia",
    "Harry",
    "Chloe",
    "Daniel",
    "Grace",
    "Michael",
    "Sarah",
    "David",
    "Laura",
    "Thomas",
    "Hannah",
    "Ryan",
    "Megan",
    "Lucas",
    "Mia",
    "Noah",
    "Ella",
    "Ben",
    "Isabel",
)

ENGLISH_SURNAMES: tuple[str, ...] = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Johnson",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Martin",
    "Lewis",
    "Baker",
    "Murphy",
    "Nguyen",
)

EMAIL_DOMAINS_ZH: tuple[str, ...] = ("example.cn", "mail.example.cn", "example.com")
EMAIL_DOMAINS_EN: tuple[str, ...] = ("example.com", "example.org", "example.net")
