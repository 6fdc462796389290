#!/usr/bin/python3
"""measure.py - the measuring half of bench/chain/run.sh

Signs the bench message in advance with the "ext" key (python3-dkim),
starts the fake DNS server, checks that rspamd's configuration names no
host, sends one message through every chain and checks what reached the
sink, warms every chain up, then runs K rounds: in every round each
chain once, in the order none, portcullis, rspamd, opendkim. Each run
checks every delivered message (each milter's signatures and its
Authentication-Results on all of them). Then the table. run.sh passes
everything on the command line; see README.md.

One run: Postfix is reloaded and its smtpd processes of the previous
run are let go, the fake DNS server is started anew (not timed); the
sink is emptied; the CPU times of the
milter's process tree, Postfix's, the load tools' and the whole
machine's are read; the client (threads of this process) sends N
messages over S concurrent sessions, one per session, each claiming the
client address in a PROXY protocol header; the clock stops when the
sink holds N complete messages.

Run with Debian's /usr/bin/python3 (python3-dkim, python3-nacl,
python3-dnspython). Exit status 0 when the measurements ran, 1 when the
rig failed or a milter did not do its work.
"""

import ipaddress
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time

import dkim
import dns.resolver

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import benchlib  # noqa: E402
from benchlib import (CLK_TCK, VERBOSE, machine_fields,  # noqa: E402
                      machine_ticks, median,
                      sink_busy, sink_clear, sink_count, tree_pids,
                      tree_ticks)

STALL_S = 30.0  # a run that delivers nothing for this long is broken
RECIPIENT = "team@example.net"
HELO = "client.example.net"
SINK_ENVELOPE = re.compile(rb"^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):")
LABELS = {"none": "no milter", "portcullis": "portcullis", "rspamd": "rspamd 3.4",
          "opendkim": "OpenDKIM x3"}
# what each chain must have done to every message
DOES_SPF = {"portcullis", "rspamd"}
URL = re.compile(r"\b(https?|ftp)://", re.I)


class RigError(Exception):
    """the rig failed, or a milter did not do its work: exit 1"""


def log(msg):
    if VERBOSE:
        sys.stderr.write("measure: %s\n" % msg)
        sys.stderr.flush()


def parse_args():
    p = benchlib.arg_parser("zone file")
    p.add_argument("--work", required=True)
    p.add_argument("--sink", required=True)
    p.add_argument("--sink-pid", type=int, required=True)
    p.add_argument("--postfix-conf", required=True)
    p.add_argument("--postfix-pid", type=int, required=True)
    p.add_argument("--message", required=True)
    p.add_argument("--domain", required=True)
    p.add_argument("--sender", required=True)
    p.add_argument("--client", required=True, help="address claimed in the PROXY header")
    p.add_argument("--clients", choices=("one", "many"), required=True)
    p.add_argument("--clients-many", required=True, help="IPv4 network for --clients many")
    p.add_argument("--ext", required=True, help="SELECTOR:PKCS1-KEY that signs in advance")
    p.add_argument("--selectors", required=True, help="RSA,ED selectors of the signers")
    p.add_argument("--authserv", action="append", default=[], help="CHAIN=ID")
    p.add_argument("--lists", required=True, help="the three list zones")
    p.add_argument("--rspamd-configdump", required=True)
    p.add_argument("--rspamd-log", required=True)
    p.add_argument("--chains", required=True)
    p.add_argument("--msgs", type=int, required=True)
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--warmup", type=int, required=True)
    p.add_argument("--transport", required=True)
    return p.parse_args()


class Chain:
    def __init__(self, line):
        name, port, pgids = line.split()
        self.name = name
        self.port = int(port)
        self.roots = [] if pgids == "-" else [int(x) for x in pgids.split(",")]
        self.authserv = None
        self.runs = []


