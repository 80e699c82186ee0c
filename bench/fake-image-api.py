#!/usr/bin/env python3
"""A local stand-in for an OpenAI-compatible Images API for benchmarks: answers
POST /v1/images/generations with a b64_json PNG of the requested size after DELAY seconds,
any number of requests at once (a thread each). Standard library only.

    bench/fake-image-api.py PORT [DELAY]
"""
import base64, json, struct, sys, threading, time, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

delay = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
cache, lock = {}, threading.Lock()


def png(width, height):
    """A flat grey RGB PNG, made once per size."""
    with lock:
        if (width, height) not in cache:
            def chunk(kind, data):
                return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
            rows = b"".join(b"\0" + b"\x80" * (3 * width) for _ in range(height))
            cache[(width, height)] = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                                      + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))
        return cache[(width, height)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        width, height = (int(n) for n in body.get("size", "1024x1024").split("x"))
        time.sleep(delay)
        answer = json.dumps({"created": int(time.time()),
                             "data": [{"b64_json": base64.b64encode(png(width, height)).decode()}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 512
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
