#!/usr/bin/env python3
"""Edge fuzz for Pictor's pool: random and mutated FastCGI records straight to its socket, and
malformed HTTP through nginx, for a while. Exits 1 if the pool stops answering a well-formed
request. Crashes and leaked descriptors are checked by the caller (bench/fuzz.sh,
EndToEndTests/EdgeFuzzTests), which knows the processes.

    bench/fuzz-fastcgi.py --socket var/run/pictor.sock --http 127.0.0.1:8080 --seconds 60 --seed 1
"""
import argparse
import random
import socket
import struct
import sys
import time

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, GET_VALUES = 1, 2, 3, 4, 5, 6, 9


def record(kind, request_id, content, padding=0, version=1):
    return struct.pack(">BBHHBB", version, kind, request_id, len(content), padding, 0) + content + b"\0" * padding


def pair(name, value):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def request(path=b"/healthz", method=b"GET", body=b"", request_id=1, keep=0):
    params = b"".join(pair(k, v) for k, v in [
        (b"REQUEST_METHOD", method), (b"REQUEST_URI", path), (b"SCRIPT_NAME", path), (b"QUERY_STRING", b""),
        (b"CONTENT_LENGTH", str(len(body)).encode() if body else b""), (b"CONTENT_TYPE", b"application/json" if body else b""),
        (b"HTTP_HOST", b"fuzz"), (b"REMOTE_ADDR", b"127.0.0.1"), (b"REQUEST_ID", b"fuzz0000"),
    ])
    out = record(BEGIN, request_id, struct.pack(">HB5x", 1, keep))
    out += record(PARAMS, request_id, params) + record(PARAMS, request_id, b"")
    if body:
        out += record(STDIN, request_id, body)
    return out + record(STDIN, request_id, b"")


def mutate(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.randrange(7)
        if choice == 0 and data:                      # flip a byte
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 1 and data:                    # cut short
            del data[rng.randrange(len(data)):]
        elif choice == 2:                             # insert random bytes
            at = rng.randrange(len(data) + 1)
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        elif choice == 3 and len(data) > 8:           # duplicate a slice (records twice)
            a = rng.randrange(len(data))
            data += data[a:a + rng.randrange(1, 200)]
        elif choice == 4:                             # a record of an odd kind or version
            data += record(rng.choice([0, 7, 8, 10, 11, 255, ABORT, GET_VALUES, END, STDOUT]),
                           rng.randrange(65536), bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))),
                           padding=rng.randrange(0, 8), version=rng.choice([1, 1, 1, 0, 2]))
        elif choice == 5:                             # a name/value pair claiming huge lengths
            data += record(PARAMS, 1, struct.pack(">II", 0xFFFFFFF0, 0x8FFFFFFF) + b"x" * rng.randrange(0, 30))
        else:                                         # a body longer or shorter than declared
            data += record(STDIN, 1, b"{" * rng.randrange(0, 5000))
    return bytes(data)


def exchange(address, data, family=socket.AF_UNIX, timeout=2.0):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(address)
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass                                      # the pool may close first: fine
        answer = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
        return answer


def healthy(sock_path):
    answer = exchange(sock_path, request(), timeout=10)
    return b"Status: 200" in answer or b"Status: 503" in answer   # 503: PostgreSQL away, the pool fine


def malformed_http(rng):
    lines = [
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: " + b"a" * rng.randrange(1, 20000) + b"\r\n\r\n",
        b"POST /api/v1/generations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot chunked\r\n",
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"GET /\x00/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /gallery?" + bytes(rng.randrange(1, 256) for _ in range(100)) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(rng.randrange(256) for _ in range(64)),
        b"GET / HTTP/9.9\r\n\r\n",
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))),
        b"POST /api/v1/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"a\"",
    ]
    return rng.choice(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--http", help="nginx's host:port, for malformed HTTP")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    valid = [request(), request(b"/terms"), request(b"/api/v1/generations", b"POST", b'{"prompt":"x"}'),
             request(keep=1) + request(request_id=2)]
    sent = http_sent = 0
    deadline = time.time() + args.seconds
    while time.time() < deadline:
        kind = rng.randrange(4)
        try:
            if kind == 0:
                exchange(args.socket, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 2000))))
            elif kind in (1, 2):
                exchange(args.socket, mutate(rng.choice(valid), rng))
            elif args.http:
                host, port = args.http.rsplit(":", 1)
                exchange((host, int(port)), malformed_http(rng), family=socket.AF_INET)
                http_sent += 1
        except OSError as error:
            print(f"fuzz: connection error (the pool should still accept): {error}", file=sys.stderr)
        sent += 1
        if sent % 200 == 0 and not healthy(args.socket):
            print(f"fuzz: the pool stopped answering after {sent} inputs (seed {args.seed})", file=sys.stderr)
            return 1
    if not healthy(args.socket):
        print(f"fuzz: the pool does not answer after {sent} inputs (seed {args.seed})", file=sys.stderr)
        return 1
    print(f"fuzz: {sent} inputs ({http_sent} malformed HTTP through nginx) in {args.seconds:.0f} s, seed {args.seed}: the pool still answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
