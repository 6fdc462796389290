#!/usr/bin/env python3
"""stub-milter.py - a stand-in for portcullis, to check the e2e rig itself.

Same command line as the daemon (-f -c FILE -p unix:PATH -u USER; -u is
ignored), speaks milter
protocol 6 and lets every message through, logs one key=value line per
event to stderr, removes its socket and exits 0 on SIGTERM:

    tests/e2e/run.sh tests/e2e/stub-milter.py

Not a test of portcullis: only of Postfix, swaks, the sink and lib.sh.
"""

import getopt
import os
import signal
import socketserver
import struct
import sys

CONTINUE = b"c"
NO_REPLY = b"DAK"  # macros, abort, quit-new-connection


def log(**fields):
    """log - write one key=value line to stderr"""
    print(" ".join(f"{k}={v}" for k, v in fields.items()), file=sys.stderr, flush=True)


def read_packet(f):
    """read_packet - return (command, data) or None at end of stream"""
    head = f.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack("!I", head)
    body = f.read(size)
    if len(body) < size or size == 0:
        return None
    return body[:1], body[1:]


def write_packet(f, cmd, data=b""):
    """write_packet - send one reply packet"""
    f.write(struct.pack("!I", len(data) + 1) + cmd + data)
    f.flush()


class Session(socketserver.StreamRequestHandler):
    """Session - one MTA connection: negotiate, then continue on every event"""

    def handle(self):
        while (packet := read_packet(self.rfile)) is not None:
            cmd, data = packet
            if cmd == b"O":
                # Version 6, no actions, no protocol options: every event, every reply.
                write_packet(self.wfile, b"O", struct.pack("!III", 6, 0, 0))
            elif cmd == b"Q":
                return
            elif cmd in NO_REPLY:
                continue
            else:
                if cmd in b"CHMRE":
                    log(event=cmd.decode(), arg=data.split(b"\0")[0].decode(errors="replace"))
                write_packet(self.wfile, CONTINUE)


class Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def main():
    """main - parse the options, serve until SIGTERM"""
    opts, _ = getopt.getopt(sys.argv[1:], "fc:p:u:P:")
    opts = dict(opts)
    conf, sock = opts.get("-c"), opts.get("-p", "")
    if conf is not None:
        open(conf).close()
    if not sock.startswith("unix:"):
        sys.exit("stub-milter: -p unix:PATH required")
    path = sock[len("unix:"):]
    if os.path.exists(path):
        os.unlink(path)
    server = Server(path, Session)

    def stop(signum, frame):
        log(event="stop", signal=signum)
        os.unlink(path)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    log(event="start", socket=sock)
    server.serve_forever()


if __name__ == "__main__":
    main()
