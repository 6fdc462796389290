#!/usr/bin/env python3
"""faults.py - the measuring half of bench/faults/run.sh

Fault runs ("accept", then "tempfail"): smtp-source sends N messages, in
S sessions, to hop A, which queues them and hands them to hop B, where
portcullis asks three lists: ok (answers), to (never answers), err
(answers 127.255.255.254). Every message has its own recipient,
NNNTAG@dest.example (smtp-source -N), which is the marker it is counted
by: in the sink (delivered, duplicates, lost), and in the maillog, where
hop A's smtp client logs each attempt to hand it to B (deferred, sent).
In the accept run the milter worker is killed with SIGKILL once, when
half of the messages have reached the sink; the supervisor starts a new
one. A tempfail run expects nothing delivered: every message deferred by
B and retried by A; its queue is deleted at the end.

Concurrent run ("sessions"): C SMTP sessions, each claiming its own
client address with XCLIENT (10.77.x.y: a cache miss for each), are held
open after EHLO until all C are (or 120 s passed), then all send their
message at once; the sessions daemon asks three lists whose answers
come D ms late. A sampler reads the worker's /proc/PID/status and
/proc/PID/fd every 20 ms.

Nothing here asserts timings; exit 0 when it measured, 1 when the rig
failed (smtp-source failing, the fake DNS server not starting).
"""

import asyncio
import collections
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import (VERBOSE, FakeDNS, arg_parser,  # noqa: E402
                      sink_clear, sink_count)

CLK_TCK = os.sysconf("SC_CLK_TCK")
MARKER_RE = re.compile(r"^X-Rcpt-Args: <(\d+)([a-z]+)@dest\.example>", re.M)
VERDICT_RE = re.compile(r": (accept|tag|quarantine|discard|tempfail|reject) "
                        r"stage=(\w+)(?: check=(\w+))?")


class RigError(Exception):
    pass


def parse_args():
    p = arg_parser("zone file")
    p.add_argument("--mode", required=True)
    p.add_argument("--msgs", type=int, required=True)
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--tempfail-msgs", type=int, required=True)
    p.add_argument("--concurrent", type=int, required=True)
    p.add_argument("--sessions-delay-ms", type=int, required=True)
    p.add_argument("--drain", type=int, required=True)
    p.add_argument("--sink", required=True)
    p.add_argument("--sink-pid", type=int, required=True)
    p.add_argument("--maillog", required=True)
    p.add_argument("--postfix-conf", required=True)
    p.add_argument("--queue", required=True)
    p.add_argument("--origin", required=True)
    p.add_argument("--faults", action="append", default=[],
                   help="NAME=PORT_A:PORT_B:SUPERVISOR_PID:LOGFILE")
    p.add_argument("--concurrent-service", required=True,
                   help="PORT:SUPERVISOR_PID:LOGFILE")
    return p.parse_args()


def log(msg):
    if VERBOSE:
        print("faults.py: " + msg, file=sys.stderr, flush=True)


# --- processes ----------------------------------------------------------


def worker_pid(sup):
    """the supervisor's live child (the worker), or None"""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[1]) == sup and fields[0] != "Z":
            return int(d)
    return None


