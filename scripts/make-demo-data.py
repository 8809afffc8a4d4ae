#!/usr/bin/env python3
"""Writes the bundled demo data: realistic shop orders as JSON Lines.

Deterministic (fixed seed) so the committed file can be regenerated exactly:
    python3 scripts/make-demo-data.py > examples/demo/data/orders.jsonl
Two orders carry a malformed total on purpose, to show dead letters.
"""
import json
import random
import sys

random.seed(20261122)
first = ["Aino", "Eero", "Helmi", "Juho", "Lumi", "Mikael", "Sofia", "Onni", "Ella", "Väinö", "Zoë", "Ángel"]
last = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Laine", "Heikkinen", "O'Brien", "Müller", "García"]
cities = [("Helsinki", "FI"), ("Tampere", "FI"), ("Pori", "FI"), ("Stockholm", "SE"), ("Tallinn", "EE"), ("Berlin", "DE")]
statuses = ["paid", "paid", "paid", "shipped", "shipped", "refunded", "cancelled"]
channels = ["web", "app", "store", "phone"]

count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
for n in range(count):
    order_id = 100000 + n
    day = 1 + n * 60 // count
    hour, minute = random.randint(0, 23), random.randint(0, 59)
    city, country = random.choice(cities)
    total = f"{random.randint(500, 50000) / 100:.2f}"
    if n in (137, 1411):
        total = "n/a"
    record = {
        "order_id": order_id,
        "status": random.choice(statuses),
        "ordered_at": f"2025-{3 + (day - 1) // 30:02d}-{1 + (day - 1) % 30:02d} {hour:02d}:{minute:02d}:00",
        "updated_at": f"2025-05-01T{hour:02d}:{minute:02d}:{n % 60:02d}Z",
        "customer": {
            "id": random.randint(1, 400),
            "name": f"{random.choice(first)} {random.choice(last)}",
            "email": f"customer{random.randint(1, 400)}@example.com",
            "address": {"city": city, "country": country, "postcode": f"{random.randint(100, 99999):05d}"},
        },
        "total": total,
        "currency": "EUR",
        "items": random.randint(1, 9),
        "channel": random.choice(channels),
        "coupon": random.choice([None, None, None, "SPRING10", "VIP"]),
        "gift": random.random() < 0.1,
        "tags": random.sample(["express", "fragile", "b2b", "first-order", "repeat"], k=random.randint(0, 2)),
    }
    print(json.dumps(record, ensure_ascii=False))
