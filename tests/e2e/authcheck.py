#!/usr/bin/python3
"""authcheck.py - independent SPF and DKIM tools for the t_auth_*.sh tests

Runs under Debian's /usr/bin/python3 (python3-spf, python3-dkim,
python3-dnspython, python3-nacl). Every DNS question goes to the test
server on 127.0.0.1:$E2E_DNS_PORT (unbound, see dns.sh), never to the
system's resolver.

  authcheck.py headers FILE
      parse the top header block of a message (of a smtp-sink file:
      without the envelope lines and the Received field smtp-sink adds)
      and print
        HDR N NAME                      every header field, top first
        AR N AUTHSERV-ID                each Authentication-Results (N
        AR N METHOD=RESULT [(COMMENT)] PTYPE.PROP=VALUE...
                                        counts those fields, top first),
                                        one line per result, values
                                        unquoted
        RSPF RESULT KEY=VALUE...        each Received-SPF (comment
                                        dropped, keys in header order)
        SIG N b=B d=D s=S a=A c=C       each DKIM-Signature (b= without
                                        white space)
        AS I cv=CV d=D s=S a=A          each ARC-Seal (I its i=)
        AMS I d=D s=S a=A c=C h=H       each ARC-Message-Signature (h=
                                        without white space)
        AAR I AUTHSERV-ID               each ARC-Authentication-Results,
        AAR I METHOD=RESULT ...         its results as for AR
  authcheck.py spf
      for each line "IP SENDER HELO" on stdin (SENDER <> for the null
      sender), pyspf's spf.check2(i, s, h): "RESULT<TAB>EXPLANATION"
  authcheck.py sign ALG CANON DOMAIN SELECTOR KEYFILE [HEADERS]
      sign the message on stdin with python3-dkim (ALG rsa-sha256,
      rsa-sha1 or ed25519-sha256; CANON like relaxed/simple; KEYFILE a
      PKCS#1 PEM for RSA, the base64 seed for ed25519; HEADERS a
      colon-separated h= list); print the signed message
  authcheck.py verify FILE
      python3-dkim's verdict on each DKIM-Signature of the message in
      FILE (as for headers): "SIG N b=B pass|fail"
  authcheck.py unsink FILE
      print the message of a smtp-sink file as Postfix sent it
  authcheck.py only FILE N
      print that message with only its Nth DKIM-Signature field (1 is
      the first), every other one removed with its folded lines
  authcheck.py arcsign SELECTOR DOMAIN KEYFILE SRV_ID
      add the next ARC set to the message on stdin with python3-dkim's
      arc_sign (rsa-sha256, its default header list; KEYFILE a PKCS#1
      PEM; the message needs an Authentication-Results of SRV_ID, whose
      arc= result, if any, becomes cv=); print the sealed message with
      LF line ends, or exit 1 when arc_sign adds nothing
  authcheck.py arcverify FILE
      python3-dkim's arc_verify on the message in FILE (as for headers):
      "ARC CV n=N oldest-pass=K" then "REASON text"; CV is pass, fail,
      none or ended (arc_verify's None: a seal says cv=fail, the chain
      ended there); oldest-pass (RFC 8617 10.1: the oldest instance
      whose AMS verifies with all newer ones) only for pass, else 0
  authcheck.py arcseals FILE
      each ARC-Seal of that message verified twice with python3-dkim:
      over the sets 1..i (RFC 8617 5.1.1) and over its own set alone
      (5.1.2, how a cv=fail seal is made): "AS I cv=CV chain=valid|
      invalid own=valid|invalid"
  authcheck.py authheaders FILE
      python3-authheaders' verdict on the chain of that message
      (authenticate_message with arc only): "ARC RESULT" and
      "REASON text", or "ERROR text" when it raised
"""

import re
import sys

SINK_ENVELOPE = re.compile(rb"^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):")


def resolver():
    """a dnspython resolver that asks the test server only"""
    import os

    import dns.resolver

    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = int(os.environ["E2E_DNS_PORT"])
    r.timeout = 2
    r.lifetime = 3
    r.cache = None
    return r


def read_message(path):
    """the message of a file as Postfix sent it: smtp-sink's envelope
    lines and its own Received field (the first lines) removed"""
    with open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    i = 0
    while i < len(lines) and SINK_ENVELOPE.match(lines[i]):
        i += 1
    if i > 0 and i < len(lines) and lines[i].startswith(b"Received:"):
        j = i + 1
        while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
            j += 1
        if b"by smtp-sink (smtp-sink)" in b"".join(lines[i:j]):
            i = j
    return b"".join(lines[i:])