# --- messages ---------------------------------------------------------------


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def sign_message(args):
    """the bench message signed with the ext key (RSA-2048,
    relaxed/relaxed, the header fields it has), LF line ends"""
    with open(args.message, "rb") as f:
        msg = crlf(f.read())
    present = [m.group(1).lower() for m in
               re.finditer(rb"^([!-9;-~]+):", msg.split(b"\r\n\r\n", 1)[0], re.M)]
    selector, keyfile = args.ext.split(":", 1)
    with open(keyfile, "rb") as f:
        key = f.read()
    sig = dkim.sign(msg, selector.encode(), args.domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=present + [b"from"])
    path = os.path.join(args.work, "signed.eml")
    with open(path, "wb") as f:
        f.write((sig + msg).replace(b"\r\n", b"\n"))
    return path


class FakeDNS(benchlib.FakeDNS):
    """benchlib's server, which python3-dkim can ask for keys, counting
    the queries under each zone of counted"""

    def __init__(self, args, counted):
        self.argv = (args.fakedns, args.dns, args.zone, args.pidfile)
        self.counted = counted
        self.start()

    def start(self):
        benchlib.FakeDNS.__init__(self, *self.argv)
        # the server counts the queries under a zone once it has a knob
        # "*.ZONE": a delay of 0, which changes nothing else
        for n in self.counted:
            self.delay(n, 0)

    def restart(self):
        """a new server: fakedns keeps a counter per name asked and looks
        names up in a list, which a new client every session would
        lengthen by thousands a run"""
        self.stop()
        self.start()

    def txt(self, name, timeout=5):
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


# --- what reached the sink ---------------------------------------------------------


def sink_message(path):
    """the message of a sink file, CRLF, without smtp-sink's envelope lines"""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    while lines and SINK_ENVELOPE.match(lines[0]):
        lines.pop(0)
    return b"\r\n".join(lines)


def sink_headers(path):
    """[(lower-case name, unfolded value)] of a sink file's header"""
    with open(path, "rb") as f:
        block = f.read().split(b"\n\n", 1)[0].decode("utf-8", "replace")
    out = []
    for line in block.split("\n"):
        line = line.rstrip("\r")
        if line[:1] in (" ", "\t") and out:
            out[-1][1] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            out.append([name.lower(), value.strip()])
    return out


def tags(value):
    return {k.strip(): re.sub(r"\s+", "", v) for k, _, v in
            (t.partition("=") for t in value.split(";")) if k.strip()}


def judge(chain, hdrs, args):
    """what is missing from one delivered message of chain: [] when the
    chain did all its work (its two signatures, its A-R with dkim=pass
    for the ext signature, spf=pass where it checks SPF)"""
    if chain.name == "none":
        return []
    missing = []
    rsa_sel, ed_sel = args.selectors.split(",")
    ext_sel = args.ext.split(":", 1)[0]
    sigs = [tags(v) for n, v in hdrs if n == "dkim-signature"]
    for sel, alg in ((rsa_sel, "rsa-sha256"), (ed_sel, "ed25519-sha256")):
        if not any(t.get("s") == sel and t.get("a") == alg and t.get("d") == args.domain
                   for t in sigs):
            missing.append("%s signature" % alg)
    if not any(t.get("s") == ext_sel for t in sigs):
        missing.append("the ext signature")
    ars = [v for n, v in hdrs if n == "authentication-results"
           and v.split(";", 1)[0].strip() == chain.authserv]
    if len(ars) != 1:
        missing.append("one Authentication-Results from %s (%d)" % (chain.authserv, len(ars)))
        return missing
    # resinfo parts, without comments ("(2048-bit key; unprotected)")
    parts = [p.strip() for p in
             re.sub(r"\([^()]*\)", "", re.sub(r"\s+", " ", ars[0])).split(";")[1:]]
    if not any(p.startswith("dkim=pass") and "header.d=%s" % args.domain in p
               and "header.s=%s" % ext_sel in p for p in parts):
        missing.append("dkim=pass for the ext signature in A-R")
    ar = "; ".join(parts)
    if chain.name in DOES_SPF and not re.search(r"\bspf=pass\b", ar):
        missing.append("spf=pass in A-R")
    return missing


