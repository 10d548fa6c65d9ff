"""A small, recognisable export for the ingest tests: 7 orders, 28 units, 350.00 of revenue in March 2025."""

from __future__ import annotations

ORDERS_CSV = "order_id,order_date,customer_id,product_id,quantity,unit_price,status,country\n" + "".join(
    f"{i},2025-03-{i:02d},{1 + i % 2},{10 + i % 2},{i},12.50,delivered,GB\n" for i in range(1, 8)
)
CUSTOMERS_CSV = (
    "customer_id,name,email,country,signup_date\n"
    "1,Ada,ada@example.com,GB,2025-01-01\n"
    "2,Ben,ben@example.com,GB,2025-01-02\n"
)
PRODUCTS_CSV = "product_id,name,category,unit_price\n10,Lamp,home,12.50\n11,Kettle,home,12.50\n"
INCOMING = {"customers.csv": CUSTOMERS_CSV, "products.csv": PRODUCTS_CSV, "orders.csv": ORDERS_CSV}
ORDERS = 7
UNITS = sum(range(1, 8))
REVENUE = UNITS * 12.5
