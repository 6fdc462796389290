#!/usr/bin/python3
"""dmarc_report_judge - portcullis-report's XML read back by a reader
of its own (xml.etree), written from RFC 9990 (and RFC 7489 appendix C)
apart from the generator.

A day of messages (a fixed seed: the same rows every run, some of them
with bytes that XML cannot carry or must escape, some the day before,
some deferred) is written with the daemon's own writer (report_tool),
a line that is not ours and a torn last line are added, and the day's
reports are made. Each report is held to the structure the RFC gives
(the elements, their order and number, the enumerated values, the
namespace), its policy_published to the domain's last record of the
day, and its records to the rows this script wrote: every row counted
once, in the record whose source_ip, policy_evaluated, identifiers and
auth_results are the row's. xmllint --noout must find every file
well-formed (skipped without libxml2-utils). TAP output."""

import calendar
import email
import gzip
import os
import re
import random
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

TOOL = os.environ.get("REPORT_TOOL", "tests/unit/report_tool")
REPORT = os.environ.get("PORTCULLIS_REPORT", "./portcullis-report")
NS = "urn:ietf:params:xml:ns:dmarc-2.0"
DAY = "2026-03-14"
BEGIN = calendar.timegm((2026, 3, 14, 0, 0, 0))
END = BEGIN + 86399
RECEIVER = "mx.receiver.example"

# The policy records of the day: domain -> fields of the row.
POLICIES = {
    "example.com": dict(disc="treewalk", p="reject", sp="-", np="-",
                        adkim="r", aspf="r", t="n", psd="u",
                        rua="mailto:dmarc@example.com,mailto:x@rua.example!10m"),
    "sub.example.com": dict(disc="treewalk", p="quarantine", sp="none",
                            np="reject", adkim="s", aspf="s", t="n", psd="n",
                            rua="mailto:d@sub.example.com"),
    "example.org": dict(disc="psl", p="none", sp="-", np="-", adkim="r",
                        aspf="s", t="y", psd="u",
                        rua="mailto:$(id)`id`@evil.example,"
                            "mailto:small@example.org!100,"
                            "mailto:big@example.org!10m"),
    "example.net": dict(disc="treewalk", p="reject", sp="-", np="-",
                        adkim="r", aspf="r", t="n", psd="u",
                        rua="mailto:agg@unauthorized.example"),
}
# Header From domains under each policy domain.
FROMS = {
    "example.com": ["example.com", "news.example.com"],
    "sub.example.com": ["sub.example.com"],
    "example.org": ["example.org", "\u00e9t\u00e9.example.org"],
    "example.net": ["example.net"],
}
IPS = ["192.0.2.1", "192.0.2.77", "2001:db8::25", "198.51.100.9"]
# Selectors and DKIM domains, some with bytes XML must escape or cannot
# carry at all.
SELECTORS = ["s1", "sel<&>\"'", "a\x01b", "k\udcff"]
DKIM_DOMAINS = ["example.com", "esp.example", "sub.example.com"]
OVERRIDES = ["-", "-", "-", "local_policy", "dry_run",
             "policy_test_mode,local_policy", "trusted_forwarder"]

n_tests = 0
failed = False


def ok(cond, name, diag=""):
    """ok - one TAP line"""
    global n_tests, failed
    n_tests += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n_tests, name))
    if not cond:
        failed = True
        for line in str(diag).splitlines():
            print("# " + line)


def skip(name, why):
    """skip - one skipped TAP line"""
    global n_tests
    n_tests += 1
    print("ok %d - %s # SKIP %s" % (n_tests, name, why))


