#!/usr/bin/env python3
"""measure.py - the measuring half of bench/dnsbl/run.sh

Starts the delaying DNS server (fakedns_main --control, so that it can be
asked how many queries it got), then times SMTP sessions against the
private Postfix that run.sh set up, and "portcullis -t" runs, and prints
the tables. run.sh passes everything on the command line; see README.md.

Each measurement uses a client address never used before (documentation
ranges, claimed with XCLIENT), so every cache starts cold, then repeats
the session for the same client at once (the "returning client"). The
order of the configurations is shuffled in every round, so that slow
phases of a noisy machine spread over all of them. Nothing here asserts:
wrong SMTP replies are counted and reported, and the exit status is 0
when the measurements ran, 1 when the rig itself failed.
"""

import os
import random
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import VERBOSE, FakeDNS, arg_parser, median  # noqa: E402

LISTED_A = "127.0.0.2"
TXT = "bench: listed"


def parse_args():
    p = arg_parser("zone file to write")
    p.add_argument("--origin", required=True, help="zone origin of the lists")
    p.add_argument("--lists", required=True,
                   help="comma-separated list zones, the last one lists")
    p.add_argument("--delay-ms", type=int, required=True)
    p.add_argument("--portcullis", required=True)
    p.add_argument("--service", action="append", default=[],
                   help="NAME=PORT: an smtpd of the instance")
    p.add_argument("--once", action="append", default=[],
                   help="NAME=PORT: an smtpd measured once, for its queries")
    p.add_argument("--tconf", action="append", default=[],
                   help="NAME=CONF: a portcullis config for -t runs")
    p.add_argument("--timeout", type=float, default=15.0)
    return p.parse_args()


class Clients:
    """Fresh client addresses: clean ones from 192.0.2.0/24, listed ones
    from 198.51.100.0/24, warm-up ones from 203.0.113.0/24."""

    def __init__(self):
        self.next = {"clean": 1, "listed": 1, "warm": 1}
        self.nets = {"clean": "192.0.2.", "listed": "198.51.100.",
                     "warm": "203.0.113."}

    def take(self, kind):
        n = self.next[kind]
        if n > 254:
            raise SystemExit("measure.py: out of %s client addresses "
                             "(lower BENCH_K)" % kind)
        self.next[kind] = n + 1
        return self.nets[kind] + str(n)

    def listed_all(self):
        return [self.nets["listed"] + str(n) for n in range(1, 255)]


def write_zone(path, origin, lists, clients):
    """Every listed client is in the last list only; nothing else exists,
    so clean clients get NXDOMAIN (with the SOA) from every list."""
    last = lists[-1]
    rel = last[: -len(origin) - 1] if last.endswith("." + origin) else None
    if rel is None:
        raise SystemExit("measure.py: %s is not under %s" % (last, origin))
    with open(path, "w") as f:
        f.write("$ORIGIN %s.\n$TTL 300\n" % origin)
        f.write("@ IN SOA ns.%s. admin.%s. 1 3600 600 86400 300\n"
                % (origin, origin))
        f.write("@ IN NS ns.%s.\n" % origin)
        for ip in clients.listed_all():
            rev = ".".join(reversed(ip.split(".")))
            f.write('%s.%s IN A %s\n' % (rev, rel, LISTED_A))
            f.write('%s.%s IN TXT "%s"\n' % (rev, rel, TXT))


class SMTPError(Exception):
    pass


def smtp_session(port, ip, timeout):
    """connect, EHLO, XCLIENT, EHLO, MAIL, RCPT; ms from before connect()
    to the whole RCPT reply read, and the RCPT reply code"""
    t0 = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = s.makefile("rb")

        def reply():
            while True:
                line = f.readline()
                if not line:
                    raise SMTPError("connection closed")
                if len(line) < 4 or line[3:4] != b"-":
                    return line[:3].decode("ascii", "replace"), line

        def cmd(text, want):
            s.sendall(text.encode("ascii") + b"\r\n")
            code, line = reply()
            if want and not code.startswith(want):
                raise SMTPError("%s -> %s" % (text, line.strip()))
            return code

        code, line = reply()
        if code != "220":
            raise SMTPError("greeting %s" % line.strip())
        cmd("EHLO bench.example.net", "250")
        cmd("XCLIENT ADDR=%s NAME=[UNAVAILABLE]" % ip, "220")
        cmd("EHLO mail.example.net", "250")
        cmd("MAIL FROM:<a@example.net>", "250")
        rc = cmd("RCPT TO:<b@example.com>", None)
        t1 = time.perf_counter()
        # Not timed: QUIT, then wait for smtpd to hang up, so that the
        # (single) smtpd process is free for the next session.
        try:
            cmd("QUIT", None)
            while f.read(4096):
                pass
        except (SMTPError, OSError):
            pass
        return (t1 - t0) * 1000.0, rc
    finally:
        s.close()