def proc_cpu(pid):
    """utime + stime of pid in seconds (None when gone)"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    fields = st[st.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid):
    """VmRSS, VmHWM (kB) and Threads of pid, {} when gone"""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def proc_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def worker_figures(pid):
    st = proc_status(pid)
    return {"pid": pid, "cpu": proc_cpu(pid), "rss": st.get("VmRSS"),
            "hwm": st.get("VmHWM"), "threads": st.get("Threads"),
            "fds": proc_fds(pid)}


def fmt_worker(w):
    if not w or w.get("cpu") is None:
        return "gone"
    return ("pid %d: CPU %.2f s, RSS %.1f MiB (peak %.1f MiB), %s threads,"
            " %s fds" % (w["pid"], w["cpu"], w["rss"] / 1024.0,
                         w["hwm"] / 1024.0, w["threads"], w["fds"]))


# --- sink, queue, logs --------------------------------------------------


def sink_open(sink, pid):
    """the sink files smtp-sink still holds open"""
    fds = "/proc/%d/fd" % pid
    out = set()
    for fd in os.listdir(fds):
        try:
            out.add(os.readlink(os.path.join(fds, fd)))
        except OSError:
            pass
    return out


def sink_scan(sink, pid):
    """Counter of (tag, number) over the complete sink files"""
    busy = sink_open(sink, pid)
    got = collections.Counter()
    base = os.path.realpath(sink)
    for name in os.listdir(sink):
        path = os.path.join(base, name)
        if path in busy:
            continue
        try:
            with open(path, "rb") as f:
                head = f.read(4096).decode(errors="replace")
        except OSError:
            continue
        m = MARKER_RE.search(head.split("\n\n", 1)[0])
        if m:
            got[(m.group(2), int(m.group(1)))] += 1
    return got




def queue_count(queue):
    """messages in the instance's queues (both hops)"""
    n = 0
    for q in ("maildrop", "incoming", "active", "deferred", "hold"):
        for _, _, files in os.walk(os.path.join(queue, q)):
            n += len(files)
    return n


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def log_since(path, offset):
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def norm(text):
    """a log message with its numbers and ids blurred, for counting"""
    text = re.sub(r"\b[0-9A-F]{8,}\b", "ID", text)
    text = re.sub(r"\d+", "N", text)
    return text[:110]


def hop_attempts(maillog_text, tag, port_b):
    """per marker number: [deferrals, sent] of hop A's smtp client to B;
    and a Counter of the deferral reasons"""
    rx = re.compile(r"/smtp\[\d+\]: \w+: to=<(\d+)%s@dest\.example>, "
                    r"relay=[^,]*:%d, .* status=(\w+) \((.*)\)$"
                    % (re.escape(tag), port_b), re.M)
    per = collections.defaultdict(lambda: [0, 0])
    reasons = collections.Counter()
    for m in rx.finditer(maillog_text):
        n, status, why = int(m.group(1)), m.group(2), m.group(3)
        if status == "sent":
            per[n][1] += 1
        else:
            per[n][0] += 1
            said = re.search(r"said: (\d{3} [^(]*)", why)
            reasons[norm(said.group(1).strip() if said else why)] += 1
    return per, reasons


def default_action_sessions(text, port_b):
    """hop B's smtpd processes that answered with milter_default_action
    (451 4.7.1) after their milter connection failed: {pid: replies}"""
    del port_b  # one smtpd service per hop B; pids are unique in a run
    out = collections.Counter()
    for m in re.finditer(r"/(smtpd|cleanup)\[(\d+)\]: \w+: milter-reject: "
                         r"\S+ from [^:]*: (?:451 )?4\.7\.1 Service "
                         r"unavailable", text):
        out[m.group(1) + m.group(2)] += 1
    return out


def maillog_problems(text):
    return {
        "milter": collections.Counter(
            norm(m.group(1)) for m in
            re.finditer(r"warning: (milter .*)$", text, re.M)),
        "panic/fatal": [ln for ln in text.splitlines()
                        if re.search(r"\b(panic|fatal):", ln)],
        "emfile": len(re.findall(r"(?i)too many open files", text)),
        "proc_limit": len(re.findall(r"process limit", text)),
    }


def print_problems(p, indent="  "):
    print("%sPostfix milter errors (warning: milter ...): %d"
          % (indent, sum(p["milter"].values())))
    for what, n in p["milter"].most_common(6):
        print("%s  %5d  %s" % (indent, n, what))
    print("%sPostfix panics/fatals: %d" % (indent, len(p["panic/fatal"])))
    for ln in p["panic/fatal"][:5]:
        print("%s  %s" % (indent, ln))
    print("%s\"too many open files\": %d, smtpd process limit reached: %d"
          % (indent, p["emfile"], p["proc_limit"]))


def milter_log_figures(text, lists):
    out = {"verdicts": collections.Counter(), "errors": {},
           "down_skips": 0,
           "changes": re.findall(r"list=(\S+) (down|up)\b", text),
           "restarts": re.findall(r"worker \d+ ([^:\n]*): starting a new one",
                                  text),
           "worker_other": re.findall(r"worker \d+ ([^:\n]*): (?!starting)",
                                      text),
           "emfile": len(re.findall(r"(?i)too many open files|EMFILE", text)),
           "panic": len(re.findall(r"(?i)panic|fatal", text))}
    for m in VERDICT_RE.finditer(text):
        out["verdicts"]["%s at %s (%s)" % (m.group(1), m.group(2),
                                           m.group(3) or "-")] += 1
    for name in lists:
        errs = re.findall(r"dnsbl error list=%s .*error=\"([^\"]*)\""
                          % re.escape(name), text)
        out["errors"][name] = collections.Counter(norm(e) for e in errs)
        out["down_skips"] += sum(1 for e in errs
                                 if e.startswith("list down, not asked"))
    return out


