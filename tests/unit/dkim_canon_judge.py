#!/usr/bin/python3
"""dkim_canon_judge - portcullis's DKIM canonicalization held against
python3-dkim's, an independent implementation, on random bodies and
header fields (a fixed seed: the same cases every run). Bodies are fed
in random chunk sizes; header folds go in as Postfix's milter gives
them (bare LF). TAP output; exit 77 without python3-dkim."""

import os
import random
import subprocess
import sys

try:
    from dkim.canonicalization import Relaxed, Simple
except ImportError:
    print("1..0 # SKIP python3-dkim is not installed")
    sys.exit(77)

TOOL = os.environ.get("CANON_TOOL", "tests/unit/canon_tool")
KINDS = (("s", Simple), ("r", Relaxed))


def run(args, data):
    """run - canon_tool's output for data"""
    return subprocess.run([TOOL] + args, input=data, capture_output=True,
                          check=True).stdout


def bodies(rng):
    """bodies - mismatches over random bodies"""
    alpha = [b"a", b" ", b"\t", b"\r\n", b"\r\n\r\n", b"x", b"  ",
             b"\r\n ", b"\r", b"\xc3\xa9"]
    bad = []
    for _ in range(400):
        body = b"".join(rng.choice(alpha) for _ in range(rng.randint(0, 40)))
        for name, cls in KINDS:
            want = cls.canonicalize_body(body)
            got = run(["body", name, str(rng.randint(1, 5))], body)
            if got != want:
                bad.append((name, body, got, want))
    return bad


def headers(rng):
    """headers - mismatches over random header fields"""
    names = [b"Subject", b"From", b"X-Foo ", b"DKIM-Signature", b"To\t"]
    alpha = [b"a", b" ", b"\t", b"\r\n ", b"\r\n\t", b"x", b"  ",
             b"\xc3\xa9", b";", b"="]
    bad = []
    for _ in range(400):
        field = rng.choice(names)
        value = b"".join(rng.choice(alpha) for _ in range(rng.randint(0, 20)))
        for name, cls in KINDS:
            want = b"".join(n + b":" + v for n, v in
                            cls.canonicalize_headers([(field, value + b"\r\n")]))
            got = run(["header", name],
                      field + b":" + value.replace(b"\r\n", b"\n"))
            if got != want:
                bad.append((name, field + b":" + value, got, want))
    return bad


def main():
    """main - two TAP lines"""
    rng = random.Random(6376)
    print("1..2")
    for n, (what, bad) in enumerate((("bodies", bodies(rng)),
                                     ("header fields", headers(rng))), 1):
        if bad:
            print(f"not ok {n} - {what}: {len(bad)} differ from python3-dkim")
            for case in bad[:3]:
                print(f"# {case!r}")
        else:
            print(f"ok {n} - {what}: 800 cases agree with python3-dkim")


main()
