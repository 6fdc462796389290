#!/usr/bin/python3
"""dkim_interop_judge - portcullis's DKIM verifier judged on signatures
made by an independent signer, python3-dkim, and held against
python3-dkim's own verifier on the same messages (issue #11).

At test time: RSA-1024, RSA-2048, RSA-4096 (openssl genpkey) and
Ed25519 (python3-nacl) keys; tricky messages (folds, 8-bit header
bytes, two Received fields, oversigned fields, an empty body, trailing
blank lines, trailing white space) signed in all four canonicalization
pairs, with and without l=; two signatures on one message, and one
whose h= signs the other; b= refolded, and b= as the first tag; x= in
the past and in the future (python3-dkim cannot write x=: its signer is
given the tag list with t= and x= changed before it signs); mutated
copies (a body byte, a signed field, a field added above one that h=
oversigns, the bottom one of two Received fields when h= names one, a
body part appended after l=). tests/unit/verify_tool runs our verifier on them
with the keys served by fakedns; python3-dkim verifies them with a
dnsfunc that reads the same zone. Every signature must get the verdict
it is meant to get, from both judges. TAP output; exit 77 without
python3-dkim, python3-nacl or openssl. DKIM_JUDGE_KEEP=1 keeps the work
directory."""

import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import dkim
    import nacl.encoding
    import nacl.signing
except ImportError:
    print("1..0 # SKIP python3-dkim or python3-nacl is not installed")
    sys.exit(77)

if shutil.which("openssl") is None:
    print("1..0 # SKIP openssl is not installed")
    sys.exit(77)

TOOL = os.environ.get("VERIFY_TOOL", "tests/unit/verify_tool")
DOMAIN = b"example.test"
NOW = int(time.time())
RSA_BITS = (1024, 2048, 4096)
KEY_NAMES = ("rsa1024", "rsa2048", "rsa4096", "ed")
CANONS = ((b"simple", b"simple"), (b"relaxed", b"relaxed"),
          (b"simple", b"relaxed"), (b"relaxed", b"simple"))
INJECTED = b"From: Mallory <mallory@example.org>\n"

HEAD = (b"From: Alice Example <alice@example.test>\n"
        b"To: Bob Example <bob@example.org>\n"
        b"Subject: interop fixture\n"
        b"Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
        b"Message-ID: <interop-%d@example.test>\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=utf-8\n")
BODY = b"".join(b"Line %02d: the quick brown fox jumps over the lazy dog.\n"
                % i for i in range(1, 21))
SIGNED = [b"from", b"to", b"subject", b"date", b"message-id",
          b"mime-version", b"content-type", b"from"]

# name: (header, body, h=, the field a mutation changes (old, new))
MESSAGES = {
    "plain": (HEAD % 1, BODY, SIGNED, (b"interop fixture", b"interop fiXture")),
    "folded": (
        b"From: Alice Example\n <alice@example.test>\n"
        b"To: Bob Example <bob@example.org>,\n"
        b"\tCarol Example <carol@example.org>,\n"
        b"  Dave Example <dave@example.org>\n"
        b"Subject: a subject long enough to be folded\n"
        b" \tover three lines, with a tab\n"
        b"    and more white space   \n"
        b"Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
        b"Message-ID: <interop-2@example.test>\n",
        BODY, [b"from", b"to", b"subject", b"date", b"message-id", b"from"],
        (b"with a tab", b"with a TAB")),
    "eight-bit": (
        "From: Jürgen Müller <juergen@example.test>\n"
        "To: Zoë <zoe@example.org>\n"
        "Subject: Grüße aus Köln – ½ € 🙂\n"
        "Date: Tue, 14 Nov 2023 22:13:20 +0000\n".encode("utf-8"),
        "Schöne Grüße,\nJürgen\n".encode("utf-8"),
        [b"from", b"to", b"subject", b"date", b"from"],
        ("Köln".encode("utf-8"), "Kö1n".encode("utf-8"))),
    "received": (
        b"Received: from top.example.org by mx.example.test; "
        b"Tue, 14 Nov 2023 22:13:22 +0000\n"
        b"Received: from bottom.example.org by relay.example.test; "
        b"Tue, 14 Nov 2023 22:13:21 +0000\n" + HEAD % 4,
        BODY, [b"from", b"received", b"subject", b"from"],
        (b"bottom.example.org", b"b0ttom.example.org")),
    "oversigned": (
        HEAD % 5, BODY,
        [b"from", b"from", b"subject", b"subject", b"to", b"to", b"date",
         b"reply-to", b"cc"],
        (b"interop fixture", b"interop fixturE")),
    "empty-body": (HEAD % 6, b"", SIGNED,
                   (b"interop fixture", b"Interop fixture")),
    "trailing-blank-lines": (HEAD % 7, b"Hello,\n\nBye.\n\n\n\n\n", SIGNED,
                             (b"interop fixture", b"interop fixture!")),
    "trailing-white-space": (
        b"Subject: white space at the end   \n" + (HEAD % 8).replace(
            b"Subject: interop fixture\n", b""),
        b"one   \ntwo\t\nthree \t \n \n\t\nfour\n   \n", SIGNED,
        (b"at the end", b"at the End")),
}
# mutations that must break a signature: name -> (how, why)
BODY_BYTE = ("body-byte", "body hash mismatch")
FIELD = ("field", "signature did not verify")
ADDED = ("added-above", "signature did not verify")