def judge_sink(chain, args):
    """every message in the sink judged; RigError unless all are complete"""
    files = os.listdir(args.sink)
    bad = {}
    for name in files:
        for what in judge(chain, sink_headers(os.path.join(args.sink, name)), args):
            bad[what] = bad.get(what, 0) + 1
    if bad:
        raise RigError("%s: of %d delivered messages, lacking: %s" % (
            chain.name, len(files),
            ", ".join("%s (%d)" % kv for kv in sorted(bad.items()))))
    return len(files)


# --- runs -------------------------------------------------------------------------


def postfix_reload(args):
    """reload Postfix and wait until the smtpd, cleanup and smtp
    processes of the previous run have left (not timed)"""
    subprocess.run(["postfix", "-c", args.postfix_conf, "reload"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not any(tree_pids([args.postfix_pid], c) for c in ("smtpd", "cleanup", "smtp")):
            return
        time.sleep(0.1)
    log("postfix reload: processes of the last run still there after 15 s")


class Clients:
    """the client addresses the sessions claim: always args.client, or
    (--clients many) the next one of args.clients_many, never the same
    twice in a run, so that no DNS list answer is ever cached"""

    def __init__(self, args):
        self.one = None if args.clients == "many" else args.client.encode()
        net = ipaddress.IPv4Network(args.clients_many)
        self.hosts = net.hosts()
        self.lock = threading.Lock()

    def take(self):
        if self.one is not None:
            return self.one
        with self.lock:
            try:
                return str(next(self.hosts)).encode()
            except StopIteration:
                raise OSError("out of client addresses") from None


class Client:
    """the load: sessions threads, each sending one message per SMTP
    session until n sessions are done. Every session starts with a PROXY
    protocol (v1) header claiming the client address, so that Postfix and
    the milters see that client from the start, then EHLO, MAIL, RCPT
    and DATA pipelined (Postfix offers PIPELINING), the message, QUIT."""

    def __init__(self, port, n, sessions, args, message):
        with open(message, "rb") as f:
            data = crlf(f.read())
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        # dot-stuffing
        data = re.sub(rb"(?m)^\.", b"..", data)
        self.port, self.n = port, n
        self.head = b"EHLO %s\r\n" % HELO.encode()
        self.envelope = b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (
            args.sender.encode(), RECIPIENT.encode())
        self.data = data + b".\r\n"
        self.clients = args.clients_alloc
        self.lock = threading.Lock()
        self.next = 0
        self.done = 0
        self.error = None
        self.threads = [threading.Thread(target=self.worker, daemon=True)
                        for _ in range(min(sessions, n))]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self, timeout):
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)

    def ticket(self):
        with self.lock:
            if self.error is not None or self.next >= self.n:
                return None
            self.next += 1
            return self.next

    def worker(self):
        try:
            while True:
                i = self.ticket()
                if i is None:
                    return
                self.session(i)
                with self.lock:
                    self.done += 1
        except Exception as e:  # noqa: BLE001 - any failure ends the run
            with self.lock:
                if self.error is None:
                    self.error = "%s: %s" % (type(e).__name__, e)

    @staticmethod
    def reply(f, want, what):
        """read one SMTP reply (all its lines); its code must start with want"""
        while True:
            line = f.readline()
            if not line:
                raise OSError("connection closed, waiting for the reply to %s" % what)
            if line[3:4] != b"-":
                break
        if not line.startswith(want):
            raise OSError("%s: %s" % (what, line.decode(errors="replace").strip()))

    def session(self, i):
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sport = 1024 + i % 64000
            s.sendall(b"PROXY TCP4 %s 127.0.0.1 %d %d\r\n"
                      % (self.clients.take(), sport, self.port))
            f = s.makefile("rb")
            self.reply(f, b"220", "the greeting")
            s.sendall(self.head)
            self.reply(f, b"250", "EHLO")
            s.sendall(self.envelope)
            self.reply(f, b"250", "MAIL")
            self.reply(f, b"250", "RCPT")
            self.reply(f, b"354", "DATA")
            s.sendall(self.data)
            self.reply(f, b"250", "end of data")
            s.sendall(b"QUIT\r\n")
            self.reply(f, b"221", "QUIT")


