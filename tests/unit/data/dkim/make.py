#!/usr/bin/python3
"""make.py - the DKIM fixtures of tests/unit/check_dkim.c

Signs one test message with an independent DKIM implementation
(python3-dkim, with python3-nacl for ed25519) so that portcullis's
verifier is not judged by the library it wraps. Run it from this
directory; it writes:

  *.key      private keys (made with openssl when missing; test-only)
  keys.zone  the public keys as TXT records, for fakedns
  *.eml      signed messages, LF line ends (the test adds the CRs)

The signing time is pinned, so the output only changes when the keys
or this script do. Debian packages: openssl python3-dkim python3-nacl.
"""

import base64
import os
import subprocess

import dkim

T_SIGN = 1700000000          # t= of every signature
DOMAIN = b"example.test"
HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]

KEYS = {                     # file: openssl genpkey arguments
    "rsa2048.key": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "rsa1024.key": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    "rsa512.key": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:512"],
    "ed25519.key": ["-algorithm", "ed25519"],
}


def base_message():
    """The message every fixture signs: folded headers, trailing
    white space and empty lines at the end, to exercise both
    canonicalizations."""
    head = (
        "From: Alice Example <alice@example.test>\n"
        "To: Bob Example <bob@example.org>,\n"
        "\tCarol Example <carol@example.org>\n"
        "Subject: DKIM fixture for portcullis, with a subject long enough\n"
        " to be folded over two lines\n"
        "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
        "Message-ID: <dkim-fixture-1@example.test>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
    )
    body = ["Hello Bob,", "", "This line ends in white space.   ",
            "This\tline\thas\ttabs."]
    for i in range(1, 41):
        body.append("Line %02d: the quick brown fox jumps over the lazy "
                    "dog, again and again." % i)
    body += ["", "-- ", "Alice", "", ""]
    return (head + "\n".join(body) + "\n").encode("ascii")


def crlf(msg):
    return msg.replace(b"\n", b"\r\n")


def key_generate(name):
    if not os.path.exists(name):
        subprocess.run(["openssl", "genpkey"] + KEYS[name] + ["-out", name],
                       check=True)


def der_public(name):
    return subprocess.run(["openssl", "pkey", "-in", name, "-pubout",
                           "-outform", "DER"], check=True,
                          capture_output=True).stdout


def der_private(name):
    return subprocess.run(["openssl", "pkey", "-in", name, "-outform",
                           "DER"], check=True, capture_output=True).stdout


def txt_record(name):
    """v=DKIM1 record text: RSA p= is the DER SubjectPublicKeyInfo,
    ed25519 p= the raw 32-byte key (RFC 8463), the SPKI's last 32."""
    der = der_public(name)
    if name.startswith("ed25519"):
        return "v=DKIM1; k=ed25519; p=" + base64.b64encode(der[-32:]).decode()
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def zone_line(owner, text):
    """One TXT RR, split into strings of at most 255 bytes."""
    parts = ['"%s"' % text[i:i + 200] for i in range(0, len(text), 200)]
    return "%s._domainkey.example.test. IN TXT %s\n" % (owner, " ".join(parts))


def private_for(name, alg):
    if alg == b"ed25519-sha256":
        # dkimpy wants the base64 of the raw 32-byte seed: the last 32
        # bytes of the PKCS#8 DER
        return base64.b64encode(der_private(name)[-32:])
    with open(name, "rb") as f:
        return f.read()


def sign(msg, selector, key, alg=b"rsa-sha256", canon=(b"relaxed", b"relaxed")):
    """Return msg (CRLF) with one more DKIM-Signature on top."""
    sig = dkim.sign(msg, selector, DOMAIN, private_for(key, alg),
                    canonicalize=canon, signature_algorithm=alg,
                    include_headers=HEADERS)
    return sig + msg


def write(name, msg_crlf):
    with open(name, "wb") as f:
        f.write(msg_crlf.replace(b"\r\n", b"\n"))


RFC8463_RSA_PUB = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08"
    "a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR"
    "+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l"
    "/K4w3QIDAQAB")


def main():
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    dkim.time.time = lambda: T_SIGN
    for k in KEYS:
        key_generate(k)

    with open("keys.zone", "w") as z:
        z.write("; made by make.py: DKIM keys of the fixtures\n")
        z.write(zone_line("rsa2048", txt_record("rsa2048.key")))
        z.write(zone_line("rsa1024", txt_record("rsa1024.key")))
        z.write(zone_line("rsa512", txt_record("rsa512.key")))
        z.write(zone_line("ed", txt_record("ed25519.key")))
        # the same key again: tests make this name time out or SERVFAIL
        z.write(zone_line("slow", txt_record("rsa2048.key")))
        z.write(zone_line("revoked", "v=DKIM1; k=rsa; p="))
        z.write(zone_line("garbled", "v=DKIM1; k=rsa; p=AAAAB3NzaC1yc2E="))
        # no record for selector "gone": NXDOMAIN
        # RFC 8463 A.2's keys (rfc8463_*.key: A.1, written by hand)
        z.write("; RFC 8463 appendix A.2\n")
        z.write("brisbane._domainkey.football.example.com. IN TXT "
                '"v=DKIM1; k=ed25519; '
                'p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="\n')
        z.write("test._domainkey.football.example.com. IN TXT "
                '"v=DKIM1; k=rsa; p=%s"\n' % RFC8463_RSA_PUB)

    base = crlf(base_message())
    write("unsigned.eml", base)
    write("relaxed.eml", sign(base, b"rsa2048", "rsa2048.key"))
    write("simple.eml", sign(base, b"rsa2048", "rsa2048.key",
                             canon=(b"simple", b"simple")))
    write("ed25519.eml", sign(base, b"ed", "ed25519.key",
                              alg=b"ed25519-sha256"))
    write("rsa1024.eml", sign(base, b"rsa1024", "rsa1024.key"))
    write("rsa512.eml", sign(base, b"rsa512", "rsa512.key"))
    write("sha1.eml", sign(base, b"rsa2048", "rsa2048.key", alg=b"rsa-sha1"))
    write("nokey.eml", sign(base, b"gone", "rsa2048.key"))
    write("slow.eml", sign(base, b"slow", "rsa2048.key"))
    write("revoked.eml", sign(base, b"revoked", "rsa2048.key"))
    write("garbled.eml", sign(base, b"garbled", "rsa2048.key"))
    two = sign(base, b"rsa2048", "rsa2048.key")
    write("two.eml", sign(two, b"ed", "ed25519.key", alg=b"ed25519-sha256"))
    # rsa-sha1 on top of rsa-sha256: refused without a lookup, so it
    # does not use up a cap of 1
    write("sha1_rsa.eml", sign(sign(base, b"rsa2048", "rsa2048.key"),
                               b"rsa2048", "rsa2048.key", alg=b"rsa-sha1"))
    seven = base
    for _ in range(7):
        seven = sign(seven, b"rsa2048", "rsa2048.key")
    write("seven.eml", seven)
    # a signature without its bh= tag (renamed to an unknown tag, which
    # verifiers ignore): a syntax error
    broken = sign(base, b"rsa2048", "rsa2048.key")
    write("broken.eml", broken.replace(b" bh=", b" xh=", 1))

if __name__ == "__main__":
    main()
