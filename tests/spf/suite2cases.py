#!/usr/bin/env python3
"""suite2cases - the RFC 7208 conformance suite as spf_suite input

usage: suite2cases.py [SUITE.yml[.gz]] > cases.txt

Reads the openspf.org test suite (by default the copy python3-spf ships,
/usr/share/doc/python3-spf/rfc7208-tests.yml.gz; it is that project's
file and is read where it is installed, never copied here) and writes
one scenario after another in a line format that tests/spf/spf_suite.c
reads:

    scenario "Record lookup"
    rr "both.example.net" TXT "v=spf1 -all"
    rr "null.example.com" TXT "v=spf1 ip4:" "192.0.2.5 -all"
    rr "null.example.com" TXT
    rr "mail.example.com" MX 0 ""
    timeout "alltimeout.example.net"
    test "both"
    host "1.2.3.4"
    mailfrom "foo@both.example.net"
    helo "mail.example.net"
    result fail
    explanation "DEFAULT"
    end

A line is words separated by spaces; a quoted word holds bytes, with
\\DDD (decimal) for a byte below 0x20 or above 0x7e and for '"' and
'\\'. An rr line has an owner name, a type (A AAAA MX PTR CNAME TXT
SPF) and its data: an address, a preference and a host, a name, or the
strings of a TXT record (none at all is an empty record). "result" lists
every accepted result, the preferred first. "explanation" is present
when the suite checks it; "DEFAULT" means no exp= explanation.

The zone data is read the way the suite's own driver (testspf.py of
pyspf) reads it:
  - an SPF entry is also served as TXT, unless the name has a TXT
    entry of its own; "TXT: NONE" is such an entry, with no record;
  - "TIMEOUT" makes every query for the name that has no records of
    its type go unanswered (the records listed before it are served).
Strings are sent as UTF-8, as testspf.py does.
"""

import gzip
import sys

try:
    import yaml
except ImportError:
    sys.stderr.write("suite2cases: python3-yaml is not installed\n")
    sys.exit(77)

DEFAULT_SUITE = "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz"
TYPES = ("A", "AAAA", "MX", "PTR", "CNAME", "TXT", "SPF")


def quote(value):
    """A quoted word of the line format."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    out = ['"']
    for b in value:
        if b < 0x20 or b > 0x7e or b in (0x22, 0x5c):
            out.append("\\%03d" % b)
        else:
            out.append(chr(b))
    out.append('"')
    return "".join(out)


def strings(value):
    """The strings of a TXT/SPF value: one string or a list."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def zone_lines(name, entries):
    """The rr and timeout lines of one owner name."""
    lines = []
    has_txt = False
    spf = []
    timeout = False
    for entry in entries:
        if entry == "TIMEOUT":
            lines.append("timeout %s" % quote(name))
            timeout = True
            continue
        if not isinstance(entry, dict) or len(entry) != 1:
            raise ValueError("%s: cannot read entry %r" % (name, entry))
        if timeout:
            # testspf.py would time out these too; fakedns cannot
            raise ValueError("%s: a record after TIMEOUT" % name)
        (rtype, value), = entry.items()
        if rtype not in TYPES:
            raise ValueError("%s: unknown type %s" % (name, rtype))
        if rtype in ("TXT", "SPF"):
            parts = strings(value)
            if rtype == "TXT":
                has_txt = True
            if parts == ["NONE"]:
                continue
            if rtype == "SPF":
                spf.append(parts)
            lines.append("rr %s %s%s" % (quote(name), rtype, "".join(
                " " + quote(p) for p in parts)))
        elif rtype == "MX":
            pref, host = value
            lines.append("rr %s MX %d %s" % (quote(name), int(pref),
                                             quote(str(host))))
        else:
            lines.append("rr %s %s %s" % (quote(name), rtype,
                                          quote(str(value))))
    if not has_txt:
        for parts in spf:
            lines.append("rr %s TXT%s" % (quote(name), "".join(
                " " + quote(p) for p in parts)))
    # rr lines first: the server starts before the knobs are set
    return ([l for l in lines if l.startswith("rr ")] +
            [l for l in lines if l.startswith("timeout ")])


def test_lines(name, test):
    """The lines of one test."""
    results = test["result"]
    if not isinstance(results, (list, tuple)):
        results = [results]
    lines = [
        "test %s" % quote(name),
        "host %s" % quote(str(test["host"])),
        "mailfrom %s" % quote(str(test.get("mailfrom", ""))),
        "helo %s" % quote(str(test.get("helo", ""))),
        "result %s" % " ".join(str(r) for r in results),
    ]
    if test.get("explanation") is not None:
        lines.append("explanation %s" % quote(str(test["explanation"])))
    lines.append("end")
    return lines


def convert(stream, out):
    """Every scenario of the YAML stream; the number of tests."""
    ntests = 0
    for scenario in yaml.safe_load_all(stream):
        if not scenario:
            continue
        out.write("scenario %s\n" %
                  quote(str(scenario.get("description", "")).strip()))
        rr = []
        timeouts = []
        for name, entries in scenario.get("zonedata", {}).items():
            for line in zone_lines(str(name), entries):
                (rr if line.startswith("rr ") else timeouts).append(line)
        for line in rr + timeouts:
            out.write(line + "\n")
        for name, test in scenario["tests"].items():
            for line in test_lines(str(name), test):
                out.write(line + "\n")
            ntests += 1
    return ntests


def main(argv):
    path = argv[1] if len(argv) > 1 else DEFAULT_SUITE
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as stream:
            sys.stdout.write("# from %s by suite2cases.py\n" % path)
            n = convert(stream, sys.stdout)
    except OSError as e:
        sys.stderr.write("suite2cases: %s\n" % e)
        return 77 if path == DEFAULT_SUITE else 2
    except (ValueError, KeyError, yaml.YAMLError) as e:
        sys.stderr.write("suite2cases: %s: %s\n" % (path, e))
        return 2
    return 0 if n > 0 else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
