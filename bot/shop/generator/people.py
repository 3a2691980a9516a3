"""Demo customers: profiles, phones, addresses and their channel identities."""

from __future__ import annotations

from bot.shop.catalog_data import PRODUCT_TYPES
from bot.shop.demo_records import EMMA_ADDRESS, EMMA_ID, LI_WEI_ADDRESS, LI_WEI_ID
from bot.shop.generator.base import Address, Profile
from bot.shop.generator.catalog import CatalogGenerator
from bot.shop.people_data import (
    CHINESE_GIVEN_NAMES,
    CHINESE_SURNAMES,
    CITIES,
    EMAIL_DOMAINS_EN,
    EMAIL_DOMAINS_ZH,
    ENGLISH_FIRST_NAMES,
    ENGLISH_SURNAMES,
)
from bot.shop.store import Row


class PeopleGenerator(CatalogGenerator):
    """Customers with phones, addresses and channel identities."""

    def new_phone(self, kind: str) -> str:
        rng = self.rng
        while True:
            if kind == "cn":
                phone = (
                    "1"
                    + rng.choice("3456789")
                    + "".join(rng.choice("0123456789") for _ in range(9))
                )
            elif kind == "uk":
                phone = f"+44 7700 900{rng.randint(0, 999):03d}"
            else:
                phone = f"+1 415 555 01{rng.randint(0, 99):02d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def make_address(self) -> Address:
        """A home address in a random city, written both in Chinese and in English."""
        rng = self.rng
        ci = rng.randrange(len(CITIES))
        city = CITIES[ci]
        di = rng.randrange(len(city.districts))
        district = city.districts[di]
        road = rng.choice(city.roads)
        number, building, room = rng.randint(1, 999), rng.randint(1, 30), rng.randint(101, 2808)
        city_zh = f"{city.province_zh}{city.name[1]}市"
        zh = f"{city_zh}{district[1]}{road[1]}{number}号{building}栋{room}室"
        en = (
            f"Room {room}, Building {building}, {number} {road[0]}, {district[0]}, "
            f"{city.name[0]} {city.postcode}"
        )
        return Address(ci, di, zh, en)

    def build_customers(self) -> list[Row]:
        rng = self.rng
        rows: list[Row] = []
        categories = sorted({t.category for t in PRODUCT_TYPES})
        shanghai = 0
        li_wei = Profile(
            id=LI_WEI_ID,
            created_at=self.at(700, 20, 15),
            language="zh",
            segment="vip",
            recipient="李伟",
            phone="13812345678",
            address=Address(shanghai, 0, LI_WEI_ADDRESS, ""),
            categories=("electronics", "appliances", "clothing"),
            activity=1.0,
        )
        emma = Profile(
            id=EMMA_ID,
            created_at=self.at(400, 9, 40),
            language="en",
            segment="regular",
            recipient="Emma Clark",
            phone="+44 7700 900123",
            address=Address(shanghai, 0, "", EMMA_ADDRESS),
            categories=("shoes", "sports", "beauty"),
            activity=1.0,
        )
        self.phones.update({li_wei.phone, emma.phone})
        rows.append(self.customer_row(li_wei, "Li Wei", "李伟", "liwei@example.cn"))
        rows.append(self.customer_row(emma, "Emma Clark", None, "emma.clark@example.com"))
        self.profiles.extend([li_wei, emma])

        for number in range(3, self.cfg.demo.customers + 1):
            cid = f"C{number:04d}"
            chinese = rng.random() < 0.68
            email: str | None
            if chinese:
                surname, given = rng.choice(CHINESE_SURNAMES), rng.choice(CHINESE_GIVEN_NAMES)
                name, name_zh = f"{surname[0]} {given[0]}", surname[1] + given[1]
                if name == "Li Wei":
                    name, name_zh = "Li Wen", "李文"
                language = "zh" if rng.random() < 0.93 else "en"
                phone = self.new_phone("cn")
                handle = f"{surname[0]}{given[0]}".lower() + str(rng.randint(1, 99))
                email = f"{handle}@{rng.choice(EMAIL_DOMAINS_ZH)}"
                recipient = name_zh
            else:
                first, last = rng.choice(ENGLISH_FIRST_NAMES), rng.choice(ENGLISH_SURNAMES)
                name, name_zh = f"{first} {last}", None
                language = "en" if rng.random() < 0.96 else "zh"
                phone = self.new_phone(rng.choice(("cn", "cn", "uk", "us")))
                email = f"{first}.{last}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS_EN)}".lower()
                recipient = name
            if rng.random() < 0.15:
                email = None
            roll = rng.random()
            segment = "new" if roll < 0.18 else "vip" if roll < 0.33 else "regular"
            days_ago = rng.randint(1, 29) if segment == "new" else rng.randint(30, 1100)
            created = self.at(days_ago, rng.randint(7, 23), rng.randint(0, 59))
            profile = Profile(
                id=cid,
                created_at=created,
                language=language,
                segment=segment,
                recipient=recipient,
                phone=phone,
                address=self.make_address(),
                categories=tuple(rng.sample(categories, k=rng.randint(2, 3))),
                activity=rng.lognormvariate(0.0, 0.9),
            )
            self.profiles.append(profile)
            rows.append(self.customer_row(profile, name, name_zh, email))
        return rows

    def customer_row(self, p: Profile, name: str, name_zh: str | None, email: str | None) -> Row:
        return {
            "id": p.id,
            "name": name,
            "name_zh": name_zh,
            "phone": p.phone,
            "email": email,
            "language": p.language,
            "segment": p.segment,
            "created_at": p.created_at,
        }

    def identity_rows(self) -> list[Row]:
        rows = [
            {"channel": "web", "external_id": "demo-liwei", "customer_id": LI_WEI_ID},
            {"channel": "web", "external_id": "demo-emma", "customer_id": EMMA_ID},
        ]
        rows.extend(
            {"channel": "web", "external_id": f"cust-{int(p.id[1:])}", "customer_id": p.id}
            for p in self.profiles
        )
        return rows