def testmode_run(portcullis, conf, ip, timeout):
    """wall ms of one "portcullis -t" process, and its exit status"""
    argv = [portcullis, "-t", "-c", conf, "--client-ip", ip,
            "--helo", "mail.example.net", "--from", "a@example.net",
            "--rcpt", "b@example.com"]
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout)
    return (time.perf_counter() - t0) * 1000.0, r.returncode


def main():
    a = parse_args()
    services = dict(s.split("=", 1) for s in a.service)
    services = {k: int(v) for k, v in services.items()}
    once = {k: int(v) for k, v in (s.split("=", 1) for s in a.once)}
    tconfs = dict(s.split("=", 1) for s in a.tconf)
    lists = a.lists.split(",")
    D = float(a.delay_ms)
    clients = Clients()
    write_zone(a.zone, a.origin, lists, clients)
    fk = FakeDNS(a.fakedns, a.dns, a.zone, a.pidfile, a.delay_ms)
    problems = []
    # results[name][kind] = list of (cold ms, cold queries, warm ms, warm queries)
    results = {}
    started = time.perf_counter()
    try:
        # Warm-up: every smtpd is forked, every milter connected, the
        # binaries are in the page cache. Not counted.
        for name, port in services.items():
            ip = clients.take("warm")
            for _ in range(2):
                try:
                    smtp_session(port, ip, a.timeout)
                except (SMTPError, OSError) as e:
                    raise SystemExit("measure.py: warm-up %s (port %d): %s"
                                     % (name, port, e))
        for name, conf in tconfs.items():
            testmode_run(a.portcullis, conf, clients.take("warm"), a.timeout)

        # (kind, name, runner); the no-milter smtpd ("base") once per kind
        jobs = []
        for name, port in services.items():
            for kind in ("clean", "listed"):
                jobs.append(("smtp", name, kind, port))
        for name, conf in tconfs.items():
            for kind in ("clean", "listed"):
                jobs.append(("t", name, kind, conf))
        once_jobs = [("smtp", name, kind, port)
                     for name, port in once.items()
                     for kind in ("clean", "listed")]
        rng = random.Random(20240601)
        for rnd in range(a.k + 1):
            if rnd < a.k:
                rng.shuffle(jobs)
            for how, name, kind, where in jobs if rnd < a.k else once_jobs:
                ip = clients.take(kind)
                if VERBOSE:
                    print("bench: %.3f round %d %s %s %s"
                          % (time.perf_counter() - started, rnd + 1, name,
                             kind, ip), file=sys.stderr, flush=True)
                c0 = fk.count()
                if how == "smtp":
                    try:
                        ms, code = smtp_session(where, ip, a.timeout)
                        c1 = fk.count()
                        ms2, code2 = smtp_session(where, ip, a.timeout)
                        c2 = fk.count()
                    except (SMTPError, OSError) as e:
                        problems.append("%s %s %s: %s" % (name, kind, ip, e))
                        continue
                    want = expect_code(name, kind)
                    for c in (code, code2):
                        if c != want:
                            problems.append("%s %s %s: RCPT %s, expected %s"
                                            % (name, kind, ip, c, want))
                    results.setdefault(name, {}).setdefault(kind, []).append(
                        (ms, c1 - c0, ms2, c2 - c1))
                else:
                    ms, rc = testmode_run(a.portcullis, where, ip, a.timeout)
                    c1 = fk.count()
                    want = 5 if (kind == "listed" and name != "t0") else 0
                    if rc != want:
                        problems.append("-t %s %s %s: exit %d, expected %d"
                                        % (name, kind, ip, rc, want))
                    results.setdefault(name, {}).setdefault(kind, []).append(
                        (ms, c1 - c0, None, None))
    finally:
        fk.stop()
    report(results, a, D, lists, problems, time.perf_counter() - started)
    return 0


def expect_code(name, kind):
    """base and the N=0 milters accept everyone; the others refuse the
    listed client at RCPT (554)"""
    if kind == "listed" and not name.endswith("0") and name != "base":
        return "554"
    return "250"


