#!/usr/bin/env python3
"""The hand-written peer of `ferry-bench rest`: what someone would write instead of Ferry.

    rest-peer.py BASE_URL DATABASE

Pages through BASE_URL/items?page=N&per_page=1000 with requests and upserts each page into
DATABASE with sqlite3 in one transaction, with the durability Ferry's default has (WAL,
synchronous=FULL). Nested values are stored as compact JSON text, booleans as 0/1, as Ferry
stores them."""
import json
import sqlite3
import sys

import requests

base, path = sys.argv[1], sys.argv[2]
database = sqlite3.connect(path, isolation_level=None)
database.execute("PRAGMA journal_mode=WAL")
database.execute("PRAGMA synchronous=FULL")
session = requests.Session()
columns = None
page = 1
while True:
    response = session.get(f"{base}/items", params={"page": page, "per_page": 1000})
    response.raise_for_status()
    records = response.json()["data"]
    if not records:
        break
    if columns is None:
        columns = list(records[0].keys())
        database.execute(
            "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, "
            + ", ".join(f'"{c}"' for c in columns if c != "id") + ")")
        statement = (f"INSERT INTO items ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                     "ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id"))
    rows = [[json.dumps(v, separators=(",", ":")) if isinstance(v, (dict, list)) else v for v in (r[c] for c in columns)]
            for r in records]
    database.execute("BEGIN")
    database.executemany(statement, rows)
    database.execute("COMMIT")
    page += 1
database.close()
