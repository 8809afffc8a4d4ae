#!/usr/bin/env python3
"""A paging JSON API for `ferry-bench rest`: GET /items?page=N&per_page=M returns
{"data": [...]} with `total` records of 12 fields in all, generated on the fly, and
GET /items/{id} one record after a delay (`ferry-bench rest-detail`: argv[2] milliseconds).
Listens on 127.0.0.1 on a free port and prints the port on its first line."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
DETAIL_DELAY = (int(sys.argv[2]) if len(sys.argv) > 2 else 0) / 1000


def record(i):
    return {"id": i, "sku": f"SKU-{i}", "name": f"Product {i}", "price": (i % 10000) / 100, "qty": i % 50,
            "active": i % 3 == 0, "updated_at": f"2025-01-01T00:{i % 60:02d}:00Z",
            "customer": {"id": i % 977, "city": "Oulu"}, "tags": ["bulk"], "score": (i % 1000) / 1000,
            "note": f"order note {i}", "category": f"c{i % 13}"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body waits for
    # the client's delayed ACK (40 ms), which would dwarf a small detail response.
    disable_nagle_algorithm = True

    def do_GET(self):
        url = urlparse(self.path)
        if url.path.startswith("/items/"):
            time.sleep(DETAIL_DELAY)
            body = json.dumps(record(int(url.path.rsplit("/", 1)[1]))).encode()
        else:
            query = parse_qs(url.query)
            page, size = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["1000"])[0])
            first = (page - 1) * size + 1
            body = json.dumps({"data": [{"id": i} for i in range(first, min(first + size, TOTAL + 1))]
                               if DETAIL_DELAY else [record(i) for i in range(first, min(first + size, TOTAL + 1))]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