def send(chain, n, sessions, args, message):
    """the client sends n messages to chain's listener; seconds until
    the sink holds n complete ones"""
    client = Client(chain.port, n, sessions, args, message)
    t0 = time.monotonic()
    client.start()
    last, last_t = 0, t0
    try:
        while True:
            got = sink_count(args.sink)
            now = time.monotonic()
            if got >= n and not sink_busy(args.sink, args.sink_pid):
                break
            if got > last:
                last, last_t = got, now
            if client.error is not None:
                raise RigError("%s: after %d sessions: %s" % (chain.name, client.done, client.error))
            if now - last_t > STALL_S:
                raise RigError("%s: %d of %d messages reached the sink, nothing for %ds"
                               % (chain.name, got, n, STALL_S))
            time.sleep(0.002 if got >= n else 0.01)
    finally:
        with client.lock:
            if client.error is None and client.next < n:
                client.error = "stopped"
        client.join(30)
    if client.error is not None or client.done != n:
        raise RigError("%s: %d of %d sessions done: %s" % (chain.name, client.done, n, client.error))
    return now - t0


def own_ticks():
    """CPU ticks of this process (the load's client threads) and its
    reaped children"""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime) * CLK_TCK


def snapshot(chain, args, fk, list_names):
    return {
        "milter": tree_ticks(chain.roots),
        "postfix": tree_ticks([args.postfix_pid]),
        "tools": tree_ticks([args.sink_pid, fk.proc.pid]) + own_ticks(),
        "machine": machine_ticks(),
        "fields": machine_fields(),
        "dns": fk.count(),
        "lists": [fk.count(n) for n in list_names],
    }


def run(chain, n, args, fk, message, list_names, judge_all=True):
    """one timed run; a dict of its figures"""
    postfix_reload(args)
    fk.restart()
    sink_clear(args.sink)
    b = snapshot(chain, args, fk, list_names)
    secs = send(chain, n, args.sessions, args, message)
    a = snapshot(chain, args, fk, list_names)
    got = judge_sink(chain, args) if judge_all else sink_count(args.sink)
    sink_clear(args.sink)
    ms = 1000.0 / CLK_TCK / n
    r = {k: (a[k] - b[k]) * ms for k in ("milter", "postfix", "tools", "machine")}
    r["rest"] = r["machine"] - r["milter"] - r["postfix"] - r["tools"]
    # the rest as cores busy with something else during the run
    r["other"] = r["rest"] * n / 1000.0 / secs
    r["fields"] = {k: (a["fields"][k] - b["fields"][k]) * ms for k in a["fields"]}
    r["rate"] = n / secs
    r["secs"] = secs
    r["got"] = got
    r["dns"] = (a["dns"] - b["dns"]) / n
    r["lists"] = [(x - y) / n for x, y in zip(a["lists"], b["lists"])]
    return r


# --- checks ----------------------------------------------------------------------


