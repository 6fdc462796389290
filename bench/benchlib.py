"""benchlib.py - what the benchmarks' measure.py scripts share

The fake DNS server (fakedns_main --control, which run.sh compiles into
the work directory) and its options, the progress switch, the median.
Standard library only: bench/dnsbl runs under any python3, bench/dkim
under Debian's /usr/bin/python3. A measure.py imports this with the
bench directory put first on sys.path.
"""

import argparse
import os
import statistics
import subprocess

VERBOSE = os.environ.get("BENCH_VERBOSE", "") not in ("", "0")


def arg_parser(zone_help):
    """an ArgumentParser with the options every measure.py takes: the
    fake DNS server's, and K (rounds)"""
    p = argparse.ArgumentParser()
    p.add_argument("--fakedns", required=True, help="fakedns_main binary")
    p.add_argument("--dns", required=True, help="ADDR:PORT for fakedns")
    p.add_argument("--zone", required=True, help=zone_help)
    p.add_argument("--pidfile", required=True, help="fakedns pid goes here")
    p.add_argument("--k", type=int, required=True)
    return p


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class FakeDNS:
    """fakedns_main --control serving zone on listen (ADDR:PORT), every
    answer delay_ms late; its pid goes to pidfile, for run.sh's teardown"""

    def __init__(self, binary, listen, zone, pidfile, delay_ms=None):
        argv = [binary, "--zone", zone, "--listen", listen]
        if delay_ms is not None:
            argv += ["--delay-ms", str(delay_ms)]
        argv.append("--control")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            bufsize=1)
        with open(pidfile, "w") as f:
            f.write("%d\n" % self.proc.pid)
        line = self.proc.stdout.readline()
        if not line.startswith("listening "):
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            raise SystemExit("measure.py: fakedns_main did not start on %s"
                             % listen)
        self.addr, port = listen.rsplit(":", 1)
        self.port = int(port)

    def count(self, name=None):
        """how many queries the server has received (for name, or
        every name under ZONE for "*.ZONE")"""
        self.proc.stdin.write("count %s\n" % name if name else "count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def drop(self, name):
        """never answer name ("*.ZONE": every name under ZONE)"""
        self.proc.stdin.write("drop %s\n" % name)
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "ok":
            raise SystemExit("measure.py: fakedns_main refused drop %s"
                             % name)

    def delay(self, name, ms):
        """answer name ("*.ZONE": every name under ZONE) ms late"""
        self.proc.stdin.write("delay %s %d\n" % (name, ms))
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "ok":
            raise SystemExit("measure.py: fakedns_main refused delay %s"
                             % name)

    def stop(self):
        if self.proc.poll() is not None:
            return
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def sink_clear(sink):
    """remove every file smtp-sink wrote"""
    for name in os.listdir(sink):
        try:
            os.unlink(os.path.join(sink, name))
        except FileNotFoundError:
            pass


def sink_count(sink):
    """how many files smtp-sink wrote"""
    return len(os.listdir(sink))


def sink_busy(sink, pid):
    """true while smtp-sink holds a file of sink open: it creates the
    file at MAIL and closes it just before its reply to the final dot"""
    fds = "/proc/%d/fd" % pid
    prefix = os.path.realpath(sink) + "/"
    for fd in os.listdir(fds):
        try:
            if os.readlink(os.path.join(fds, fd)).startswith(prefix):
                return True
        except OSError:
            pass
    return False


# --- CPU time, from /proc -----------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stats():
    """{pid: fields of /proc/PID/stat after the command}; the fields
    start: state ppid pgrp; utime stime cutime cstime are [11:15]"""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                out[int(pid)] = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
    return out


def tree_ticks(roots):
    """utime + stime + cutime + cstime (fields 14 to 17 of /proc/PID/stat)
    summed over the processes roots and all their descendants: a
    daemon's whole process tree, with the children it reaped (Postfix's
    master reaps its smtpd, cleanup and smtp processes; a reaped child's
    time stays counted in its parent)"""
    stats = _proc_stats()
    children = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    todo, seen, ticks = list(roots), set(), 0
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        ticks += sum(int(x) for x in stats[pid][11:15])
        todo.extend(children.get(pid, ()))
    return ticks


def tree_pids(roots, comm=None):
    """the pids of the trees below roots (roots excluded) whose command
    name is comm (any when None)"""
    stats = _proc_stats()
    children = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    todo, out = [c for r in roots for c in children.get(r, ())], []
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        if comm is None:
            out.append(pid)
            continue
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == comm:
                    out.append(pid)
        except OSError:
            pass
    return out


def machine_fields():
    """the machine's ticks since boot by kind (/proc/stat's cpu line):
    user, nice, system, idle, iowait, irq, softirq, steal"""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:9]
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    return dict(zip(names, (int(x) for x in fields)))


def machine_ticks():
    """busy ticks of the whole machine since boot: user, nice, system,
    irq, softirq (not idle, iowait, nor steal: time the hypervisor gave
    to others)"""
    m = machine_fields()
    return m["user"] + m["nice"] + m["system"] + m["irq"] + m["softirq"]
