#!/usr/bin/env python3
"""A syslog socket for one Cyrus instance: Cyrus logs only to syslog (/dev/log).

Cyrus runs in its own mount namespace where /dev/log is this socket (lib/cyrus-ns.sh), so
each instance's log lands in its own file, as Dovecot's does. Standard library only.

Usage: syslog_sink.py SOCKET LOGFILE
"""

import os
import re
import socket
import sys

sock_path, log_path = sys.argv[1], sys.argv[2]
try:
    os.unlink(sock_path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
os.chmod(sock_path, 0o666)
with open(log_path, "ab", buffering=0) as out:
    while True:
        data = s.recv(65536)
        # `<PRI>Mon DD HH:MM:SS prog[pid]: message`: drop the priority.
        out.write(re.sub(rb"^<\d+>", b"", data).rstrip(b"\n") + b"\n")