def check_rspamd_config(args):
    """rspamd's dumped configuration names no host to reach (map URLs,
    update checks, fuzzy servers), its DNS server is ours, and the
    modules it enabled are the five of the work"""
    with open(args.rspamd_configdump) as f:
        dump = f.read()
    urls = [line.strip() for line in dump.splitlines() if URL.search(line)]
    if urls:
        raise RigError("rspamd's configuration names URLs: %s" % "; ".join(urls[:5]))
    if re.search(r"\bfuzzy", dump):
        raise RigError("rspamd's configuration has a fuzzy section")
    ns = re.findall(r'nameserver\s*[=\[]\s*\[?\s*"([^"]+)"', dump)
    if ns != [args.dns]:
        raise RigError("rspamd's nameservers are %s, want [%s]" % (ns, args.dns))
    with open(args.rspamd_log, errors="replace") as f:
        text = f.read()
    enabled = sorted(set(re.findall(r"init lua module (\S+)", text)) -
                     set(re.findall(r"disable(?:d|ing) (?:unconfigured )?lua module (\S+)", text)))
    return enabled


def check(chain, args, fk, message, list_names):
    """one message through chain: what reached the sink must carry every
    signature (verified with python3-dkim) and the A-R; a report line"""
    sink_clear(args.sink)
    q0 = [fk.count(n) for n in list_names]
    send(chain, 1, 1, args, message)
    files = sorted(os.listdir(args.sink))
    if len(files) != 1:
        raise RigError("%s: %d files in the sink, want 1" % (chain.name, len(files)))
    path = os.path.join(args.sink, files[0])
    hdrs = sink_headers(path)
    msg = sink_message(path)
    sink_clear(args.sink)
    asked = [fk.count(n) - q for n, q in zip(list_names, q0)]
    if chain.name == "none":
        return "no milter: delivered, %d bytes" % len(msg)
    ars = [v for n, v in hdrs if n == "authentication-results"]
    if chain.authserv is None:
        # rspamd's authserv-id is the MTA's name ({j}): the one A-R there is
        if len(ars) != 1:
            raise RigError("%s: %d Authentication-Results, want 1" % (chain.name, len(ars)))
        chain.authserv = ars[0].split(";", 1)[0].strip()
    missing = judge(chain, hdrs, args)
    if missing:
        raise RigError("%s: the check message lacks %s; its header:\n%s" % (
            chain.name, ", ".join(missing),
            "\n".join("  %s: %s" % (n, v) for n, v in hdrs)))
    d = dkim.DKIM(msg)
    nsig = sum(1 for n, _ in hdrs if n == "dkim-signature")
    hs = []
    for i in range(nsig):
        if not d.verify(idx=i, dnsfunc=fk.txt):
            raise RigError("%s: python3-dkim does not verify DKIM-Signature %d" % (chain.name, i))
    for n, v in hdrs:
        if n == "dkim-signature":
            t = tags(v)
            if t.get("s") != args.ext.split(":", 1)[0]:
                hs.append("%s h=%s" % (t.get("a"), t.get("h", "").lower()))
    if chain.name in DOES_SPF and min(asked) < 1:
        raise RigError("%s: the lists were not all asked for the check message: %s"
                       % (chain.name, dict(zip(list_names, asked))))
    ar = re.sub(r"header\.b=[^\s;]+", "header.b=...", re.sub(r"\s+", " ", [
        v for n, v in hdrs if n == "authentication-results"
        and v.split(";", 1)[0].strip() == chain.authserv][0]))
    return "%s: %d signatures pass (python3-dkim); lists asked %s; A-R: %s\n    %s" % (
        chain.name, nsig, "/".join(str(x) for x in asked), ar, "\n    ".join(hs))


# --- the table ---------------------------------------------------------------------


