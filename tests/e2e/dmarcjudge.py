#!/usr/bin/python3
"""dmarcjudge.py - python3-authheaders' DMARC verdict, for t_dmarc.sh

Runs under Debian's /usr/bin/python3 (python3-authheaders 0.15.2, with
python3-spf, python3-dkim, python3-dnspython, python3-publicsuffix2).

  dmarcjudge.py < ROWS
      for each line "NAME FILE IP MAILFROM HELO" on stdin (FILE a
      smtp-sink file or a message file; MAILFROM <> for the null
      sender), authheaders' own evaluation, each step of it:
        check_spf(IP, MAILFROM, HELO)     pyspf
        check_dkim(message)               python3-dkim, first signature
        check_dmarc(message, spf, dkim)   RFC 7489 policy discovery and
                                          alignment, Organizational
                                          Domains by the Public Suffix
                                          List (publicsuffix2 over
                                          /usr/share/publicsuffix)
      and prints "NAME<TAB>DMARC<TAB>POLICY<TAB>HEADER.FROM<TAB>SPF<TAB>
      DKIM" ("-" for an empty field), or "NAME<TAB>error<TAB>WHY".

The test DNS: authheaders' DMARC lookups (dmarc_lookup.dns_query),
pyspf and python3-dkim (dkim.dnsplug) all call dnspython's module-level
dns.resolver.query/resolve, that is the default resolver; it is
replaced by one that asks only the test unbound (authcheck.resolver(),
127.0.0.1:$E2E_DNS_PORT). authheaders' dnsfunc argument is not used:
with one, its np= existence test asks the TXT record of the Author
Domain instead of its A, AAAA and MX records, and a dnsfunc returns one
string, so two DMARC records could not be told from one.

The null sender: authheaders takes the domain of MAILFROM for SPF
alignment and fails on an empty one; it is given postmaster@HELO, the
identity RFC 7208 2.4 checks for the null sender, as portcullis does.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import authcheck  # noqa: E402  (resolver, read_message)


def judge(path, ip, mailfrom, helo):
    import authheaders

    if mailfrom == "<>":
        mailfrom = "postmaster@" + helo
    message = authcheck.read_message(path).replace(b"\r\n", b"\n")
    spf = authheaders.check_spf(ip, mailfrom, helo)
    dkim = authheaders.check_dkim(message)
    dmarc = authheaders.check_dmarc(message, spf, dkim)
    return [dmarc.result or "-", dmarc.policy or "-", dmarc.header_from or "-",
            spf.result or "-", dkim.result or "-"]


def main():
    import logging
    import warnings

    import dns.resolver

    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    dns.resolver.default_resolver = authcheck.resolver()
    for line in sys.stdin:
        if not line.strip():
            continue
        name, path, ip, mailfrom, helo = line.split()
        try:
            out = judge(path, ip, mailfrom, helo)
        except Exception as e:  # a verdict it could not reach
            out = ["error", "%s: %s" % (type(e).__name__, e)]
        print("\t".join([name] + out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
