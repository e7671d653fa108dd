#!/usr/bin/python3
"""The operator's `From:` check, as a Postfix milter.

Postfix already refuses an envelope sender (MAIL FROM) that the SASL login may not use
(`reject_sender_login_mismatch`). A real MSSanté operator must also refuse a message whose
`From:` header names a box the authenticated person is not entitled to: otherwise anyone
could write "From: secretariat.cardio@…" without being one of its people. This milter
reads the same owners table (sender address -> logins) and rejects the message at end of
data when the `From:` address is not one the login may use.

Usage: from_check.py HOST PORT OWNERS_JSON LOGFILE   (Debian's python3-milter)
"""

import email.utils
import json
import sys
import time

import Milter

HOST, PORT, OWNERS_JSON, LOGFILE = sys.argv[1:5]
with open(OWNERS_JSON, encoding="utf-8") as f:
    OWNERS = {addr.lower(): {login.lower() for login in logins} for addr, logins in json.load(f).items()}


def log(line):
    with open(LOGFILE, "a", encoding="utf-8") as f:
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")


class FromCheck(Milter.Base):
    def __init__(self):
        self.login = None
        self.froms = []

    @Milter.noreply
    def envfrom(self, mailfrom, *params):
        self.login = (self.getsymval("{auth_authen}") or "").lower()
        self.froms = []
        return Milter.CONTINUE

    @Milter.noreply
    def header(self, name, value):
        if name.lower() == "from":
            self.froms.extend(addr.lower() for _, addr in email.utils.getaddresses([value]) if addr)
        return Milter.CONTINUE

    def eom(self):
        if not self.login:
            return Milter.CONTINUE  # unauthenticated mail never reaches submission
        if not self.froms:
            self.setreply("550", "5.7.1", "Message without a From: header")
            log(f"refused login={self.login} reason=no-from")
            return Milter.REJECT
        refused = [a for a in self.froms if self.login not in OWNERS.get(a, set())]
        if refused:
            self.setreply("550", "5.7.1", f"From: <{refused[0]}> is not a box this login may use")
            log(f"refused login={self.login} from={refused[0]}")
            return Milter.REJECT
        log(f"accepted login={self.login} from={','.join(self.froms)}")
        return Milter.CONTINUE


def main():
    Milter.factory = FromCheck
    Milter.set_flags(0)
    log(f"listening on {HOST}:{PORT}")
    Milter.runmilter("relais-from-check", f"inet:{PORT}@{HOST}", 30)


if __name__ == "__main__":
    main()