def openssl(*args, data=None):
    """openssl - run openssl, its standard output"""
    return subprocess.run(["openssl"] + list(args), input=data, check=True,
                          capture_output=True).stdout


def make_keys(work):
    """make_keys - name -> (private key for dkim.sign, TXT text, bits)"""
    keys = {}
    for bits in RSA_BITS:
        path = os.path.join(work, "rsa%d.pem" % bits)
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                "rsa_keygen_bits:%d" % bits, "-out", path)
        der = openssl("pkey", "-in", path, "-pubout", "-outform", "DER")
        with open(path, "rb") as f:
            keys["rsa%d" % bits] = (f.read(), b"v=DKIM1; k=rsa; p=" +
                                    base64.b64encode(der), bits)
    sk = nacl.signing.SigningKey.generate()
    keys["ed"] = (base64.b64encode(bytes(sk)),
                  b"v=DKIM1; k=ed25519; p=" +
                  base64.b64encode(bytes(sk.verify_key)), 256)
    return keys


def zone_text(keys):
    """zone_text - the keys as fakedns serves them, strings of 250"""
    out = [b"$ORIGIN test.", b"$TTL 300",
           b"@ IN SOA ns.test. admin.test. 1 3600 600 86400 120"]
    for name, (_, txt, _) in keys.items():
        parts = [txt[i:i + 250] for i in range(0, len(txt), 250)]
        out.append(b"%s._domainkey.%s. IN TXT %s" % (
            name.encode(), DOMAIN,
            b" ".join(b'"' + p + b'"' for p in parts)))
    return b"\n".join(out) + b"\n"


class Expiring(dkim.DKIM):
    """Expiring - python3-dkim's signer with t= and x= of our choosing:
    the tag list is changed before gen_header signs it"""

    def __init__(self, message, t, x):
        super().__init__(message)
        self.t_x = (t, x)

    def gen_header(self, fields, *args, **kwargs):
        fields[:] = [f for f in fields if f[0] != b"t"]
        at = [i for i, f in enumerate(fields) if f[0] == b"h"][0]
        fields.insert(at, (b"x", b"%d" % self.t_x[1]))
        fields.insert(at, (b"t", b"%d" % self.t_x[0]))
        return super().gen_header(fields, *args, **kwargs)


class BFirst(dkim.DKIM):
    """BFirst - python3-dkim's signer with b= as the first tag (a
    verifier must blank it wherever it is)"""

    def gen_header(self, fields, *args, **kwargs):
        fields.sort(key=lambda f: f[0] != b"b")
        return super().gen_header(fields, *args, **kwargs)


def refold_b(message):
    """refold_b - the top signature's b= value folded every 16
    characters: folding white space inside b= is deleted with it"""
    at = message.index(b"b=", message.index(b"; bh=") + 4) + 2
    end = message.index(b"\n", at)
    while message[end + 1:end + 2] in (b" ", b"\t"):
        end = message.index(b"\n", end + 1)
    value = b"".join(message[at:end].split())
    folded = b"\n\t".join(value[i:i + 16] for i in range(0, len(value), 16))
    return message[:at] + folded + message[end:]


def sign(message, key, keys, canon, headers, length=False, signer=None):
    """sign - the message with one more DKIM-Signature on top"""
    priv = keys[key][0]
    d = signer or dkim.DKIM(message)
    d.should_not_sign.difference_update((b"received", b"dkim-signature"))
    alg = b"ed25519-sha256" if key == "ed" else b"rsa-sha256"
    sig = d.sign(key.encode(), DOMAIN, priv, signature_algorithm=alg,
                 canonicalize=canon, include_headers=headers, length=length)
    return sig.replace(b"\r\n", b"\n") + message


def want(key, keys, reason="signature verified"):
    """want - an expected verdict"""
    alg = "ed25519-sha256" if key == "ed" else "rsa-sha256"
    # an expired signature is judged before its key is fetched
    bits = 0 if reason == "signature expired" else keys[key][2]
    return {"result": "pass" if reason.startswith("signature verified")
            else "fail", "reason": reason, "s": key, "a": alg, "bits": bits}


