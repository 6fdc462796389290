#!/usr/bin/python3
"""arc_make - the ARC fixtures of check_dkim, made by an independent
implementation (python3-dkim's arc_sign) and checked by its arc_verify.

Two sealers (sealer1.test, sealer2.test) with new RSA-2048 keys (made
with openssl into a temporary directory; only their public halves are
kept, in arc.zone). A message from example.org is sealed by sealer1
(arc_one.eml); a list rewrites its Subject and adds a footer, then
sealer2 seals it (arc_two.eml: the chain passes, AMS(1) no longer
does). arc_body.eml changes the body after the second seal, arc_aar.eml
the first hop's ARC-Authentication-Results. Files are written with LF
line ends, as the other fixtures. Run from this directory:
    /usr/bin/python3 arc_make.py
"""
import base64
import os
import subprocess
import tempfile

import dkim


def key(tmp, name):
    pem = os.path.join(tmp, name + '.pem')
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt',
                    'rsa_keygen_bits:2048', '-out', pem], check=True,
                   capture_output=True)
    rsa = subprocess.run(['openssl', 'rsa', '-in', pem, '-traditional'],
                         check=True, capture_output=True).stdout
    der = subprocess.run(['openssl', 'pkey', '-in', pem, '-pubout',
                          '-outform', 'DER'], check=True,
                         capture_output=True).stdout
    return rsa, base64.b64encode(der).decode()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        k1, p1 = key(tmp, 'k1')
        k2, p2 = key(tmp, 'k2')
    records = {'arc1._domainkey.sealer1.test.': 'v=DKIM1; k=rsa; p=' + p1,
               'arc2._domainkey.sealer2.test.': 'v=DKIM1; k=rsa; p=' + p2}

    def dnsfunc(name, timeout=5):
        name = name.decode()
        name = name if name.endswith('.') else name + '.'
        txt = records.get(name)
        return txt.encode() if txt else None

    msg = (b"Authentication-Results: mx.sealer1.test; dkim=none;"
           b" spf=pass smtp.mailfrom=alice@example.org;"
           b" dmarc=pass header.from=example.org\r\n"
           b"From: Alice <alice@example.org>\r\n"
           b"To: list@sealer1.test\r\n"
           b"Subject: an ARC test\r\n"
           b"Date: Tue, 08 Dec 2026 03:00:00 +0000\r\n"
           b"Message-ID: <arc-1@example.org>\r\n"
           b"\r\n"
           b"Hello,\r\n\r\nthis message is forwarded twice.\r\n")
    ts = 1796000000
    m1 = b''.join(dkim.arc_sign(msg, b'arc1', b'sealer1.test', k1,
                                b'mx.sealer1.test', timestamp=ts)) + msg
    m1b = m1.replace(b"Subject: an ARC test",
                     b"Subject: [list] an ARC test")
    m1b = (b"Authentication-Results: mx.sealer2.test; arc=pass;"
           b" dmarc=fail header.from=example.org\r\n" + m1b +
           b"-- \r\nlist footer\r\n")
    m2 = b''.join(dkim.arc_sign(m1b, b'arc2', b'sealer2.test', k2,
                                b'mx.sealer2.test', timestamp=ts + 60)) + m1b
    body = m2.replace(b"forwarded twice", b"forwarded thrice")
    aar = m2.replace(b"dmarc=pass header.from=example.org",
                     b"dmarc=pass header.from=evil.test", 1)
    for name, m, want in (('arc_one.eml', m1, b'pass'),
                          ('arc_two.eml', m2, b'pass'),
                          ('arc_body.eml', body, b'fail'),
                          ('arc_aar.eml', aar, b'fail')):
        cv, _, comment = dkim.arc_verify(m, dnsfunc=dnsfunc)
        assert cv == want, (name, cv, comment)
        with open(name, 'wb') as f:
            f.write(m.replace(b'\r\n', b'\n'))
    with open('arc.zone', 'w') as f:
        f.write("; made by arc_make.py: the ARC sealers' keys"
                " (python3-dkim's arc_sign)\n")
        for name, txt in records.items():
            parts = [txt[i:i + 200] for i in range(0, len(txt), 200)]
            f.write('%s IN TXT %s\n' % (
                name, ' '.join('"%s"' % p for p in parts)))


if __name__ == '__main__':
    main()
