#!/usr/bin/python3
"""measure.py - the measuring half of bench/dkim/run.sh

Signs the bench message once per key with python3-dkim (the input of
the verify-only runs), starts the fake DNS server (fakedns_main
--control, so that it can say how many queries it got), sends one
message through every configuration and checks what reached the sink
(a signature that python3-dkim verifies; an Authentication-Results
header with dkim=pass from the verifier), then times smtp-source runs
and prints the tables. run.sh passes everything on the command line;
see README.md.

One run: the sink directory is emptied, smtp-source sends N messages
over S parallel sessions to one smtpd listener, and the run ends when
the sink holds N messages: messages per second is N over that time. The
milter's CPU time is read from /proc around the run (utime + stime of
every process in its process group). Every round runs every
configuration once, in a shuffled order, so that a slow moment of the
machine spreads over all of them; K rounds, medians.

Run with Debian's /usr/bin/python3 (python3-dkim, python3-nacl,
python3-dnspython). Exit status 0 when the measurements ran, 1 when the
rig failed or a check did not pass.
"""

import os
import random
import re
import subprocess
import sys
import time

import dkim
import dns.resolver

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import benchlib  # noqa: E402
from benchlib import (VERBOSE, arg_parser, median,  # noqa: E402
                      sink_busy, sink_clear, sink_count)

CLK_TCK = os.sysconf("SC_CLK_TCK")
STALL_S = 30.0  # a run that delivers nothing for this long is broken
SENDER = "anna.weber@bench.example"  # the From: of message.eml
RECIPIENT = "team@example.net"
HELO = "client.example.net"
ALGS = {"rsa": ("RSA-2048", "rsa-sha256"), "ed": ("Ed25519", "ed25519-sha256")}
IMPLS = {"pcl": "portcullis", "odk": "OpenDKIM"}
SINK_ENVELOPE = re.compile(rb"^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):")


class RigError(Exception):
    """the rig failed: exit 1"""


def log(msg):
    if VERBOSE:
        sys.stderr.write("measure: %s\n" % msg)
        sys.stderr.flush()


def parse_args():
    p = arg_parser("zone file with the keys")
    p.add_argument("--work", required=True, help="directory for the messages")
    p.add_argument("--sink", required=True, help="smtp-sink's directory")
    p.add_argument("--sink-pid", type=int, required=True, help="smtp-sink's pid")
    p.add_argument("--postfix-pgid", type=int, required=True,
                   help="the Postfix master's process group")
    p.add_argument("--message", required=True, help="the unsigned message")
    p.add_argument("--domain", required=True, help="d= of every signature")
    p.add_argument("--rsa", required=True, help="SELECTOR:PKCS#1 PEM file")
    p.add_argument("--ed", required=True, help="SELECTOR:base64 seed file")
    p.add_argument("--sign-headers", required=True,
                   help="comma-separated header names to sign")
    p.add_argument("--authserv", action="append", default=[],
                   help="IMPL=AUTHSERV-ID of a verifier's A-R")
    p.add_argument("--configs", required=True, help="run.sh's configs file")
    p.add_argument("--msgs", type=int, required=True)
    p.add_argument("--sessions", type=int, required=True)
    return p.parse_args()


class Config:
    """one smtpd listener with its milter (a line of the configs file)"""

    def __init__(self, line):
        (self.name, port, pgid, self.kind, self.alg, self.impl,
         self.transport) = line.split()
        self.port = int(port)
        self.pgid = None if pgid == "-" else int(pgid)
        self.message = None  # the file smtp-source sends
        self.rates = []
        self.cpu = []  # milter CPU ms per message, per run
        self.postfix = []  # Postfix's CPU ms per message, per run
        self.queries = 0  # DNS queries during the timed runs
        self.signed_headers = None  # h= of the check message (signers)


def read_configs(path):
    with open(path) as f:
        return [Config(line) for line in f if line.strip()]


