#!/usr/bin/env python3
"""A paging JSON API for `ferry-bench rest` and `rest-detail`.

    rest-simulator.py TOTAL [DETAIL_DELAY_MS] [--csv PATH]

GET /items?page=N&per_page=M returns {"data": [...]}: `total` records of 13 fields (a nested
object, an array) sorted by `updated_at`, as real APIs sort them, so their ids come in random
order (a fixed permutation of 1...TOTAL). `updated_since=T` keeps the records updated after T.
POST /touch?count=N[&offset=K] gives N records (spread over the id range, every TOTAL/N-th
position from K on) a new version, updated after all others: the 1%-changed incremental run
(their pages are encoded then, not when read); another offset touches other records.
POST /reset forgets every touch: the full read serves the TOTAL first versions again, so each
first load of a benchmark reads the same records whatever ran before it.
GET /items/{id} returns one record after DETAIL_DELAY_MS (`ferry-bench rest-detail`).

Pages of the full read are encoded once, before the port is printed, into a scratch file
and served from it, so the API is not the bottleneck of the load it feeds. `--csv PATH`
also writes the same rows in the same order as CSV (header first) for `sqlite3 .import`.
Listens on 127.0.0.1 on a free port and prints the port on its first line."""
import csv
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

arguments = sys.argv[1:]
CSV_PATH = None
if "--csv" in arguments:
    at = arguments.index("--csv")
    CSV_PATH = arguments[at + 1]
    del arguments[at:at + 2]
TOTAL = int(arguments[0]) if arguments else 200000
DETAIL_DELAY = (int(arguments[1]) if len(arguments) > 1 else 0) / 1000
CACHED_PAGE_SIZE = 1000
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
CITIES = ["Helsinki", "Tampere", "Pori", "Turku", "Oulu"]
# A multiplier coprime to TOTAL turns positions into a permutation of the ids: random order,
# no table in memory.
STRIDE = 2654435761 % max(TOTAL, 1) or 1
while TOTAL > 1 and __import__("math").gcd(STRIDE, TOTAL) != 1:
    STRIDE += 1


def stamp(position):
    return (EPOCH + timedelta(seconds=position)).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_of(i, position, version=0):
    """Record `i` (its id) as served at `position` in `updated_at` order."""
    return {"id": i, "sku": f"SKU-{i}", "name": f"Product {i}", "price": (i % 10000) / 100, "qty": (i + version) % 50,
            "active": i % 3 == 0, "updated_at": stamp(position), "customer": {"id": i % 977, "city": CITIES[i % 5]},
            "tags": [f"t{i % 7}", "bulk"], "score": (i % 1000) / 1000, "note": f"order note {i}",
            "category": f"c{i % 13}", "version": version}


def id_at(position):
    return (position * STRIDE) % TOTAL + 1


def record(i):
    return record_of(i, 0)


# Touched records, after the TOTAL positions of the first versions: (id, version).
changes = []
# Their pages from position TOTAL on, encoded when they are touched (as the full read's are
# before the port is printed), so the incremental run does not wait on the encoding.
change_pages = {}


def records_after(position, count):
    """`count` records from `position` on in `updated_at` order (first versions, then touched ones)."""
    out = []
    while len(out) < count and position < TOTAL + len(changes):
        if position < TOTAL:
            out.append(record_of(id_at(position), position))
        else:
            i, version = changes[position - TOTAL]
            out.append(record_of(i, position, version))
        position += 1
    return out


def encode(records):
    return json.dumps({"data": records}, separators=(",", ":")).encode()


# The full read's pages, encoded once: (offset, length) in the scratch file.
scratch = tempfile.TemporaryFile()
pages = []
if not DETAIL_DELAY:
    writer = None
    csv_file = open(CSV_PATH, "w", newline="") if CSV_PATH else None
    if csv_file:
        writer = csv.writer(csv_file, lineterminator="\n")
        writer.writerow(list(record_of(1, 0).keys()))
    for first in range(0, TOTAL, CACHED_PAGE_SIZE):
        rows = records_after(first, CACHED_PAGE_SIZE)
        body = encode(rows)
        pages.append((scratch.tell(), len(body)))
        scratch.write(body)
        if writer:
            for row in rows:
                writer.writerow([json.dumps(v, separators=(",", ":")) if isinstance(v, (dict, list))
                                 else int(v) if isinstance(v, bool) else v for v in row.values()])
    scratch.flush()
    if csv_file:
        csv_file.close()


def first_position_after(since):
    """The first position whose `updated_at` is later than `since` (an ISO-8601 time)."""
    moment = datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return max(0, int((moment - EPOCH).total_seconds()) + 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body waits for
    # the client's delayed ACK (40 ms), which would dwarf a small detail response.
    disable_nagle_algorithm = True

    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        url = urlparse(self.path)
        if url.path == "/reset":
            changes.clear()
            change_pages.clear()
            self.reply(b"{}")
            return
        query = parse_qs(url.query)
        count = int(query.get("count", ["0"])[0])
        offset = int(query.get("offset", ["0"])[0])
        step = max(TOTAL // max(count, 1), 1)
        for k in range(count):
            changes.append((id_at((k * step + offset) % TOTAL), len(changes) + 1))
        change_pages.clear()
        for start in range(TOTAL, TOTAL + len(changes), CACHED_PAGE_SIZE):
            change_pages[start] = encode(records_after(start, CACHED_PAGE_SIZE))
        self.reply(b"{}")

    def do_GET(self):
        url = urlparse(self.path)
        if url.path.startswith("/items/"):
            time.sleep(DETAIL_DELAY)
            self.reply(json.dumps(record(int(url.path.rsplit("/", 1)[1]))).encode())
            return
        query = parse_qs(url.query)
        page, size = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["1000"])[0])
        if DETAIL_DELAY:
            first = (page - 1) * size + 1
            self.reply(encode([{"id": i} for i in range(first, min(first + size, TOTAL + 1))]))
            return
        since = query.get("updated_since", [""])[0]
        start = (first_position_after(since) if since else 0) + (page - 1) * size
        if start % CACHED_PAGE_SIZE == 0 and size == CACHED_PAGE_SIZE and start < TOTAL:
            offset, length = pages[start // CACHED_PAGE_SIZE]
            self.reply(os.pread(scratch.fileno(), length, offset))
        elif size == CACHED_PAGE_SIZE and start in change_pages:
            self.reply(change_pages[start])
        else:
            self.reply(encode(records_after(start, size)))

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