def sanitized(value):
    """sanitized - value as the XML must show it: a character that XML
    1.0 cannot carry (a control byte, invalid UTF-8) becomes '?'"""
    raw = value.encode("utf-8", "surrogateescape")
    out, i = [], 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            try:
                ch = raw[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            break
        else:
            ch = None
        if ch is None or ord(ch) < 0x20 or ord(ch) == 0x7f or \
                ord(ch) in (0xfffe, 0xffff):
            out.append("?")
            i += 1
        else:
            out.append(ch)
            i += len(ch.encode("utf-8"))
    return "".join(out)


def make_rows(rng):
    """make_rows - the day's messages, in time order, and some of the
    day before: most of them alike (the same sender again), so that
    records count several rows"""
    kinds = [random_row(rng) for _ in range(30)]
    rows = []
    for k in range(600):
        row = dict(rng.choice(kinds) if rng.random() < .8
                   else random_row(rng))
        row["time"] = BEGIN + k * 140 + rng.randint(0, 100)
        rows.append(row)
    # the day before: in another file
    for k in range(20):
        rows.insert(0, dict(rows[k], time=BEGIN - 1000 + k))
    # a record that changes at noon: the report shows the last one
    for r in rows:
        if r["domain"] == "example.com" and r["time"] > BEGIN + 43200:
            r["adkim"] = "s"
    return rows


def random_row(rng):
    """random_row - one message of any kind, its time not set"""
    domain = rng.choice(sorted(POLICIES))
    pol = POLICIES[domain]
    result = rng.choice(["pass", "pass", "fail", "fail", "temperror"])
    align_dkim = "pass" if result == "pass" and rng.random() < .6 \
        else "fail"
    align_spf = "pass" if result == "pass" and align_dkim == "fail" else \
        rng.choice(["fail", "pass"]) if result == "pass" else "fail"
    action = rng.choice(["reject", "quarantine", "accept", "tag",
                         "discard", "tempfail"]) if result != "pass" \
        else "accept"
    disposition = {"accept": "none", "tag": "quarantine",
                   "quarantine": "quarantine", "discard": "reject",
                   "reject": "reject", "tempfail": "reject"}[action]
    if result == "pass":
        disposition = "pass" if pol["p"] != "none" else "none"
    override = rng.choice(OVERRIDES) if result == "fail" else \
        "other" if result == "temperror" else "-"
    mailfrom = rng.choice(["", "bounce.example.net", domain])
    spf = rng.choice([None, ("mfrom", "pass"), ("mfrom", "softfail"),
                      ("helo", "none")])
    if spf and spf[0] == "helo":
        mailfrom = ""
    spf_domain = ("mail.sender.example" if not mailfrom else mailfrom) \
        if spf else ""
    dkim = [(rng.choice(DKIM_DOMAINS), rng.choice(SELECTORS),
             rng.choice(["pass", "fail", "neutral", "permerror"]))
            for _ in range(rng.choice([0, 1, 1, 2, 3]))]
    return dict(
        ip=rng.choice(IPS), from_=rng.choice(FROMS[domain]),
        domain=domain, result=result, align_dkim=align_dkim,
        align_spf=align_spf, disposition=disposition, action=action,
        override=override, mailfrom=mailfrom, spf_domain=spf_domain,
        spf_scope=spf[0] if spf else "", spf_result=spf[1] if spf else "",
        dkim=dkim, **pol)


def tool_input(rows):
    """tool_input - report_tool's hex fields, one row a line"""
    lines = []
    for r in rows:
        fields = [str(r["time"]), r["ip"], r["from_"], r["domain"], r["disc"],
                  r["p"], r["sp"], r["np"], r["adkim"], r["aspf"], r["t"],
                  r["psd"], r["rua"], r["result"], r["align_dkim"],
                  r["align_spf"], r["disposition"], r["action"],
                  r["override"], r["mailfrom"], r["spf_domain"],
                  r["spf_scope"], r["spf_result"]]
        for d in r["dkim"]:
            fields += list(d)
        lines.append("\t".join(
            f.encode("utf-8", "surrogateescape").hex() for f in fields))
    return ("\n".join(lines) + "\n").encode()


def reason_types(row, rfc9990):
    """reason_types - the override types a row's record must carry"""
    words = [] if row["override"] == "-" else row["override"].split(",")
    types = []
    for w in words:
        if w in ("trusted_forwarder", "mailing_list", "other"):
            types.append(w)
        elif w == "policy_test_mode":
            types.append("policy_test_mode" if rfc9990 else "other")
        elif w == "dry_run":
            types.append("local_policy")
        elif w == "local_policy" and "dry_run" not in words:
            types.append("local_policy")
    return tuple(sorted(types))


def expected_key(row, rfc9990):
    """expected_key - what a record of the row shows"""
    disposition = row["disposition"]
    if not rfc9990 and disposition == "pass":
        disposition = "none"
    envelope = row["mailfrom"]
    if not rfc9990 and not envelope and row["spf_domain"]:
        envelope = row["spf_domain"]
    if row["spf_domain"]:
        scope = "helo" if not rfc9990 and row["spf_scope"] == "helo" \
            else "mfrom"
        spf = (sanitized(row["spf_domain"]), scope, row["spf_result"])
    elif not rfc9990:
        spf = (sanitized(envelope or row["from_"]), "mfrom", "none")
    else:
        spf = None
    dkim = tuple((sanitized(d), sanitized(s), r) for d, s, r in row["dkim"])
    return (row["ip"], disposition, row["align_dkim"], row["align_spf"],
            reason_types(row, rfc9990), sanitized(row["from_"]),
            sanitized(envelope), dkim, spf)


def q(tag, rfc9990):
    """q - an element name in the report's namespace"""
    return "{%s}%s" % (NS, tag) if rfc9990 else tag


def children(el):
    """children - the local names of an element's children"""
    return [c.tag.split("}")[-1] for c in el]


def one(el, tag, rfc9990, problems, where):
    """one - the only child of that name (a problem noted otherwise)"""
    found = el.findall(q(tag, rfc9990))
    if len(found) != 1:
        problems.append("%s: %d <%s>, want 1" % (where, len(found), tag))
        return None
    return found[0]


def text(el, tag, rfc9990, problems, where, allowed=None):
    """text - the text of the only child of that name"""
    c = one(el, tag, rfc9990, problems, where)
    value = "" if c is None or c.text is None else c.text
    if allowed is not None and value not in allowed:
        problems.append("%s: <%s> is %r, want one of %s" %
                        (where, tag, value, allowed))
    return value


def read_record(rec, rfc9990, problems, where):
    """read_record - a record's key and count, its structure checked"""
    if children(rec)[:3] != ["row", "identifiers", "auth_results"]:
        problems.append("%s: children %s" % (where, children(rec)))
    row = one(rec, "row", rfc9990, problems, where)
    ident = one(rec, "identifiers", rfc9990, problems, where)
    auth = one(rec, "auth_results", rfc9990, problems, where)
    if row is None or ident is None or auth is None:
        return None, 0
    ip = text(row, "source_ip", rfc9990, problems, where)
    count = int(text(row, "count", rfc9990, problems, where) or "0")
    pe = one(row, "policy_evaluated", rfc9990, problems, where)
    if pe is None:
        return None, 0
    names = children(pe)
    if names[:3] != ["disposition", "dkim", "spf"] or \
            any(n != "reason" for n in names[3:]):
        problems.append("%s: policy_evaluated children %s" % (where, names))
    dispositions = ["none", "pass", "quarantine", "reject"] if rfc9990 \
        else ["none", "quarantine", "reject"]
    disposition = text(pe, "disposition", rfc9990, problems, where,
                       dispositions)
    adkim = text(pe, "dkim", rfc9990, problems, where, ["pass", "fail"])
    aspf = text(pe, "spf", rfc9990, problems, where, ["pass", "fail"])
    override_types = ["local_policy", "mailing_list", "other",
                      "policy_test_mode", "trusted_forwarder"] if rfc9990 \
        else ["forwarded", "sampled_out", "trusted_forwarder",
              "mailing_list", "local_policy", "other"]
    reasons = tuple(sorted(
        text(r, "type", rfc9990, problems, where, override_types)
        for r in pe.findall(q("reason", rfc9990))))
    header_from = text(ident, "header_from", rfc9990, problems, where)
    envs = ident.findall(q("envelope_from", rfc9990))
    if len(envs) > 1 or (not rfc9990 and len(envs) != 1):
        problems.append("%s: %d envelope_from" % (where, len(envs)))
    envelope = (envs[0].text or "") if envs else ""
    names = children(auth)
    if names != sorted(names) or any(n not in ("dkim", "spf") for n in names) \
            or names.count("spf") > (1 if rfc9990 else 99) or \
            (not rfc9990 and "spf" not in names):
        problems.append("%s: auth_results children %s" % (where, names))
    dkim = tuple(
        (text(d, "domain", rfc9990, problems, where),
         text(d, "selector", rfc9990, problems, where),
         text(d, "result", rfc9990, problems, where,
              ["none", "pass", "fail", "policy", "neutral", "temperror",
               "permerror"]))
        for d in auth.findall(q("dkim", rfc9990)))
    spfs = auth.findall(q("spf", rfc9990))
    spf = None
    if spfs:
        s = spfs[0]
        scopes = s.findall(q("scope", rfc9990))
        if rfc9990 and scopes and scopes[0].text != "mfrom":
            problems.append("%s: spf scope %s" % (where, scopes[0].text))
        if not rfc9990 and len(scopes) != 1:
            problems.append("%s: RFC 7489 wants an SPF scope" % where)
        spf = (text(s, "domain", rfc9990, problems, where),
               scopes[0].text if scopes else "",
               text(s, "result", rfc9990, problems, where,
                    ["none", "neutral", "pass", "fail", "softfail",
                     "policy", "temperror", "permerror"]))
    return (ip, disposition, adkim, aspf, reasons, header_from, envelope,
            dkim, spf), count


def effective(pol):
    """effective - the policy_published values a record means"""
    sp = pol["sp"] if pol["sp"] != "-" else pol["p"]
    return dict(p=pol["p"], sp=sp, np=pol["np"] if pol["np"] != "-" else sp,
                adkim=pol["adkim"], aspf=pol["aspf"], testing=pol["t"],
                discovery_method=pol["disc"])


def read_report(path, rfc9990, domain, problems):
    """read_report - the counts of a report's records, its frame checked"""
    root = ET.parse(path).getroot()
    if root.tag != q("feedback", rfc9990):
        problems.append("root element %s" % root.tag)
    names = children(root)
    want = ["version", "report_metadata", "policy_published"]
    if names[:3] != want or any(n != "record" for n in names[3:]) or \
            len(names) < 4:
        problems.append("feedback children %s" % names)
    version = root.find(q("version", rfc9990))
    if version is None or version.text != "1.0":
        problems.append("version is not 1.0")
    meta = one(root, "report_metadata", rfc9990, problems, "feedback")
    if meta is not None:
        for tag in ("org_name", "email", "report_id"):
            if not text(meta, tag, rfc9990, problems, "report_metadata"):
                problems.append("empty <%s>" % tag)
        dr = one(meta, "date_range", rfc9990, problems, "report_metadata")
        if dr is not None:
            b = text(dr, "begin", rfc9990, problems, "date_range")
            e = text(dr, "end", rfc9990, problems, "date_range")
            if (b, e) != (str(BEGIN), str(END)):
                problems.append("date_range %s..%s" % (b, e))
    pp = one(root, "policy_published", rfc9990, problems, "feedback")
    published = {}
    if pp is not None:
        for c in pp:
            published[c.tag.split("}")[-1]] = c.text
    counts = {}
    for i, rec in enumerate(root.findall(q("record", rfc9990))):
        key, count = read_record(rec, rfc9990, problems, "record %d" % i)
        if key in counts:
            problems.append("record %d repeats another's data" % i)
        counts[key] = counts.get(key, 0) + count
    return published, counts


def run(args):
    """run - portcullis-report with args: status, stdout, stderr"""
    p = subprocess.run([REPORT] + args, capture_output=True, text=True,
                       check=False)
    return p.returncode, p.stdout, p.stderr


def check_format(rows, data, out, rfc9990):
    """check_format - one run over the day, its reports checked"""
    label = "RFC 9990" if rfc9990 else "RFC 7489"
    shutil.rmtree(out, ignore_errors=True)
    os.mkdir(out)
    rc, stdout, stderr = run(["dmarc", "--day", DAY, "--dir", data,
                              "--out", out, "--receiver", RECEIVER,
                              "--org-name", "Receiver & Co",
                              "--email", "dmarc-reports@receiver.example"] +
                             ([] if rfc9990 else ["--rfc7489"]))
    ok(rc == 0, "%s: portcullis-report exits 0" % label, stderr)
    ok("1 line refused" in stderr,
       "%s: the line that is not ours is reported" % label, stderr)
    today = [r for r in rows if BEGIN <= r["time"] <= END]
    kept = [r for r in today if r["action"] != "tempfail"]
    domains = sorted({r["domain"] for r in kept})
    printed = dict(line.split("\t") for line in stdout.splitlines())
    want_files = {os.path.join(out, "%s!%s!%d!%d.xml" %
                               (RECEIVER, d, BEGIN, END)): d
                  for d in domains}
    ok(set(printed) == set(want_files) and
       sorted(os.listdir(out)) == sorted(os.path.basename(f)
                                         for f in want_files),
       "%s: one file per policy domain, named as RFC 9990 says"
       % label, "%s\n%s" % (sorted(printed), os.listdir(out)))
    for path, domain in sorted(want_files.items()):
        mine = [r for r in kept if r["domain"] == domain]
        last = mine[-1]
        ok(printed.get(path) == last["rua"],
           "%s: %s: its rua= URIs printed" % (label, domain),
           "%r" % printed.get(path))
        problems = []
        published, counts = read_report(path, rfc9990, domain, problems)
        ok(not problems, "%s: %s: the structure" % (label, domain),
           "\n".join(problems[:20]))
        want_pub = dict(domain=domain, **effective(last))
        if rfc9990:
            keys = ("domain", "p", "sp", "np", "adkim", "aspf", "testing",
                    "discovery_method")
        else:
            keys = ("domain", "p", "sp", "adkim", "aspf")
            want_pub.update(pct="100", fo="0")
            keys += ("pct", "fo")
        ok(all(published.get(k) == want_pub[k] for k in keys) and
           (rfc9990 or not {"np", "testing", "discovery_method"} &
            set(published)),
           "%s: %s: policy_published is the last record of the day"
           % (label, domain), "got %s\nwant %s" % (published, want_pub))
        want = {}
        for r in mine:
            k = expected_key(r, rfc9990)
            want[k] = want.get(k, 0) + 1
        ok(counts == want,
           "%s: %s: %d records, counts %d = the %d rows written"
           % (label, domain, len(want), sum(counts.values()), len(mine)),
           "\n".join("got %s want %s: %r" % (counts.get(k), want.get(k), k)
                     for k in sorted(set(counts) | set(want), key=repr)
                     if counts.get(k) != want.get(k))[:3000])
        if shutil.which("xmllint"):
            p = subprocess.run(["xmllint", "--noout", path],
                               capture_output=True, text=True, check=False)
            ok(p.returncode == 0, "%s: %s: xmllint --noout" % (label, domain),
               p.stderr)
        else:
            skip("%s: %s: xmllint --noout" % (label, domain),
                 "libxml2-utils is not installed")
    return want_files


FAKE_SENDMAIL = """#!/bin/sh
# sendmail as the cron example calls it: the arguments, then the mail
n=$(ls "$MAILS" | grep -c "\\.eml$")
printf '%s\\n' "$@" >"$MAILS/$n.args"
cat >"$MAILS/$n.eml"
"""

FAKE_DIG = """#!/bin/sh
# dig +short: one external destination is authorized
for a in "$@"; do :; done
case $a in example.com._report._dmarc.rua.example)
	echo '"v=DMARC1;"' ;;
esac
"""


def check_cron(data, tmp, reports):
    """check_cron - contrib/examples/dmarc-reports.cron with a sendmail
    and a dig of this script's: what it mails, to whom"""
    script = os.path.join(os.environ.get("srcdir", "."),
                          "contrib/examples/dmarc-reports.cron")
    mails = os.path.join(tmp, "mails")
    os.mkdir(mails)
    for name, text in (("sendmail", FAKE_SENDMAIL), ("dig", FAKE_DIG)):
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(tmp, name), 0o755)
    env = dict(os.environ, RECEIVER=RECEIVER, ORG_NAME="Receiver & Co",
               CONTACT="dmarc-reports@receiver.example",
               FROM="dmarc-noreply@receiver.example", DIR=data, DAY=DAY,
               REPORT=os.path.abspath(REPORT), MAILS=mails,
               SENDMAIL=os.path.join(tmp, "sendmail"),
               DIG=os.path.join(tmp, "dig"))
    p = subprocess.run(["sh", script], env=env, capture_output=True,
                       text=True, check=False)
    ok(p.returncode == 0, "cron example: exit 0", p.stderr)
    ok("not an address, skipped: mailto:$(id)`id`@evil.example" in p.stderr,
       "cron example: a URI that is not an address is skipped", p.stderr)
    sent = {}
    for n in range(len(os.listdir(mails)) // 2):
        args = open(os.path.join(mails, "%d.args" % n)).read().split("\n")
        msg = email.message_from_bytes(
            open(os.path.join(mails, "%d.eml" % n), "rb").read())
        sent[args[-2]] = (args, msg)
    ok("report larger than small@example.org takes (100)" in p.stderr,
       "cron example: a URI's size limit is kept", p.stderr)
    ok(sorted(sent) == ["big@example.org", "d@sub.example.com",
                        "dmarc@example.com", "x@rua.example"],
       "cron example: mailed to the mailto: URIs, an external one only "
       "when authorized", sorted(sent))
    for rcpt, (args, msg) in sorted(sent.items()):
        domain = {"big@example.org": "example.org",
                  "d@sub.example.com": "sub.example.com"}.get(
                      rcpt, "example.com")
        name = "%s!%s!%d!%d.xml" % (RECEIVER, domain, BEGIN, END)
        parts = [m for m in msg.walk()
                 if m.get_content_type() == "application/gzip"]
        xml = gzip.decompress(parts[0].get_payload(decode=True)) \
            if len(parts) == 1 else b""
        subject = " ".join(msg["Subject"].split())
        ok(args[:4] == ["-oi", "-f", "dmarc-noreply@receiver.example", "--"]
           and msg["To"] == rcpt and
           msg["From"] == "dmarc-noreply@receiver.example" and
           re.fullmatch(r"Report Domain: %s Submitter: %s Report-ID: <\S+>"
                        % (re.escape(domain), re.escape(RECEIVER)),
                        subject) is not None and
           parts and parts[0].get_filename() == name + ".gz" and
           xml == reports.get(domain),
           "cron example: %s gets %s.gz, the report, as RFC 9990 says"
           % (rcpt, name), "%s\n%s\n%s" % (args, subject, msg.items()))


def main():
    """main - write the day, report it, read it back"""
    rng = random.Random(9990)
    rows = make_rows(rng)
    tmp = tempfile.mkdtemp(prefix="dmarc_report_judge.")
    try:
        data = os.path.join(tmp, "data")
        out = os.path.join(tmp, "out")
        os.mkdir(data, 0o750)
        half = len(rows) // 2
        for first, part in ((True, rows[:half]), (False, rows[half:])):
            p = subprocess.run([TOOL, data], input=tool_input(part),
                               capture_output=True, check=False)
            ok(p.returncode == 0, "report_tool writes %d rows" % len(part),
               p.stderr.decode(errors="replace"))
            if first:
                with open(os.path.join(data, DAY + ".log"), "ab") as f:
                    f.write(b"this is not a line of ours\n")
        with open(os.path.join(data, DAY + ".log"), "ab") as f:
            f.write(b"v=1 time=%d ip=192.0.2.1 from=torn.example" % END)
        ok(sorted(os.listdir(data)) == ["2026-03-13.log", DAY + ".log"],
           "the writer keeps a file per UTC day", os.listdir(data))

        files = check_format(rows, data, out, True)
        first = {f: open(f, "rb").read() for f in files}
        check_cron(data, tmp, {d: first[f] for f, d in files.items()})
        rc, _, _ = run(["dmarc", "--day", DAY, "--dir", data, "--out", out,
                        "--receiver", RECEIVER, "--org-name", "Receiver & Co",
                        "--email", "dmarc-reports@receiver.example"])
        ok(rc == 0 and all(open(f, "rb").read() == first[f] for f in files),
           "made again, the reports are the same files, byte for byte")
        check_format(rows, data, out, False)

        shutil.rmtree(out)
        os.mkdir(out)
        rc, stdout, _ = run(["dmarc", "--day", DAY, "--dir", data, "--out",
                             out, "--receiver", RECEIVER, "--domain",
                             "Example.ORG."])
        ok(rc == 0 and len(stdout.splitlines()) == 1 and
           os.listdir(out) == ["%s!example.org!%d!%d.xml" %
                               (RECEIVER, BEGIN, END)],
           "--domain: that domain's report alone", stdout)
        rc, _, _ = run(["dmarc", "--day", DAY, "--dir", data, "--out", out,
                        "--receiver", RECEIVER, "--domain", "none.example"])
        ok(rc == 3, "--domain with no rows: exit 3", rc)
        rc, _, _ = run(["dmarc", "--day", "2026-03-15", "--dir", data,
                        "--out", out, "--receiver", RECEIVER])
        ok(rc == 3, "a day without a file: exit 3", rc)
        rc, _, _ = run(["dmarc", "--day", DAY, "--dir",
                        os.path.join(tmp, "nowhere"), "--receiver", RECEIVER])
        ok(rc == 1, "a directory that does not exist: exit 1", rc)
        # a policy domain that cannot name a file: its rows left out
        day2 = BEGIN + 2 * 86400
        odd = [dict(rows[-1], time=day2 + 10, domain="x/../..\x01"),
               dict(rows[-1], time=day2 + 20, domain="example.com",
                    action="accept")]
        p = subprocess.run([TOOL, data], input=tool_input(odd),
                           capture_output=True, check=False)
        shutil.rmtree(out)
        os.mkdir(out)
        rc, stdout, stderr = run(["dmarc", "--day", "2026-03-16", "--dir",
                                  data, "--out", out, "--receiver", RECEIVER])
        ok(p.returncode == 0 and rc == 0 and
           "1 row of a policy domain that cannot name a file left out"
           in stderr and os.listdir(out) == [
               "%s!example.com!%d!%d.xml" % (RECEIVER, day2, day2 + 86399)],
           "a policy domain that cannot name a file is left out, the "
           "others reported", "%d %s %s" % (rc, stderr, os.listdir(out)))
        for bad in (["dmarc", "--day", "2026-02-30"], ["dmarc", "--bogus"],
                    ["dmarc", "extra"], ["dmarc", "--domain", "a/b"], [],
                    ["forensic"]):
            rc, _, stderr = run(bad)
            ok(rc == 2 and stderr.startswith("portcullis-report: "),
               "usage error %s: exit 2" % bad, "%d %s" % (rc, stderr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n_tests)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
