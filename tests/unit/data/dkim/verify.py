#!/usr/bin/python3
"""verify.py - check portcullis's DKIM signatures with an independent
verifier, python3-dkim (python3-nacl for ed25519)

Usage: verify.py KEYS.zone MESSAGE

KEYS.zone holds the public keys as fakedns serves them (keys.zone of
this directory): "owner. IN TXT "part" "part"" lines. MESSAGE is the
signed message with CRLF line ends. Every DKIM-Signature field must
verify.

Exit status: 0 all verify, 1 one does not (the reason on stdout),
2 usage, 77 python3-dkim (or python3-nacl, for an ed25519 signature)
is missing: the caller skips.
"""

import sys

try:
    import dkim
except ImportError:
    sys.exit(77)


def load_zone(path):
    """owner name (lower case, no trailing dot) -> TXT text, bytes"""
    keys = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(";") or line.startswith("$"):
                continue
            owner, rest = line.split(None, 1)
            keys[owner.rstrip(".").lower()] = "".join(rest.split('"')[1::2]).encode()
    return keys


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    keys = load_zone(sys.argv[1])
    with open(sys.argv[2], "rb") as f:
        msg = f.read()

    def dnsfunc(name, timeout=5):
        return keys.get(name.decode("ascii").rstrip(".").lower())

    if b"a=ed25519-sha256" in msg.replace(b"\r\n\t", b"").replace(b" ", b""):
        try:
            import nacl  # noqa: F401  (dkimpy imports it lazily)
        except ImportError:
            return 77
    d = dkim.DKIM(msg)
    count = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
    if count == 0:
        print("no DKIM-Signature field")
        return 1
    for i in range(count):
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            print("signature %d: %s" % (i, e))
            return 1
        if not ok:
            print("signature %d does not verify" % i)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