def report(results, a, D, lists, problems, elapsed):
    def cold(name, kind):
        return [r[0] for r in results.get(name, {}).get(kind, [])]

    def warm(name, kind):
        return [r[2] for r in results.get(name, {}).get(kind, [])]

    def queries(name, kind, idx):
        xs = [r[idx] for r in results.get(name, {}).get(kind, [])]
        if not xs:
            return "-"
        lo, hi = min(xs), max(xs)
        return str(lo) if lo == hi else "%d-%d" % (lo, hi)

    # the no-milter, no-RBL smtpd: all its sessions are alike
    b = median(cold("base", "clean") + cold("base", "listed")
               + warm("base", "clean") + warm("base", "listed"))
    t0 = median(cold("t0", "clean") + cold("t0", "listed"))

    def added(name, kind, which=cold):
        ref = t0 if name.startswith("t") else b
        return median(which(name, kind)) - ref

    def f(x):
        return "%7.1f" % x if x == x else "      -"

    def ratio(x, y):
        return "%6.2f" % (x / y) if y and x == x and y == y and y > 0 else "     -"

    n = a.k
    print()
    print("portcullis DNS list benchmark: every DNS answer delayed D = %d ms; "
          "K = %d runs each; %d CPUs" % (D, n, cpu_count()))
    print("lists: N=1 %s; N=5 %s; listed clients are in the last list only"
          % (lists[-1], ", ".join(l.split(".")[0] for l in lists)))
    print("baseline, connect -> RCPT reply, smtpd without milter or RBL: "
          "%.1f ms; portcullis -t without lists: %.1f ms" % (b, t0))
    print()
    print("added latency, ms (median of %d), new client (cache cold), "
          "connect -> RCPT reply" % n)
    print("%-34s %-7s %7s %7s %7s  %6s %6s" %
          ("", "client", "N=0", "N=1", "N=5", "N5/N1", "N5/D"))
    rows = [
        ("portcullis milter, unix socket", "u"),
        ("portcullis milter, inet (TCP)", "i"),
        ("portcullis -t (offline, wall)", "t"),
        ("postfix reject_rbl_client", "pf"),
    ]
    for title, p in rows:
        for kind in ("clean", "listed"):
            n0 = added(p + "0", kind) if p in ("u", "i") else float("nan")
            n1 = added(p + "1", kind)
            n5 = added(p + "5", kind)
            print("%-34s %-7s %s %s %s  %s %s" %
                  (title if kind == "clean" else "", kind, f(n0), f(n1),
                   f(n5), ratio(n5, n1), ratio(n5, D)))
    print("goal of the issue: portcullis N5/D <= 1.2 (lists asked in "
          "parallel); postfix asks them one after the other")
    print()
    print("returning client (same client again at once, within the TTL): "
          "added ms (median) and DNS queries received")
    print("%-34s %-7s %7s %7s  %-11s %-11s" %
          ("", "client", "N=1", "N=5", "queries N=1", "queries N=5"))
    for title, p in rows:
        if p == "t":
            continue
        for kind in ("clean", "listed"):
            print("%-34s %-7s %s %s  %-11s %-11s" %
                  (title if kind == "clean" else "", kind,
                   f(added(p + "1", kind, warm)),
                   f(added(p + "5", kind, warm)),
                   "%s -> %s" % (queries(p + "1", kind, 1),
                                 queries(p + "1", kind, 3)),
                   "%s -> %s" % (queries(p + "5", kind, 1),
                                 queries(p + "5", kind, 3))))
    for kind in ("clean", "listed"):
        if "px1" not in results:
            break
        print("%-34s %-7s %7s %7s  %-11s %-11s" %
              ("postfix, new smtpd every session" if kind == "clean" else "",
               kind, "", "",
               "%s -> %s" % (queries("px1", kind, 1), queries("px1", kind, 3)),
               "%s -> %s" % (queries("px5", kind, 1), queries("px5", kind, 3))))
    print("queries: first session -> second session (goal for portcullis: "
          "-> 0); -t runs ask anew every time;")
    print("postfix smtpd caches RBL answers per process (100 entries, no "
          "TTL): a returning client asks again when another smtpd serves it")
    if problems:
        print()
        print("%d unexpected replies (figures above exclude failed sessions):"
              % len(problems))
        for line in problems[:10]:
            print("  " + line)
    print("(measured in %.0f s)" % elapsed)


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return 0


if __name__ == "__main__":
    sys.exit(main())
