#!/usr/bin/env python3
"""smtp-dialog.py - a scripted SMTP client for the e2e tests.

usage: smtp-dialog.py HOST PORT TIMEOUT < SCRIPT > TRANSCRIPT

For what swaks cannot do: skip HELO, send 8-bit or control bytes, pause
mid-session. Reads the greeting, then runs the script on stdin one line
at a time:

    TEXT            send TEXT + CRLF, read the reply (all its lines)
    @raw LITERAL    send a Python bytes literal (b'EHLO caf\\xe9') + CRLF
    @wait PATH      wait (at most TIMEOUT s) until the file PATH exists
    @sleep SECONDS  pause
    # ...           comment, ignored

After a DATA answered with 354, lines are sent without waiting for a
reply up to the lone ".", whose reply is then read. The transcript has
swaks's form (" -> " sent, "<- " reply, "<** " 4xx/5xx reply, "=== "
notes) so that lib.sh's e2e_reply reads it. Exit status: 0 when the
script ran to its end, 1 when the server closed the connection or a
reply timed out, 2 when the connection failed.
"""

import ast
import os
import socket
import sys
import time


def note(text):
    """note - a line of the transcript, its bytes as they were on the wire"""
    sys.stdout.buffer.write(text.encode("latin-1", "replace") + b"\n")
    sys.stdout.flush()


def shown(data):
    """shown - wire bytes as text, one character per byte (undone by note)"""
    return data.decode("latin-1")


def read_reply(f):
    """read_reply - read one (multi-line) reply; False at EOF"""
    while True:
        line = f.readline()
        if not line:
            note("=== Connection closed by the server.")
            return False
        text = shown(line.rstrip(b"\r\n"))
        mark = "<** " if text[:1] in ("4", "5") else "<-  "
        note(mark + text)
        if len(text) < 4 or text[3] != "-":
            return text


def main():
    """main - run the script"""
    host, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    note(f"=== Trying {host}:{port}...")
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        note(f"=== connect failed: {e}")
        return 2
    note(f"=== Connected to {host}.")
    f = sock.makefile("rb")
    try:
        if not read_reply(f):
            return 1
        indata = False
        for line in sys.stdin.read().splitlines():
            if not indata:
                if line.startswith("#") or not line.strip():
                    continue
                if line.startswith("@wait "):
                    path = line[6:].strip()
                    limit = time.monotonic() + timeout
                    while not os.path.exists(path):
                        if time.monotonic() > limit:
                            note(f"=== gave up waiting for {path}")
                            return 1
                        time.sleep(0.05)
                    continue
                if line.startswith("@sleep "):
                    time.sleep(float(line[7:]))
                    continue
            if line.startswith("@raw "):
                data = ast.literal_eval(line[5:].strip())
            else:
                data = line.encode("latin-1")
            sock.sendall(data + b"\r\n")
            note(" -> " + shown(data))
            if indata and data != b".":
                continue
            reply = read_reply(f)
            if not reply:
                return 1
            indata = data.upper() == b"DATA" and reply.startswith("354")
        return 0
    except socket.timeout:
        note("=== timed out waiting for a reply")
        return 1
    except OSError as e:
        note(f"=== connection error: {e}")
        return 1
    finally:
        sock.close()
        note("=== Connection closed with remote host.")


if __name__ == "__main__":
    sys.exit(main())