def print_milter_log(f, indent="  "):
    print("%sportcullis dnsbl errors (error policy applied), per list:"
          % indent)
    for name, c in f["errors"].items():
        print("%s  %-18s %5d  %s" % (indent, name, sum(c.values()),
              "; ".join("%s x%d" % (k, v) for k, v in c.most_common(3))))
    print("%s  of them \"list down, not asked\": %d; list changes: %s"
          % (indent, f["down_skips"],
             " ".join("%s:%s" % c for c in f["changes"]) or "-"))
    print("%sportcullis verdict lines: %s" % (indent, ", ".join(
        "%s x%d" % kv for kv in sorted(f["verdicts"].items())) or "none"))
    print("%sworker restarts: %d (%s); other worker ends: %d; "
          "panic/fatal lines: %d; EMFILE lines: %d"
          % (indent, len(f["restarts"]), "; ".join(f["restarts"]) or "-",
             len(f["worker_other"]), f["panic"], f["emfile"]))


# --- the fault runs -----------------------------------------------------


def smtp_source(port, n, sessions, tag):
    cmd = ["smtp-source", "-N", "-s", str(sessions), "-m", str(n),
           "-l", "1024", "-f", "bench@sender.example",
           "-t", "%s@dest.example" % tag, "127.0.0.1:%d" % port]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    return proc.stdout.read().decode(errors="replace").strip()