# --- messages ---------------------------------------------------------------


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def sign_messages(args):
    """the bench message signed once per key, as smtp-source files (LF:
    smtp-source appends CRLF to every line); {alg: path}"""
    with open(args.message, "rb") as f:
        msg = crlf(f.read())
    # The header names of portcullis's default list that the message
    # has, and From once more (oversigned), as both milters sign.
    names = [n.strip().encode() for n in args.sign_headers.split(",") if n.strip()]
    present = {m.group(1).lower() for m in
               re.finditer(rb"^([!-9;-~]+):", msg.split(b"\r\n\r\n", 1)[0], re.M)}
    include = [n for n in names if n.lower() in present] + [b"from"]
    out = {}
    for alg, spec in (("rsa", args.rsa), ("ed", args.ed)):
        selector, keyfile = spec.split(":", 1)
        with open(keyfile, "rb") as f:
            key = f.read().strip()
        sig = dkim.sign(msg, selector.encode(), args.domain.encode(), key,
                        canonicalize=(b"relaxed", b"relaxed"),
                        include_headers=include,
                        signature_algorithm=ALGS[alg][1].encode())
        path = os.path.join(args.work, "signed.%s.eml" % alg)
        with open(path, "wb") as f:
            f.write((sig + msg).replace(b"\r\n", b"\n"))
        out[alg] = path
    return out


# --- the fake DNS server ---------------------------------------------------------


class FakeDNS(benchlib.FakeDNS):
    """benchlib's server, which python3-dkim can ask for keys"""

    def txt(self, name, timeout=5):
        """python3-dkim's dnsfunc: the TXT record of name, from this server"""
        r = dns.resolver.Resolver(configure=False)
        r.nameservers = [self.addr]
        r.port = self.port
        r.lifetime = timeout
        if isinstance(name, bytes):
            name = name.decode()
        try:
            ans = r.resolve(name, "TXT")
        except dns.exception.DNSException:
            return b""
        return b"".join(ans[0].strings)


# --- the sink ----------------------------------------------------------------





def sink_message(path):
    """the message of a sink file, CRLF, without smtp-sink's envelope lines
    (its own Received: stays: it is not signed)"""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    while lines and SINK_ENVELOPE.match(lines[0]):
        lines.pop(0)
    return b"\r\n".join(lines)


