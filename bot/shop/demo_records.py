"""The README's demo records: the customers and orders the README and the tests talk about, the
same in every seeded shop."""

from __future__ import annotations

LI_WEI_ID = "C0001"
EMMA_ID = "C0002"
DEMO_CUSTOMER_IDS = (LI_WEI_ID, EMMA_ID)
ORDER_IN_TRANSIT = "260315004217"  # Li Wei, SF Express, in transit, wireless earbuds
ORDER_TSHIRT = "260402118830"  # Li Wei, delivered 3 days ago, cotton T-shirt
ORDER_KETTLE = "260101000001"  # Li Wei, delivered 40 days ago, electric kettle
ORDER_PAID = "260420000009"  # Li Wei, paid, not shipped, rice cooker
ORDER_EMMA_SHOES = "260411555501"  # Emma, delivered 2 days ago, running shoes
DEMO_ORDER_IDS = (ORDER_IN_TRANSIT, ORDER_TSHIRT, ORDER_KETTLE, ORDER_PAID, ORDER_EMMA_SHOES)

# Product types of the demo orders; the first product of each type is the one ordered.
DEMO_PRODUCT_TYPES = (
    "wireless_earbuds",
    "tshirt",
    "electric_kettle",
    "rice_cooker",
    "running_shoes",
)

LI_WEI_ADDRESS = "上海市浦东新区张江路88弄6号1202室"
EMMA_ADDRESS = "Apt 1503, 1000 Century Avenue, Pudong New Area, Shanghai 200120"