def table(chains, args, k):
    rows = []
    fmt = "%-5s %-12s %7s %8s %8s %8s %6s %6s %6s"
    rows.append(fmt % ("round", "chain", "msgs/s", "milter", "Postfix", "load", "other",
                       "DNS q", "lists"))
    rows.append(fmt % ("", "", "", "CPU/msg", "CPU/msg", "CPU/msg", "cores", "/msg",
                       "q/msg"))
    for i in range(k):
        for c in chains:
            r = c.runs[i]
            rows.append(fmt % (
                i + 1, LABELS[c.name], "%.0f" % r["rate"],
                "-" if not c.roots else "%.2fms" % r["milter"],
                "%.2fms" % r["postfix"], "%.2fms" % r["tools"], "%.2f" % r["other"],
                "%.2f" % r["dns"], "%.2f" % sum(r["lists"])))
    rows.append("")
    by = {c.name: c for c in chains}
    p, s = by.get("portcullis"), by.get("rspamd")
    if p and s:
        cpu = [p.runs[i]["milter"] / s.runs[i]["milter"] for i in range(k)]
        rate = [p.runs[i]["rate"] / s.runs[i]["rate"] for i in range(k)]
        rows.append("portcullis/rspamd   " + "  ".join(
            "round %d: CPU/msg %.2f, msgs/s %.2f" % (i + 1, cpu[i], rate[i])
            for i in range(k)))
        rows.append("portcullis/rspamd   median: CPU/msg %.2f, msgs/s %.2f"
                    % (median(cpu), median(rate)))
    rows.append("medians: " + ", ".join(
        "%s %.0f msgs/s%s" % (LABELS[c.name], median([r["rate"] for r in c.runs]),
                              "" if not c.roots else " %.2f ms CPU/msg"
                              % median([r["milter"] for r in c.runs]))
        for c in chains))
    return "\n".join(rows)


def main():
    args = parse_args()
    with open(args.chains) as f:
        chains = [Chain(line) for line in f if line.strip()]
    for a in args.authserv:
        name, ident = a.split("=", 1)
        for c in chains:
            if c.name == name:
                c.authserv = ident
    args.clients_alloc = Clients(args)
    # every query under each list zone (rspamd's own probes of its lists,
    # a few a minute, are in the counts too)
    list_names = ["*.%s" % z for z in args.lists.split(",")]
    message = sign_message(args)
    fk = FakeDNS(args, list_names)
    t_start = time.monotonic()
    try:
        modules = check_rspamd_config(args)
        print("rspamd: no URL and no fuzzy in its configuration; DNS only %s; "
              "Lua modules enabled: %s" % (args.dns, ", ".join(modules) or "?"))
        print("Checks (one message through each chain):")
        for c in chains:
            print("  " + check(c, args, fk, message, list_names))
        sys.stdout.flush()
        if args.warmup:
            for c in chains:
                log("warm-up %s" % c.name)
                run(c, max(args.warmup, args.sessions), args, fk, message, list_names)
        for k in range(args.k):
            for c in chains:
                r = run(c, args.msgs, args, fk, message, list_names)
                c.runs.append(r)
                log("round %d %s: %.0f msgs/s, CPU/msg %.2f ms milter, %.2f ms Postfix, "
                    "%.2f ms load, other %.2f cores; DNS %.2f q/msg, lists %s"
                    % (k + 1, c.name, r["rate"], r["milter"], r["postfix"], r["tools"],
                       r["other"],
                       r["dns"], " ".join("%.2f" % x for x in r["lists"])))
                log("  machine ms/msg: %s" % " ".join(
                    "%s %.2f" % kv for kv in r["fields"].items()))
                if c.name == "rspamd" and min(r["lists"]) < 0.9:
                    raise RigError("rspamd asked the lists less than once a message: %s"
                                   % " ".join("%.2f" % x for x in r["lists"]))
    except RigError as e:
        sys.stderr.write("measure: %s\n" % e)
        return 1
    finally:
        fk.stop()
    print()
    print("Whole chain: %d messages of %d bytes per run, %d sessions, %s, "
          "milters over %s; every delivered message checked"
          % (args.msgs, os.path.getsize(message), args.sessions,
             "one client" if args.clients == "one" else "a new client every session",
             args.transport))
    print(table(chains, args, args.k))
    print("measured in %.0f s" % (time.monotonic() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
