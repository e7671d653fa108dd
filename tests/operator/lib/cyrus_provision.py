#!/usr/bin/env python3
"""Create the boxes of a Cyrus-mode local operator and fill them, through IMAP as the admin.

Cyrus keeps its own storage, so the seed mail that seed.py writes as Maildirs (the Dovecot
mode's format) is imported by APPEND, with its flags and date, and each imported file is
removed. The admin has only `la` on the boxes: messages are appended in a session of the
box's owner, opened by the admin with SASL PLAIN authzid = the box. Standard library only.

  cyrus_provision.py setup  OP_DIR HOST PORT          create every box, its folders and ACLs,
                                                      then import every Maildir under OP_DIR/mail
  cyrus_provision.py import OP_DIR HOST PORT ADDRESS FOLDER
                                                      import one Maildir folder of one box
"""

import imaplib
import json
import os
import pathlib
import socket
import ssl
import sys

# Maildir info letters -> IMAP system flags.
FLAGS = {"S": "\\Seen", "F": "\\Flagged", "R": "\\Answered", "T": "\\Deleted", "D": "\\Draft"}
SPECIAL_USE = {"Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash", "Junk": "\\Junk"}


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check(what, reply):
    typ, data = reply
    if typ != "OK":
        sys.exit(f"cyrus_provision: {what}: {typ} {data!r}")
    return data


def admin_session(op_dir, host, port, as_box=""):
    """A session of the admin, or (as_box) of a box's owner opened by the admin."""
    plan = json.loads((op_dir / "cyrus" / "plan.json").read_text(encoding="utf-8"))
    ctx = ssl.create_default_context(cafile=str(op_dir / "pki" / "roots.pem"))
    imap = imaplib.IMAP4(host, port)
    # APPEND waits for the server's continuation before the message: without TCP_NODELAY,
    # Nagle's algorithm and delayed ACKs cost ~40 ms per message.
    imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    imap.starttls(ssl_context=ctx)
    creds = f"{as_box}\0{plan['admin']}\0{plan['password']}".encode()
    check(f"admin login {as_box}", imap.authenticate("PLAIN", lambda _: creds))
    return imap, plan


def import_folder(imap, maildir, mailbox):
    """APPEND every message of one Maildir folder, then remove the file. Returns the count."""
    files = []
    for sub in ("cur", "new"):
        d = maildir / sub
        if d.is_dir():
            files.extend(p for p in d.iterdir() if p.is_file())
    files.sort(key=lambda p: (p.stat().st_mtime, p.name))
    for path in files:
        info = path.name.split(":2,", 1)[1] if ":2," in path.name else ""
        flags = " ".join(FLAGS[c] for c in info if c in FLAGS)
        date = imaplib.Time2Internaldate(path.stat().st_mtime)
        check(f"APPEND to {mailbox}", imap.append(quote(mailbox), f"({flags})", date, path.read_bytes()))
        path.unlink()
    return len(files)


def setup(op_dir, host, port):
    imap, plan = admin_session(op_dir, host, port)
    for box in plan["boxes"]:
        check(f"CREATE {box['mailbox']}", imap.create(quote(box["mailbox"])))
        for folder, name in box["folders"].items():
            check(f"CREATE {name}", imap._simple_command("CREATE", quote(name), f"(USE ({SPECIAL_USE[folder]}))"))
        for name in [box["mailbox"], *box["folders"].values()]:
            for ident, rights in box["acl"].items():
                check(f"SETACL {name} {ident}", imap.setacl(quote(name), quote(ident), rights))
    imap.logout()
    total = 0
    mail = op_dir / "mail"
    for box in plan["boxes"]:
        local, domain = box["address"].split("@")
        maildir = mail / domain / local / "Maildir"
        if not maildir.is_dir():
            continue
        owner, _ = admin_session(op_dir, host, port, box["address"])
        total += import_folder(owner, maildir, "INBOX")
        for sub in sorted(maildir.iterdir()):
            if sub.is_dir() and sub.name.startswith("."):
                total += import_folder(owner, sub, sub.name[1:])
        owner.logout()
    print(f"cyrus_provision: {len(plan['boxes'])} boxes, {total} messages")


def import_one(op_dir, host, port, address, folder):
    imap, _ = admin_session(op_dir, host, port, address)
    local, domain = address.split("@")
    maildir = op_dir / "mail" / domain / local / "Maildir"
    if folder != "INBOX":
        maildir = maildir / f".{folder}"
    n = import_folder(imap, maildir, folder)
    imap.logout()
    print(f"cyrus_provision: {n} messages into {address} {folder}")


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    cmd, op_dir, host, port = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    if cmd == "setup":
        setup(op_dir, host, port)
    elif cmd == "import" and len(sys.argv) == 7:
        import_one(op_dir, host, port, sys.argv[5], sys.argv[6])
    else:
        sys.exit(__doc__)