def header_fields(data):
    """(name, unfolded value) of the top header block"""
    fields = []
    for raw in data.splitlines():
        line = raw.decode("latin-1")
        if line == "":
            break
        if line[0] in " \t" and fields:
            fields[-1][1] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            fields.append([name, value.strip()])
        else:
            break
    return fields


def ar_tokens(value):
    """RFC 8601 tokens: ';', '=', '/', words, quoted strings; comments
    as ('comment', text); white space separates"""
    out, i, n = [], 0, len(value)
    while i < n:
        c = value[i]
        if c.isspace():
            i += 1
        elif c == "(":
            depth, j, text = 1, i + 1, ""
            while j < n and depth:
                if value[j] == "\\" and j + 1 < n:
                    text += value[j + 1]
                    j += 2
                    continue
                if value[j] == "(":
                    depth += 1
                elif value[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                text += value[j]
                j += 1
            out.append(("comment", text))
            i = j + 1
        elif c == '"':
            j, text = i + 1, ""
            while j < n and value[j] != '"':
                if value[j] == "\\" and j + 1 < n:
                    j += 1
                text += value[j]
                j += 1
            out.append(("word", text))
            i = j + 1
        elif c in ";=/":
            out.append(("special", c))
            i += 1
        else:
            j = i
            while j < n and not value[j].isspace() and value[j] not in ';=/()"':
                j += 1
            out.append(("word", value[i:j]))
            i = j
    return out


def parse_ar(value):
    """(authserv-id, [ (method, result, comment, [(prop, value)]) ])"""
    toks = [t for t in ar_tokens(value)]
    words = [t for t in toks if t[0] != "comment"]
    if not words:
        return "", []
    authserv = words[0][1]
    # split the rest at ';'
    groups, cur = [], None
    started = False
    for kind, text in toks:
        if not started:
            if kind == "word" and text == authserv:
                started = True
            continue
        if kind == "special" and text == ";":
            cur = []
            groups.append(cur)
        elif cur is not None:
            cur.append((kind, text))
    results = []
    for g in groups:
        if len(g) == 1 and g[0] == ("word", "none"):
            results.append(("none", "", "", []))
            continue
        # method [/ version] = result [comment] ( reason=v | ptype.prop = v )*
        k = 0
        method = g[k][1]
        k += 1
        if k < len(g) and g[k] == ("special", "/"):
            k += 2
        if k >= len(g) or g[k] != ("special", "="):
            results.append((method, "?", "", []))
            continue
        result = g[k + 1][1] if k + 1 < len(g) else "?"
        k += 2
        comment = ""
        props = []
        while k < len(g):
            kind, text = g[k]
            if kind == "comment":
                comment = comment or text
                k += 1
            elif kind == "word" and k + 2 < len(g) and g[k + 1] == ("special", "="):
                props.append((text, g[k + 2][1]))
                k += 3
            else:
                props.append(("?", text))
                k += 1
        results.append((method, result, comment, props))
    return authserv, results


def parse_rspf(value):
    """(result, [(key, value)]) of a Received-SPF field"""
    toks = ar_tokens(value)
    result = toks[0][1] if toks else ""
    pairs, k = [], 1
    while k < len(toks):
        kind, text = toks[k]
        if kind == "word" and k + 2 < len(toks) and toks[k + 1] == ("special", "="):
            pairs.append((text, toks[k + 2][1]))
            k += 3
        else:
            k += 1
    return result, pairs


def dkim_tags(value):
    tags = {}
    for part in value.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            tags[k.strip()] = re.sub(r"\s+", "", v)
    return tags


def cmd_headers(path):
    data = read_message(path)
    nar = nsig = 0
    for i, (name, value) in enumerate(header_fields(data), 1):
        print("HDR %d %s" % (i, name))
        low = name.lower()
        if low == "authentication-results":
            nar += 1
            authserv, results = parse_ar(value)
            print("AR %d %s" % (nar, authserv))
            for method, result, comment, props in results:
                line = "AR %d %s=%s" % (nar, method, result)
                if comment:
                    line += " (%s)" % comment
                for p, v in props:
                    line += " %s=%s" % (p, v)
                print(line)
        elif low == "received-spf":
            result, pairs = parse_rspf(value)
            print("RSPF %s %s" % (result, " ".join("%s=%s" % kv for kv in pairs)))
        elif low == "dkim-signature":
            nsig += 1
            t = dkim_tags(value)
            print("SIG %d b=%s d=%s s=%s a=%s c=%s" % (nsig, t.get("b", ""), t.get("d", ""),
                                                      t.get("s", ""), t.get("a", ""),
                                                      t.get("c", "simple/simple")))
        elif low == "arc-seal":
            t = dkim_tags(value)
            print("AS %s cv=%s d=%s s=%s a=%s" % (t.get("i", "?"), t.get("cv", ""), t.get("d", ""),
                                                 t.get("s", ""), t.get("a", "")))
        elif low == "arc-message-signature":
            t = dkim_tags(value)
            print("AMS %s d=%s s=%s a=%s c=%s h=%s" % (t.get("i", "?"), t.get("d", ""),
                                                      t.get("s", ""), t.get("a", ""),
                                                      t.get("c", "simple/simple"), t.get("h", "")))
        elif low == "arc-authentication-results":
            inst, _, rest = value.partition(";")
            inst = re.sub(r"\s+", "", inst)
            inst = inst[2:] if inst.lower().startswith("i=") else "?"
            authserv, results = parse_ar(rest)
            print("AAR %s %s" % (inst, authserv))
            for method, result, comment, props in results:
                line = "AAR %s %s=%s" % (inst, method, result)
                if comment:
                    line += " (%s)" % comment
                for p, v in props:
                    line += " %s=%s" % (p, v)
                print(line)


def cmd_spf():
    import dns.resolver
    import spf

    # pyspf keeps its own lookup function (spf.DNSLookup, over
    # dnspython's module-level resolver): point that resolver at the
    # test server
    dns.resolver.default_resolver = resolver()
    for line in sys.stdin:
        ip, sender, helo = line.split()
        if sender == "<>":
            sender = ""
        result, explanation = spf.check2(i=ip, s=sender, h=helo, timeout=3, querytime=3)
        print("%s\t%s" % (result, explanation), flush=True)


def dnsfunc(name, timeout=5):
    """python3-dkim's key lookup, asking the test server"""
    import dns.exception
    import dns.resolver

    if isinstance(name, bytes):
        name = name.decode()
    try:
        answer = resolver().resolve(name, "TXT", raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
        return None
    except dns.exception.Timeout as e:
        import dkim

        raise dkim.DnsTimeoutError(str(e))
    for rdata in answer:
        return b"".join(rdata.strings)
    return None


def cmd_sign(alg, canon, domain, selector, keyfile, headers=None):
    import dkim

    message = sys.stdin.buffer.read()
    with open(keyfile, "rb") as f:
        key = f.read()
    if alg == "ed25519-sha256":
        key = key.strip()
    hcanon, _, bcanon = canon.partition("/")
    include = None
    if headers:
        include = [h.encode() for h in headers.split(":")]
    sig = dkim.sign(message, selector.encode(), domain.encode(), key,
                    canonicalize=(hcanon.encode(), (bcanon or "simple").encode()),
                    signature_algorithm=alg.encode(), include_headers=include,
                    linesep=b"\n")
    sys.stdout.buffer.write(sig + message)


def cmd_verify(path):
    import logging

    import dkim

    message = read_message(path).replace(b"\r\n", b"\n")
    fields = header_fields(message)
    sigs = [v for n, v in fields if n.lower() == "dkim-signature"]
    logging.disable(logging.CRITICAL)
    for i, value in enumerate(sigs):
        d = dkim.DKIM(message, minkey=1024)
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException:
            ok = False
        print("SIG %d b=%s %s" % (i + 1, dkim_tags(value).get("b", ""), "pass" if ok else "fail"))


def cmd_unsink(path):
    sys.stdout.buffer.write(read_message(path))


def cmd_only(path, nth):
    data = read_message(path).replace(b"\r\n", b"\n")
    head, sep, body = data.partition(b"\n\n")
    out, n, keep = [], 0, True
    for line in head.split(b"\n"):
        if line[:1] not in (b" ", b"\t"):
            keep = True
            if line.lower().startswith(b"dkim-signature:"):
                n += 1
                keep = n == int(nth)
        if keep:
            out.append(line)
    sys.stdout.buffer.write(b"\n".join(out) + sep + body)


def cmd_arcsign(selector, domain, keyfile, srv_id):
    import logging

    import dkim

    logging.disable(logging.CRITICAL)
    message = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with open(keyfile, "rb") as f:
        key = f.read()
    fields = dkim.arc_sign(message, selector.encode(), domain.encode(), key, srv_id.encode())
    if not fields:
        sys.stderr.write("arc_sign added no ARC set (no Authentication-Results of %s?)\n" % srv_id)
        return 1
    sys.stdout.buffer.write((b"".join(fields) + message).replace(b"\r\n", b"\n"))
    return 0


def cmd_arcverify(path):
    import logging

    import dkim

    logging.disable(logging.CRITICAL)
    message = read_message(path).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
    name = "ended" if cv is None else cv.decode()
    oldest = 0
    if cv == dkim.CV_Pass and results:
        # results: newest first; the oldest AMS that verifies with every newer one
        for r in results:
            if not r.get("ams-valid"):
                break
            oldest = r["instance"]
    print("ARC %s n=%d oldest-pass=%d" % (name, len(results), oldest))
    print("REASON %s" % reason)


def arc_instance(name, value):
    """the i= of an ARC field (name and value as bytes), or 0"""
    if not name.lower().startswith(b"arc-"):
        return 0
    m = re.search(rb"(?:^|[\s;])i\s*=\s*(\d+)", value)
    return int(m.group(1)) if m else 0


def only_set(message, i):
    """the message without the ARC fields of every instance but i"""
    head, sep, body = message.partition(b"\r\n\r\n")
    out, keep, field = [], True, []
    for line in head.split(b"\r\n") + [b"X-End: ."]:
        if line[:1] in (b" ", b"\t"):
            field.append(line)
            continue
        if field:
            name, _, value = b"\r\n".join(field).partition(b":")
            if arc_instance(name, value) in (0, i):
                out.extend(field)
        field = [line]
    return b"\r\n".join(out) + sep + body


def cmd_arcseals(path):
    import logging

    import dkim

    logging.disable(logging.CRITICAL)
    message = read_message(path).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    top, sets = dkim.ARC(message).sorted_arc_headers()
    for i in range(1, top + 1):
        cv = b"?"
        for n, (name, value) in sets:
            if n == i and name.lower() == b"arc-seal":
                cv = dkim_tags(value.decode("latin-1")).get("cv", "?").encode()
        verdicts = []
        for m in (message, only_set(message, i)):
            a = dkim.ARC(m)
            try:
                ok = a.verify_instance(a.sorted_arc_headers()[1], i, dnsfunc=dnsfunc)["as-valid"]
            except dkim.DKIMException:
                ok = False
            verdicts.append("valid" if ok else "invalid")
        print("AS %d cv=%s chain=%s own=%s" % (i, cv.decode(), verdicts[0], verdicts[1]))


def cmd_authheaders(path):
    import logging

    logging.disable(logging.CRITICAL)
    message = read_message(path).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    try:
        import authheaders

        header = authheaders.authenticate_message(message, "authheaders.test", dkim=False,
                                                  dmarc=False, arc=True, dnsfunc=dnsfunc)
    except Exception as e:  # it raises on a chain that ended (cv=fail): say so
        print("ERROR %s: %s" % (type(e).__name__, e))
        return 0
    _, results = parse_ar(header.split(":", 1)[1])
    for method, result, comment, _ in results:
        if method == "arc":
            print("ARC %s" % result)
            print("REASON %s" % (comment or ""))
    return 0


def main(argv):
    cmds = {"only": (cmd_only, 2, 2), "headers": (cmd_headers, 1, 1), "spf": (cmd_spf, 0, 0),
            "sign": (cmd_sign, 5, 6), "verify": (cmd_verify, 1, 1),
            "unsink": (cmd_unsink, 1, 1), "arcsign": (cmd_arcsign, 4, 4),
            "arcverify": (cmd_arcverify, 1, 1), "arcseals": (cmd_arcseals, 1, 1),
            "authheaders": (cmd_authheaders, 1, 1)}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    fn, lo, hi = cmds[argv[1]]
    if not lo <= len(argv) - 2 <= hi:
        sys.stderr.write(__doc__)
        return 2
    return fn(*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