def headers(msg):
    """[(name, unfolded value)] of the header block"""
    block = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    out = []
    for line in block.split("\r\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1][1] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            out.append([name, value.strip()])
    return out


def tags(value):
    return {k.strip(): v.strip() for k, _, v in
            (t.partition("=") for t in value.split(";")) if k.strip()}


# --- runs --------------------------------------------------------------------


def pgroup_stats(pgid):
    """(pid, the fields of /proc/PID/stat after the command) of every
    process in process group pgid; the fields start: state ppid pgrp"""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            yield pid, fields


def cpu_ticks(pgid):
    """utime + stime of every process in process group pgid, and of the
    children they reaped (cutime + cstime): Postfix's master reaps its
    short-lived smtpd, cleanup and smtp processes, so their time stays
    counted once they are gone"""
    # utime(14) stime(15) cutime(16) cstime(17) of stat, counted from 1
    return sum(int(x) for _, fields in pgroup_stats(pgid)
               for x in fields[11:15])


def rss_kb(pgid):
    """resident memory of the processes in process group pgid, in KiB"""
    total = 0
    for pid, _ in pgroup_stats(pgid):
        try:
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def send(cfg, n, sessions, sink, sink_pid):
    """smtp-source sends n messages to cfg's listener; seconds until the
    sink holds n complete ones"""
    cmd = ["smtp-source", "-s", str(sessions), "-m", str(n),
           "-F", cfg.message, "-f", SENDER, "-t", RECIPIENT, "-M", HELO,
           "127.0.0.1:%d" % cfg.port]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    last, last_t = 0, t0
    try:
        while True:
            got = sink_count(sink)
            now = time.monotonic()
            if got >= n and not sink_busy(sink, sink_pid):
                break
            if got > last:
                last, last_t = got, now
            rc = proc.poll()
            if rc not in (None, 0):
                out = proc.stdout.read().decode(errors="replace").strip()
                raise RigError("%s: smtp-source failed (status %d): %s"
                               % (cfg.name, rc, out[-300:]))
            if now - last_t > STALL_S:
                raise RigError("%s: %d of %d messages reached the sink, "
                               "nothing for %ds" % (cfg.name, got, n, STALL_S))
            time.sleep(0.002 if got >= n else 0.01)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RigError("%s: smtp-source failed (status %d)"
                       % (cfg.name, proc.returncode))
    return now - t0


def run(cfg, n, args, fk):
    sink = args.sink
    sink_clear(sink)
    q0 = fk.count()
    c0 = cpu_ticks(cfg.pgid) if cfg.pgid else 0
    p0 = cpu_ticks(args.postfix_pgid)
    secs = send(cfg, n, args.sessions, sink, args.sink_pid)
    p1 = cpu_ticks(args.postfix_pgid)
    c1 = cpu_ticks(cfg.pgid) if cfg.pgid else 0
    cfg.queries += fk.count() - q0
    sink_clear(sink)
    ms = 1000.0 / CLK_TCK / n
    return n / secs, (c1 - c0) * ms, (p1 - p0) * ms


# --- checks ------------------------------------------------------------------


def check(cfg, args, fk, authserv):
    """one message through cfg; what reached the sink must be signed (and
    verify) or carry dkim=pass; a line for the report"""
    sink_clear(args.sink)
    send(cfg, 1, 1, args.sink, args.sink_pid)
    files = sorted(os.listdir(args.sink))
    if len(files) != 1:
        raise RigError("%s: %d files in the sink, want 1" % (cfg.name, len(files)))
    msg = sink_message(os.path.join(args.sink, files[0]))
    sink_clear(args.sink)
    hdrs = headers(msg)
    sigs = [v for n, v in hdrs if n.lower() == "dkim-signature"]
    if cfg.kind == "base":
        return "baseline: delivered, %d bytes" % len(msg)
    if cfg.kind == "sign":
        if len(sigs) != 1:
            raise RigError("%s: %d DKIM-Signature fields, want 1" % (cfg.name, len(sigs)))
        t = tags(sigs[0])
        want = {"a": ALGS[cfg.alg][1], "d": args.domain, "c": "relaxed/relaxed"}
        for k, v in want.items():
            if t.get(k) != v:
                raise RigError("%s: %s=%s, want %s" % (cfg.name, k, t.get(k), v))
        if not dkim.verify(msg, dnsfunc=fk.txt):
            raise RigError("%s: python3-dkim does not verify its signature" % cfg.name)
        cfg.signed_headers = t.get("h", "").replace(" ", "").lower()
        return "%s: python3-dkim: pass; a=%s s=%s h=%s" % (
            cfg.name, t["a"], t.get("s"), cfg.signed_headers)
    # verify: the verifier's own Authentication-Results says pass
    ours = [v for n, v in hdrs if n.lower() == "authentication-results"
            and v.split(";", 1)[0].strip() == authserv[cfg.impl]]
    if len(ours) != 1:
        raise RigError("%s: %d Authentication-Results from %s, want 1"
                       % (cfg.name, len(ours), authserv[cfg.impl]))
    if not re.search(r";\s*dkim=pass\b", ours[0]) or \
            "header.d=%s" % args.domain not in ours[0]:
        raise RigError("%s: no dkim=pass: Authentication-Results: %s" % (cfg.name, ours[0]))
    ar = re.sub(r"header\.b=\S+", "header.b=...", ours[0])
    return "%s: Authentication-Results: %s" % (cfg.name, ar)


# --- the tables ----------------------------------------------------------------


def ratio(a, b):
    return "%.2f" % (a / b) if b else "-"


def tables(configs, args, base):
    b = median(base.rates)
    out = []
    out.append("DKIM benchmark: %d messages of %d bytes per run, %d parallel "
               "SMTP sessions (smtp-source), median of %d runs"
               % (args.msgs, os.path.getsize(args.message), args.sessions, args.k))
    out.append("msgs/s: until the sink holds every message; CPU/msg: user + "
               "system time of the milter's processes, and of Postfix's")
    row_fmt = "  %-18s %7s %11s %10s %12s %12s"
    transports = sorted({c.transport for c in configs if c.kind != "base"},
                        key=lambda t: t != "unix")
    for tr in transports:
        for alg in ("rsa", "ed"):
            title, a = ALGS[alg]
            out.append("")
            out.append("%s (%s, relaxed/relaxed), milters over %s"
                       % (title, a, "a unix socket" if tr == "unix" else "inet: (TCP)"))
            out.append(row_fmt % ("", "msgs/s", "(min-max)", "x baseline",
                                  "milter CPU", "Postfix CPU"))
            out.append(row_fmt % (
                "baseline", "%.0f" % b,
                "(%.0f-%.0f)" % (min(base.rates), max(base.rates)), "1.00",
                "-", "%.2f ms" % median(base.postfix)))
            row = {}
            for kind in ("sign", "verify"):
                for impl in ("pcl", "odk"):
                    c = next((c for c in configs if c.kind == kind and c.alg == alg
                              and c.impl == impl and c.transport == tr), None)
                    if c is None:
                        continue
                    row[kind, impl] = c
                    r = median(c.rates)
                    out.append(row_fmt % (
                        "%s %s" % (IMPLS[impl], kind), "%.0f" % r,
                        "(%.0f-%.0f)" % (min(c.rates), max(c.rates)),
                        ratio(r, b), "%.2f ms" % median(c.cpu),
                        "%.2f ms" % median(c.postfix)))
            for kind in ("sign", "verify"):
                p, o = row.get((kind, "pcl")), row.get((kind, "odk"))
                if p and o:
                    out.append("  portcullis/OpenDKIM %-7s msgs/s %s, milter CPU %s, "
                               "Postfix CPU %s"
                               % (kind + ":", ratio(median(p.rates), median(o.rates)),
                                  ratio(median(p.cpu), median(o.cpu)),
                                  ratio(median(p.postfix), median(o.postfix))))
    q = ["%s %s %s %d" % (IMPLS[c.impl], ALGS[c.alg][0], c.transport, c.queries)
         for c in configs if c.kind == "verify"]
    out.append("")
    out.append("DNS queries during the timed verify runs (both verifiers cache "
               "keys): " + ", ".join(q))
    return "\n".join(out)


def memory(configs, rss0, args):
    """one line per milter daemon: resident memory growth over the
    timed runs"""
    daemons = {}
    for c in configs:
        if c.pgid is None:
            continue
        label = "%s %s" % (IMPLS[c.impl], c.kind)
        if c.kind == "sign":
            label += " " + ALGS[c.alg][0]
        d = daemons.setdefault(c.pgid, [label, c.transport, 0])
        d[2] += len(c.rates) * args.msgs
    out = ["Resident memory of each milter over the timed runs (KiB, "
           "start -> end, messages):"]
    for pgid, (label, tr, n) in daemons.items():
        now = rss_kb(pgid)
        out.append("  %-28s %-5s %7d -> %7d  (%+d, %d messages)"
                   % (label, tr, rss0[pgid], now, now - rss0[pgid], n))
    return "\n".join(out)


def main():
    args = parse_args()
    configs = read_configs(args.configs)
    authserv = dict(a.split("=", 1) for a in args.authserv)
    signed = sign_messages(args)
    for c in configs:
        c.message = signed[c.alg] if c.kind == "verify" else args.message
    base = next(c for c in configs if c.kind == "base")
    fk = FakeDNS(args.fakedns, args.dns, args.zone, args.pidfile)
    t_start = time.monotonic()
    try:
        print("Checks (one message through each configuration):")
        for c in configs:
            print("  " + check(c, args, fk, authserv))
        for c in configs:
            o = next((o for o in configs if o.impl == "odk" and o.kind == "sign"
                      and o.alg == c.alg and o.transport == c.transport), None)
            if c.impl == "pcl" and c.kind == "sign" and o is not None:
                print("  %s and %s sign %s header lists"
                      % (c.name, o.name, "the same" if c.signed_headers ==
                         o.signed_headers else "DIFFERENT"))
        sys.stdout.flush()
        # Warm-up: every smtpd listener gets its processes, every milter
        # its threads and (verifiers) the key in its cache.
        warm = max(args.sessions, args.msgs // 10)
        for c in configs:
            log("warm-up %s" % c.name)
            run(c, warm, args, fk)
        for c in configs:
            c.rates, c.cpu, c.postfix, c.queries = [], [], [], 0
        rss0 = {c.pgid: rss_kb(c.pgid) for c in configs if c.pgid}
        for k in range(args.k):
            order = configs[:]
            random.shuffle(order)
            for c in order:
                rate, cpu, pfx = run(c, args.msgs, args, fk)
                c.rates.append(rate)
                c.cpu.append(cpu)
                c.postfix.append(pfx)
                log("round %d %s: %.0f msgs/s, CPU/msg %.2f ms milter, %.2f ms Postfix"
                    % (k + 1, c.name, rate, cpu, pfx))
    except RigError as e:
        sys.stderr.write("measure: %s\n" % e)
        return 1
    finally:
        fk.stop()
    print()
    print(tables(configs, args, base))
    print()
    print(memory(configs, rss0, args))
    print()
    print("measured in %.0f s" % (time.monotonic() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
