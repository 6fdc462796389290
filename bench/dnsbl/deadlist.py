#!/usr/bin/env python3
"""deadlist.py - the measuring half of bench/dnsbl/deadlist.sh

Starts the fake DNS server, makes the dead list's zone never answer, and
sends BENCH_MSGS messages with smtp-source through each smtpd in turn
(healthy, dead; dead-old with fewer messages), K rounds. One run: the
sink is emptied, smtp-source sends N messages from 127.0.0.1 (a clean
client of every list), and the run lasts until the sink holds N
complete messages: msgs/s is N over that time.

It also reads what each daemon logged during the run: the "dnsbl error
list=LIST" lines (one per message whose dead list was not answered or
not asked: the error policy, dnsbl_on_error = accept, applied), of them
the "list down, not asked" ones, and the "list=LIST down|up" state
changes. Nothing here asserts timings; exit 0 when it measured, 1 when
the rig failed (a run that did not deliver every message included).
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import (VERBOSE, FakeDNS, arg_parser, median,  # noqa: E402
                      sink_busy, sink_clear)

STALL_S = 60


class RigError(Exception):
    pass


def parse_args():
    p = arg_parser("zone file")
    p.add_argument("--msgs", type=int, required=True)
    p.add_argument("--old-msgs", type=int, required=True)
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--sink", required=True)
    p.add_argument("--sink-pid", type=int, required=True)
    p.add_argument("--dead", required=True, help="*.ZONE of the dead list")
    p.add_argument("--service", action="append", default=[],
                   help="NAME=PORT:LOGFILE")
    return p.parse_args()


def log(msg):
    if VERBOSE:
        print(msg, file=sys.stderr, flush=True)




def send(name, port, n, sessions, sink, sink_pid):
    """smtp-source sends n messages; seconds until the sink holds n"""
    cmd = ["smtp-source", "-s", str(sessions), "-m", str(n),
           "-f", "bench@sender.example", "-t", "rcpt@dest.example",
           "-M", "client.example", "127.0.0.1:%d" % port]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    last, last_t = 0, t0
    try:
        while True:
            got = len(os.listdir(sink))
            now = time.monotonic()
            if got >= n and not sink_busy(sink, sink_pid):
                break
            if got > last:
                last, last_t = got, now
            rc = proc.poll()
            if rc not in (None, 0):
                out = proc.stdout.read().decode(errors="replace").strip()
                raise RigError("%s: smtp-source failed (status %d): %s"
                               % (name, rc, out[-300:]))
            if now - last_t > STALL_S:
                raise RigError("%s: %d of %d messages reached the sink, "
                               "nothing for %ds" % (name, got, n, STALL_S))
            time.sleep(0.002 if got >= n else 0.01)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return now - t0, len(os.listdir(sink))


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def log_since(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def main():
    args = parse_args()
    dead_zone = args.dead[2:]
    services = []
    for s in args.service:
        name, rest = s.split("=", 1)
        port, logfile = rest.split(":", 1)
        services.append((name, int(port), logfile))
    fk = FakeDNS(args.fakedns, args.dns, args.zone, args.pidfile)
    err_re = re.compile(r"dnsbl error list=%s " % re.escape(dead_zone))
    down_re = re.compile(r"list=%s (down|up)\b" % re.escape(dead_zone))
    rows = {name: [] for name, _, _ in services}
    try:
        fk.drop(args.dead)
        for k in range(args.k):
            for name, port, logfile in services:
                n = args.old_msgs if name == "dead-old" else args.msgs
                if n == 0:
                    continue
                sink_clear(args.sink)
                off = log_size(logfile)
                q0, d0 = fk.count(), fk.count(args.dead)
                secs, got = send(name, port, n, args.sessions, args.sink,
                                 args.sink_pid)
                time.sleep(0.2)  # the last log lines
                text = log_since(logfile, off)
                errors = len(err_re.findall(text))
                skipped = text.count("list down, not asked")
                changes = [m.group(1) for m in down_re.finditer(text)]
                row = {"n": n, "got": got, "secs": secs, "rate": n / secs,
                       "queries": fk.count() - q0,
                       "dead_queries": fk.count(args.dead) - d0,
                       "errors": errors, "skipped": skipped,
                       "changes": changes}
                rows[name].append(row)
                log("round %d %s: %.1f msgs/s, %s" % (k + 1, name,
                                                      row["rate"], row))
                if got != n:
                    raise RigError("%s: %d of %d delivered" % (name, got, n))
    except RigError as e:
        print("deadlist.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        fk.stop()

    print("Dead DNS list: %d sessions, dns_timeout %s, one clean client,"
          " three lists, dnsbl_on_error = accept"
          % (args.sessions, os.environ.get("BENCH_DNS_TIMEOUT", "?")))
    print("%-9s %6s %4s  %-28s %9s %8s %9s  %s" % (
        "chain", "msgs", "run", "msgs/s", "delivered", "queries",
        "to dead", "dead list: errors logged (skipped), changes"))
    for name, _, _ in services:
        for i, r in enumerate(rows[name]):
            print("%-9s %6d %4d  %-28.1f %9d %8d %9d  %d (%d) %s" % (
                name, r["n"], i + 1, r["rate"], r["got"], r["queries"],
                r["dead_queries"], r["errors"], r["skipped"],
                " ".join(r["changes"]) or "-"))
    healthy = median([r["rate"] for r in rows.get("healthy", [])])
    for name in ("dead", "dead-old"):
        if rows.get(name):
            rate = median([r["rate"] for r in rows[name]])
            print("median %-9s %.1f msgs/s = %.2f x healthy (%.1f)"
                  % (name, rate, rate / healthy, healthy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