def fault_run(args, name, port_a, port_b, sup, logfile, n, kill):
    """one fault run; prints its block; returns nothing"""
    tag = {"accept": "acc", "tempfail": "tf"}[name]
    expect_delivery = name == "accept"
    lists = ["ok." + args.origin, "to." + args.origin, "err." + args.origin]
    sink_clear(args.sink)
    off_m, off_p = log_size(args.maillog), log_size(logfile)
    w_first = worker_pid(sup)
    killed = None
    t0 = time.monotonic()
    src = smtp_source(port_a, n, args.sessions, tag)
    src_done = None
    t_all = None
    last_n, last_t = 0, t0
    out = ""
    while True:
        time.sleep(0.05)
        now = time.monotonic()
        have = sink_count(args.sink)
        if have > last_n:
            last_n, last_t = have, now
        if src_done is None and src.poll() is not None:
            src_done = now
            out = stop(src)
            if src.returncode != 0:
                raise RigError("%s: smtp-source failed (status %d): %s"
                               % (name, src.returncode, out[-300:]))
            log("%s: smtp-source done after %.1f s, sink %d"
                % (name, now - t0, have))
        if kill and killed is None and have >= n // 2:
            wp = worker_pid(sup)
            if wp:
                before = worker_figures(wp)
                os.kill(wp, signal.SIGKILL)
                killed = {"at": have, "t": now - t0, "worker": before}
                log("%s: killed worker %d at %d delivered" % (name, wp, have))
        if src_done is None:
            if now - t0 > args.drain + n / 5.0:
                stop(src)
                raise RigError("%s: smtp-source still running after %.0f s"
                               % (name, now - t0))
            continue
        if expect_delivery:
            if have >= n and t_all is None:
                got = sink_scan(args.sink, args.sink_pid)
                if sum(1 for k in got if k[0] == tag) >= n:
                    t_all = now
            if t_all is not None and queue_count(args.queue) == 0:
                break
            if now - src_done > args.drain:
                log("%s: queue not empty after %d s" % (name, args.drain))
                break
        else:
            per, _ = hop_attempts(log_since(args.maillog, off_m), tag,
                                  port_b)
            if sum(1 for v in per.values() if v[0] >= 2) >= n:
                break
            if now - src_done > min(args.drain, 120):
                break
            time.sleep(0.5)
    time.sleep(0.5)  # the last log lines
    elapsed = (t_all or time.monotonic()) - t0
    got = sink_scan(args.sink, args.sink_pid)
    mine = {k[1]: v for k, v in got.items() if k[0] == tag}
    delivered = len(mine)
    dups = sum(v - 1 for v in mine.values())
    lost = [i for i in range(1, n + 1) if i not in mine]
    left = queue_count(args.queue)
    text_m = log_since(args.maillog, off_m)
    per, reasons = hop_attempts(text_m, tag, port_b)
    deferred = [i for i, v in per.items() if v[0] > 0]
    retried_ok = [i for i in deferred if per[i][1] > 0]
    retried = [i for i in deferred if per[i][0] + per[i][1] >= 2]
    problems = maillog_problems(text_m)
    mf = milter_log_figures(log_since(logfile, off_p), lists)
    w_last = worker_pid(sup)
    wl = worker_figures(w_last) if w_last else None

    print()
    print("== faults, dnsbl_on_error = %s: %d messages, %d sessions, "
          "hop A -> hop B (portcullis) -> sink; lists ok, to (times out), "
          "err (127.255.255.254); dns_timeout %s"
          % (name, n, args.sessions, os.environ.get("BENCH_DNS_TIMEOUT", "?")))
    if expect_delivery:
        print("  msgs/s: %.1f (%d messages in %.1f s, smtp-source start to"
              " the last one in the sink)" % (n / elapsed, n, elapsed))
    print("  delivered: %d of %d (unique markers in the sink), duplicates:"
          " %d, lost: %d, left in the queue: %d"
          % (delivered, n, dups, len(lost) if expect_delivery
             else n - delivered - left, left))
    if lost and expect_delivery:
        print("  lost markers (first 10): %s"
              % " ".join(str(i) for i in lost[:10]))
    print("  deferred by hop B and retried by hop A: %d messages deferred"
          " (%d deferrals), %d of them retried, %d delivered on a retry"
          % (len(deferred), sum(per[i][0] for i in deferred), len(retried),
             len(retried_ok)))
    if not expect_delivery:
        counts = collections.Counter(min(per[i][0], 5) for i in per)
        print("  attempts per message (deferrals: messages): %s; messages"
              " never tried: %d"
              % (", ".join("%s%d: %d" % ("" if k < 5 else ">=", k, v)
                           for k, v in sorted(counts.items())),
                 n - len(per)))
    for what, cnt in reasons.most_common(6):
        print("    %5d  %s" % (cnt, what))
    if killed:
        print("  worker killed (SIGKILL) at %d delivered, %.1f s in: %s"
              % (killed["at"], killed["t"], fmt_worker(killed["worker"])))
        if t_all is not None:
            print("  from the kill to the last message in the sink: %.1f s"
                  % (t_all - t0 - killed["t"]))
        da = default_action_sessions(text_m, port_b)
        print("  hop B processes that tempfailed with milter_default_action"
              " (451 4.7.1) after the milter failed: %d, transactions they"
              " tempfailed: %d (at most %d by one: a cached hop A -> B "
              "connection whose milter is gone)"
              % (len(da), sum(da.values()), max(da.values() or [0])))
    elif kill:
        print("  worker NOT killed (no worker found)")
    print("  worker at the end: %s" % fmt_worker(wl))
    if killed and wl and wl.get("cpu") is not None:
        cpu = killed["worker"]["cpu"] + wl["cpu"]
        print("  workers' CPU: %.2f s in all, %.2f ms per message"
              % (cpu, 1000.0 * cpu / n))
    elif wl and wl.get("cpu") is not None and w_first == w_last:
        print("  worker's CPU: %.2f s since its start" % wl["cpu"])
    print_milter_log(mf)
    print_problems(problems)
    if not expect_delivery:
        subprocess.run(["postsuper", "-c", args.postfix_conf, "-d", "ALL"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        deadline = time.monotonic() + 30
        while queue_count(args.queue) and time.monotonic() < deadline:
            time.sleep(0.2)
        print("  (queue deleted: postsuper -d ALL; %d left)"
              % queue_count(args.queue))
    sys.stdout.flush()


# --- the concurrent sessions --------------------------------------------


class Sampler(threading.Thread):
    """the worker's RSS, fds and threads every 20 ms; the maxima"""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop_ev = threading.Event()
        self.max = {"rss": 0, "fds": 0, "threads": 0}
        self.samples = 0

    def run(self):
        while not self.stop_ev.is_set():
            st = proc_status(self.pid)
            fds = proc_fds(self.pid)
            if st:
                self.samples += 1
                self.max["rss"] = max(self.max["rss"], st.get("VmRSS", 0))
                self.max["threads"] = max(self.max["threads"],
                                          st.get("Threads", 0))
            if fds:
                self.max["fds"] = max(self.max["fds"], fds)
            self.stop_ev.wait(0.02)


async def read_reply(r, timeout):
    lines = []
    while True:
        line = await asyncio.wait_for(r.readline(), timeout)
        if not line:
            raise ConnectionError("connection closed")
        line = line.decode(errors="replace").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return lines[0][:3], lines[-1]


async def session(i, port, st, barrier, barrier_deadline):
    ip = "10.77.%d.%d" % (i // 250, i % 250 + 1)
    stage = "connect"
    w = None
    counted = False
    try:
        t = 60
        r, w = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), t)

        async def cmd(stage_name, text, want):
            nonlocal stage
            stage = stage_name
            if text is not None:
                w.write(text.encode() + b"\r\n")
                await w.drain()
            code, last = await read_reply(r, 120)
            if code != want:
                raise ValueError("%s %s" % (code, last[4:60]))

        await cmd("greeting", None, "220")
        await cmd("EHLO", "EHLO client.example", "250")
        await cmd("XCLIENT", "XCLIENT ADDR=%s NAME=[UNAVAILABLE]" % ip, "220")
        await cmd("EHLO2", "EHLO client.example", "250")
        st["open"] += 1
        counted = True
        st["peak_open"] = max(st["peak_open"], st["open"])
        st["barrier"] += 1
        if st["barrier"] >= st["n"]:
            barrier.set()
        try:
            await asyncio.wait_for(
                barrier.wait(), max(0.1, barrier_deadline - time.monotonic()))
        except asyncio.TimeoutError:
            pass
        await cmd("MAIL", "MAIL FROM:<bench@sender.example>", "250")
        await cmd("RCPT", "RCPT TO:<%dsess@dest.example>" % (i + 1), "250")
        await cmd("DATA", "DATA", "354")
        body = ("From: <bench@sender.example>\r\nTo: <%dsess@dest.example>"
                "\r\nSubject: concurrent %d\r\nMessage-ID: <%d.sess@bench"
                ".test>\r\n\r\n" % (i + 1, i + 1, i + 1)
                + "La de da de da, a line of about sixty characters....\r\n"
                * 18 + ".")
        await cmd("end of data", body, "250")
        await cmd("QUIT", "QUIT", "221")
        st["ok"] += 1
    except Exception as e:  # every failure is counted, by stage
        what = "%s: %s" % (type(e).__name__, e) if not isinstance(
            e, ValueError) else str(e)
        st["fail"][(stage, norm(what))] += 1
    finally:
        if counted:
            st["open"] -= 1
        if w is not None:
            w.close()


async def sessions_main(n, port, st):
    barrier = asyncio.Event()
    t0 = time.monotonic()
    deadline = t0 + 120

    async def watch():
        await barrier.wait()
        st["t_barrier"] = time.monotonic() - t0
        st["at_barrier"] = st["barrier_cb"]()

    w = asyncio.ensure_future(watch())
    tasks = [asyncio.ensure_future(session(i, port, st, barrier, deadline))
             for i in range(n)]
    await asyncio.gather(*tasks)
    if not barrier.is_set():
        st["t_barrier"] = None
    w.cancel()
    st["t_all"] = time.monotonic() - t0


def concurrent_run(args, fk):
    port, sup, logfile = args.concurrent_service.split(":", 2)
    port, sup = int(port), int(sup)
    n, delay = args.concurrent, args.sessions_delay_ms
    lists = ["s%d.%s" % (i, args.origin) for i in (1, 2, 3)]
    for name in lists:
        fk.delay("*." + name, delay)
    sink_clear(args.sink)
    wp = worker_pid(sup)
    if wp is None:
        raise RigError("sessions: no worker")
    idle = worker_figures(wp)
    q0 = {name: fk.count("*." + name) for name in lists}
    off_m, off_p = log_size(args.maillog), log_size(logfile)
    sampler = Sampler(wp)
    sampler.start()
    st = {"n": n, "open": 0, "peak_open": 0, "barrier": 0, "ok": 0,
          "fail": collections.Counter(), "t_barrier": None,
          "at_barrier": None}
    st["barrier_cb"] = lambda: worker_figures(wp)
    asyncio.run(sessions_main(n, port, st))
    t_done = time.monotonic()
    while time.monotonic() - t_done < args.drain:
        got = sink_scan(args.sink, args.sink_pid)
        if sum(1 for k in got if k[0] == "sess") >= st["ok"] and \
                queue_count(args.queue) == 0:
            break
        time.sleep(0.5)
    t_sink = time.monotonic() - t_done
    sampler.stop_ev.set()
    sampler.join()
    time.sleep(0.5)
    got = sink_scan(args.sink, args.sink_pid)
    mine = {k[1]: v for k, v in got.items() if k[0] == "sess"}
    end = worker_figures(wp)
    problems = maillog_problems(log_since(args.maillog, off_m))
    mf = milter_log_figures(log_since(logfile, off_p), lists)
    queries = {name: fk.count("*." + name) - q0[name] for name in lists}

    print()
    print("== %d concurrent SMTP sessions through Postfix, each its own "
          "client (XCLIENT), three lists (s1 s2 s3) answering %d ms late"
          % (n, delay))
    print("  sessions: %d completed with every reply as expected, %d failed;"
          " %d open at once at the peak"
          % (st["ok"], sum(st["fail"].values()), st["peak_open"]))
    for (stage, what), cnt in st["fail"].most_common(8):
        print("    %5d  at %s: %s" % (cnt, stage, what))
    if st["t_barrier"] is not None:
        print("  all %d sessions open after %.1f s (held after EHLO), all "
              "done after %.1f s" % (n, st["t_barrier"], st["t_all"]))
    else:
        print("  NOT all sessions were open at once (%d reached the hold "
              "within 120 s); all done after %.1f s"
              % (st["barrier"], st["t_all"]))
    print("  worker idle before: %s" % fmt_worker(idle))
    if st.get("at_barrier"):
        print("  worker with all sessions open: %s"
              % fmt_worker(st["at_barrier"]))
    print("  worker at the end: %s" % fmt_worker(end))
    print("  worker peaks (sampled every 20 ms, %d samples): RSS %.1f MiB "
          "(VmHWM %.1f MiB), %d open fds, %d threads"
          % (sampler.samples, sampler.max["rss"] / 1024.0,
             (end.get("hwm") or 0) / 1024.0, sampler.max["fds"],
             sampler.max["threads"]))
    if end.get("cpu") is not None and idle.get("cpu") is not None:
        print("  worker CPU for the run: %.2f s (%.2f ms per session)"
              % (end["cpu"] - idle["cpu"],
                 1000.0 * (end["cpu"] - idle["cpu"]) / n))
    print("  DNS queries: %s" % ", ".join("%s %d" % kv
                                          for kv in queries.items()))
    print("  delivered: %d (unique markers in the sink, %.1f s after the "
          "last session), duplicates: %d, lost: %d of %d accepted, left "
          "in the queue: %d"
          % (len(mine), t_sink, sum(v - 1 for v in mine.values()),
             max(0, st["ok"] - len(mine)), st["ok"],
             queue_count(args.queue)))
    print_milter_log(mf)
    print_problems(problems)
    sys.stdout.flush()


def main():
    args = parse_args()
    fk = FakeDNS(args.fakedns, args.dns, args.zone, args.pidfile)
    try:
        fk.drop("*.to." + args.origin)
        if args.mode in ("faults", "all"):
            for spec in args.faults:
                name, rest = spec.split("=", 1)
                pa, pb, sup, logfile = rest.split(":", 3)
                n = args.msgs if name == "accept" else args.tempfail_msgs
                if n == 0:
                    continue
                fault_run(args, name, int(pa), int(pb), int(sup), logfile,
                          n, kill=(name == "accept"))
        if args.mode in ("sessions", "all"):
            concurrent_run(args, fk)
    except RigError as e:
        print("faults.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        fk.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