def mutate(message, how, field):
    """mutate - one change a signature must not survive"""
    head, body = message.split(b"\n\n", 1)
    if how == "body-byte":
        at = body.index(b"quick") if b"quick" in body else len(body) // 2
        return head + b"\n\n" + body[:at] + bytes([body[at] ^ 0x20]) + \
            body[at + 1:]
    if how == "field":
        assert field[0] in head, field
        return head.replace(field[0], field[1], 1) + b"\n\n" + body
    return INJECTED + message


def cases(keys):
    """cases - (file name, message, [expected verdict per signature])"""
    out = []
    for m, (name, (head, body, headers, field)) in enumerate(
            MESSAGES.items()):
        message = head + b"\n" + body
        for c, canon in enumerate(CANONS):
            # every key meets every canonicalization pair (over the
            # messages), every message every key
            key = KEY_NAMES[(m + c) % len(KEY_NAMES)]
            tag = "%s-%s-%s-%s" % (name, canon[0].decode()[0],
                                   canon[1].decode()[0], key)
            signed = sign(message, key, keys, canon, headers)
            out.append((tag, signed, [want(key, keys)]))
            for how, why in (BODY_BYTE, FIELD, ADDED):
                if how == "body-byte" and not body:
                    continue
                out.append((tag + "-" + how, mutate(signed, how, field),
                            [want(key, keys, why)]))
            with_l = sign(message, key, keys, canon, headers, length=True)
            out.append((tag + "-l", with_l, [want(key, keys, "signature "
                                                   "verified (l=")]))
            out.append((tag + "-l-appended",
                        with_l + b"\n-- \nappended by a mailing list\n",
                        [want(key, keys, "signature verified (l=")]))
            if body:
                out.append((tag + "-l-body-byte",
                            mutate(with_l, "body-byte", field),
                            [want(key, keys, "body hash mismatch")]))
    out += special_cases(keys)
    return out


def special_cases(keys):
    """special_cases - several signatures, x=, Received bottom-up"""
    head, body, headers, _ = MESSAGES["received"]
    message = head + b"\n" + body
    out = []
    for canon in CANONS:
        c = "%s%s" % (canon[0].decode()[0], canon[1].decode()[0])
        one = sign(message, "rsa2048", keys, canon, headers)
        two = sign(one, "ed", keys, canon, headers)
        out.append(("two-" + c, two, [want("ed", keys),
                                      want("rsa2048", keys)]))
        out.append(("two-" + c + "-body-byte",
                    mutate(two, "body-byte", None),
                    [want("ed", keys, "body hash mismatch"),
                     want("rsa2048", keys, "body hash mismatch")]))
    # h= names Received once: the bottom one is signed, the top one not
    signed = sign(message, "rsa2048", keys, CANONS[1], headers)
    out.append(("received-top-changed",
                signed.replace(b"top.example.org", b"t0p.example.org"),
                [want("rsa2048", keys)]))
    out.append(("received-bottom-changed",
                signed.replace(b"bottom.example.org", b"b0ttom.example.org"),
                [want("rsa2048", keys, "signature did not verify")]))
    # b= folded elsewhere; b= first; a signature signing another
    for canon in CANONS[:2]:
        c = "%s%s" % (canon[0].decode()[0], canon[1].decode()[0])
        signed = sign(message, "rsa2048", keys, canon, headers)
        out.append(("b-refolded-" + c, refold_b(signed),
                    [want("rsa2048", keys)]))
    out.append(("b-first", sign(message, "ed", keys, CANONS[1], headers,
                                signer=BFirst(message)), [want("ed", keys)]))
    one = sign(message, "rsa2048", keys, CANONS[0], headers)
    chained = sign(one, "ed", keys, CANONS[1], headers + [b"dkim-signature"])
    out.append(("chained", chained, [want("ed", keys),
                                     want("rsa2048", keys)]))
    at = chained.index(b"b=", chained.index(b"s=rsa2048")) + 10
    other = b"B" if chained[at:at + 1] != b"B" else b"C"  # still base64
    out.append(("chained-first-changed",
                chained[:at] + other + chained[at + 1:],
                [want("ed", keys, "signature did not verify"),
                 want("rsa2048", keys, "signature did not verify")]))
    # x= two days ago (python3-dkim allows 10 hours of slop)
    for key in ("rsa2048", "ed"):
        expired = sign(message, key, keys, CANONS[1], headers,
                       signer=Expiring(message, NOW - 3 * 86400,
                                       NOW - 2 * 86400))
        out.append(("expired-" + key, expired,
                    [want(key, keys, "signature expired")]))
    # x= tomorrow: still good
    fresh = sign(message, "rsa4096", keys, CANONS[0], headers,
                 signer=Expiring(message, NOW - 60, NOW + 86400))
    out.append(("x-tomorrow", fresh, [want("rsa4096", keys)]))
    return out


def ours(work, files):
    """ours - verify_tool's verdicts: file -> list of dicts"""
    zone = os.path.join(work, "keys.zone")
    run = subprocess.run([TOOL, zone] + files, capture_output=True,
                         timeout=600)
    if run.returncode != 0:
        print("# verify_tool exit %d: %s" % (run.returncode,
                                             run.stderr.decode()[-2000:]))
    got = {f: [] for f in files}
    for line in run.stdout.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        if cols[1] == "-":
            continue
        got[cols[0]].append({"result": cols[2], "d": cols[3], "s": cols[4],
                             "a": cols[5], "bits": int(cols[6]),
                             "reason": cols[7]})
    return got, run.returncode


def theirs(message, keys):
    """theirs - python3-dkim's verdict on each signature, header order"""
    records = {b"%s._domainkey.%s." % (k.encode(), DOMAIN): v[1]
               for k, v in keys.items()}

    def dnsfunc(name, timeout=5):
        return records.get(name.lower())

    d = dkim.DKIM(message.replace(b"\n", b"\r\n"))
    out = []
    for i in range(sum(1 for n, _ in d.headers
                       if n.lower() == b"dkim-signature")):
        try:
            out.append(bool(d.verify(idx=i, dnsfunc=dnsfunc)))
        except dkim.DKIMException:
            out.append(False)
    return out


def judge(tag, wants, got, py):
    """judge - what is wrong with one message's verdicts ([] if none)"""
    bad = []
    if len(got) != len(wants):
        return ["%d verdicts, want %d" % (len(got), len(wants))]
    if len(py) != len(wants):
        return ["python3-dkim saw %d signatures, want %d" % (len(py),
                                                            len(wants))]
    for i, (w, g, p) in enumerate(zip(wants, got, py)):
        for k in ("result", "s", "a", "bits"):
            if g[k] != w[k]:
                bad.append("sig %d %s: got %s, want %s" % (i, k, g[k], w[k]))
        if w["reason"] not in g["reason"]:
            bad.append("sig %d reason: got \"%s\", want \"%s\"" %
                       (i, g["reason"], w["reason"]))
        if g["d"] != DOMAIN.decode():
            bad.append("sig %d d=: got %s" % (i, g["d"]))
        if (g["result"] == "pass") != p:
            bad.append("sig %d: judges disagree: ours %s, python3-dkim %s" %
                       (i, g["result"], "pass" if p else "fail"))
    return bad


def main():
    """main - one TAP line per message, a table of what went wrong"""
    work = tempfile.mkdtemp(prefix="pcl-dkim-judge-")
    try:
        keys = make_keys(work)
        with open(os.path.join(work, "keys.zone"), "wb") as f:
            f.write(zone_text(keys))
        todo = cases(keys)
        files = []
        for tag, message, _ in todo:
            path = os.path.join(work, tag + ".eml")
            with open(path, "wb") as f:
                f.write(message)
            files.append(path)
        got, rc = ours(work, files)
        print("1..%d" % (len(todo) + 1))
        table = []
        nsigs = 0
        for n, ((tag, message, wants), path) in enumerate(zip(todo, files),
                                                          1):
            py = theirs(message, keys)
            bad = judge(tag, wants, got[path], py)
            nsigs += len(wants)
            verdicts = ", ".join("%s (%s)" % (g["result"], g["reason"])
                                 for g in got[path])
            if bad:
                print("not ok %d - %s: %s" % (n, tag, "; ".join(bad)))
                for i, w in enumerate(wants):
                    g = got[path][i] if i < len(got[path]) else {}
                    p = py[i] if i < len(py) else None
                    table.append((tag, i, w["result"] + " " + w["reason"],
                                  "%s %s" % (g.get("result"),
                                             g.get("reason")),
                                  {True: "pass", False: "fail"}.get(p, "-")))
            else:
                print("ok %d - %s: %s; python3-dkim agrees" %
                      (n, tag, verdicts))
        n = len(todo) + 1
        if rc != 0:
            print("not ok %d - verify_tool exit %d (chunked and whole "
                  "passes differ, or an error)" % (n, rc))
        else:
            print("ok %d - verify_tool: %d signatures on %d messages, "
                  "chunked and whole agree" % (n, nsigs, len(todo)))
        if table:
            print("# %-36s %3s %-34s %-44s %s" % ("message", "sig", "want",
                                                 "ours", "python3-dkim"))
            for row in table:
                print("# %-36s %3d %-34s %-44s %s" % row)
            print("# work directory: %s" % work)
    finally:
        if os.environ.get("DKIM_JUDGE_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


main()
