#!/usr/bin/env python3
"""Write the configuration of one local-operator instance from personas.json.

Everything the servers need is derived from the one personas file, so Dovecot, Postfix,
the milter, the OpenID provider and the README can never disagree about who may open
which box. Called by `tests/operator/run start`; standard library only.

Inputs come from the environment (set by `run`): OP_DIR, OP_HOST, OP_MODE, OP_IMAP, OP_UID,
OP_GID, OP_USER, OP_GROUP, OP_NODE, OP_PERSONAS, OP_ANNUAIRE (the operator's Annuaire Santé
extraction, named by the generated profile), OP_REPO and the OP_PORT_* ports.

OP_IMAP chooses the IMAP server family: `dovecot` (default), `poor` (Dovecot advertising only
IMAP4rev1) or `cyrus` (Cyrus IMAP 3.6 unpacked into OP_CYRUS_PREFIX by tests/bin/setup). With
Cyrus, Dovecot still runs, but only its authentication service, which Postfix's submission
server asks (SASL by Dovecot).
"""

import json
import os
import pathlib
import sys

# RFC 4314 rights that let a person send as a box: insert (append to Sent) and post.
SEND_RIGHTS = set("i")


def env(name):
    value = os.environ.get(name)
    if value is None:
        sys.exit(f"configure.py: {name} is not set")
    return value


DIR = pathlib.Path(env("OP_DIR"))
HOST = env("OP_HOST")
MODE = env("OP_MODE")
IMAP = os.environ.get("OP_IMAP", "dovecot")
CYRUS_PREFIX = os.environ.get("OP_CYRUS_PREFIX", "/opt/relais-cyrus")
# Cyrus: the server name is also the SASL realm of a login without a domain (sophie.bernard).
CYRUS_SERVERNAME = "mx.operateur-demo.test"
# Logins without a domain belong to this (Cyrus virtual-domain) default domain.
CYRUS_DEFAULT_DOMAIN = "operateur-demo.test"
CYRUS_ADMIN = "relais-admin"
PERSONAS = json.loads(pathlib.Path(env("OP_PERSONAS")).read_text(encoding="utf-8"))
PORT = {k[len("OP_PORT_"):].lower(): int(v) for k, v in os.environ.items() if k.startswith("OP_PORT_")}


def write(path, text, mode=0o644):
    path = DIR / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)


def maildir_home(address):
    local, domain = address.split("@")
    return DIR / "mail" / domain / local


people = {p["id"]: p for p in PERSONAS["people"]}
boxes = PERSONAS["boxes"]
password = PERSONAS["password"]


def members_of(box):
    """(person, rights) pairs of an organisational box."""
    return [(people[pid], rights) for pid, rights in box.get("members", {}).items()]


# ---------------------------------------------------------------- Dovecot
def dovecot_users():
    # userdb: every box that can receive mail. Unknown addresses are refused at LMTP,
    # so Postfix bounces them with a DSN, as a real operator does.
    userdb = []
    passdb = []
    for box in boxes:
        home = maildir_home(box["address"])
        userdb.append(f'{box["address"]}:::::{home}::')
        # Only a box that is someone's own (or a patient's) has a password of its own.
        # Organisational and applicative boxes are opened by people, never by a shared secret:
        # they are listed (a delegated login looks the box up) with a hash nothing matches.
        if box["kind"] in ("nominative", "patient"):
            passdb.append(f'{box["address"]}:{{PLAIN}}{password}::::::')
        else:
            passdb.append(f'{box["address"]}:{{CRYPT}}*::::::')
    write("dovecot/userdb", "\n".join(userdb) + "\n")
    write("dovecot/passwd", "\n".join(passdb) + "\n", 0o640)

    # One master file per organisational box, looked up by %{login_user}: the people who
    # may open that box with their own credentials (SASL PLAIN, authzid = the box).
    masters = DIR / "dovecot" / "masters"
    masters.mkdir(parents=True, exist_ok=True)
    for box in boxes:
        if box["kind"] != "organisational":
            continue
        lines = [f'{person["login"]}:{{PLAIN}}{password}::::::' for person, _ in members_of(box)]
        write(f'dovecot/masters/{box["address"]}', "\n".join(lines) + "\n", 0o640)


def dovecot_acls():
    """One dovecot-acl file per mailbox of each organisational box: per-person rights."""
    for box in boxes:
        if box["kind"] != "organisational":
            continue
        acl = "".join(f'user={person["login"]} {rights}\n' for person, rights in members_of(box))
        maildir = maildir_home(box["address"]) / "Maildir"
        for folder in ["", ".Sent", ".Drafts", ".Trash", ".Junk"]:
            (maildir / folder).mkdir(parents=True, exist_ok=True)
            (maildir / folder / "dovecot-acl").write_text(acl, encoding="utf-8")


def dovecot_conf():
    shared_ns = ""
    if MODE == "shared":
        # Operators that publish service boxes as an IMAP shared namespace (RFC 2342):
        # a person logs into their own box and finds shared/<box>/… listed, with their
        # RFC 4314 rights from the box's ACL.
        shared_ns = f"""
namespace shared {{
  type = shared
  separator = /
  prefix = shared/%%u/
  location = maildir:%%h/Maildir:INDEXPVT=~/Maildir/shared/%%u
  subscriptions = no
  list = children
}}
mail_shared_explicit_inbox = yes
"""
    # With Cyrus as the IMAP server, Dovecot only authenticates Postfix's submission clients.
    protocols = "none" if IMAP == "cyrus" else "imap lmtp"
    # The capability-poor server: Dovecot advertising plain IMAP4rev1 after login (no
    # CONDSTORE, QRESYNC, IDLE, MOVE, NAMESPACE, ACL, LIST-STATUS, SPECIAL-USE, UIDPLUS...).
    poor = "\n  imap_capability = IMAP4rev1" if IMAP == "poor" else ""
    conf = f"""# Generated by tests/operator/lib/configure.py — one local MSSanté operator instance.
protocols = {protocols}
listen = {HOST}
base_dir = {DIR}/dovecot/run
state_dir = {DIR}/dovecot/state
instance_name = relais-operator-{PORT['imap']}
log_path = {DIR}/logs/dovecot.log
info_log_path = {DIR}/logs/dovecot.log
debug_log_path = {DIR}/logs/dovecot.log

# Runs unprivileged: every process is the instance user.
default_internal_user = {env('OP_USER')}
default_internal_group = {env('OP_GROUP')}
default_login_user = {env('OP_USER')}
first_valid_uid = {env('OP_UID')}
last_valid_uid = {env('OP_UID')}
mail_uid = {env('OP_UID')}
mail_gid = {env('OP_GID')}

ssl = required
ssl_cert = <{DIR}/pki/server-chain.pem
ssl_key = <{DIR}/pki/server.key
ssl_dh = </usr/share/dovecot/dh.pem
ssl_min_protocol = TLSv1.2
ssl_prefer_server_ciphers = yes
disable_plaintext_auth = yes

auth_mechanisms = plain login xoauth2 oauthbearer
auth_verbose = yes
auth_failure_delay = 0
auth_cache_size = 0
# The login line names the box (user) and, for a delegated login, the person (master).
login_log_format_elements = user=<%{{user}}> person=<%{{orig_user}}> method=%m rip=%r lip=%l mpid=%e %c session=<%{{session}}>

# XOAUTH2 / OAUTHBEARER: the token is checked by a Lua passdb that asks the OpenID
# provider's keys, then the person's entitlement to the box named by user=.
passdb {{
  driver = lua
  args = file={DIR}/dovecot/auth.lua blocking=yes
}}
# A person's own box, with their password.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {DIR}/dovecot/passwd
}}
# A person opening an organisational box with their own password (authzid = box):
# allowed only if the person is listed in that box's file.
passdb {{
  driver = passwd-file
  master = yes
  pass = yes
  args = scheme=PLAIN {DIR}/dovecot/masters/%{{login_user}}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {DIR}/dovecot/userdb
  default_fields = uid={env('OP_UID')} gid={env('OP_GID')}
}}

mail_location = maildir:~/Maildir
mail_plugins = acl
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
}}
{shared_ns}
plugin {{
  sieve_before = {DIR}/dovecot/sieve/dedupe.sieve
  sieve_duplicate_default_period = 1d
  acl = vfile
  acl_defaults_from_inbox = yes
  acl_shared_dict = file:{DIR}/dovecot/state/shared-mailboxes.db
}}
protocol imap {{{poor}
  mail_plugins = $mail_plugins imap_acl
  mail_max_userip_connections = 50
}}
protocol lmtp {{
  postmaster_address = postmaster@operateur-demo.test
  # Sieve before delivery: a message whose Message-ID this box already received is not
  # delivered twice (RFC 7352 `duplicate`, dedupe.sieve). A client that lost the server's
  # reply after DATA sends again with the same Message-ID; the box keeps one copy.
  mail_plugins = $mail_plugins sieve
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {PORT['imap']}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {PORT['imaps']}
    ssl = yes
  }}
}}
service imap-urlauth-login {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
service submission-login {{
  chroot =
}}
service managesieve-login {{
  chroot =
}}
service anvil {{
  chroot =
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {PORT['lmtp']}
  }}
}}
service auth-worker {{
  # The Lua passdb runs the token checker (node), which reserves far more virtual memory
  # than Dovecot's default 256 MB limit.
  vsz_limit = 0
}}
service auth {{
  # Postfix's submission server authenticates through this socket (SASL by Dovecot).
  inet_listener auth {{
    address = {HOST}
    port = {PORT['auth']}
  }}
}}
"""
    write("dovecot/dovecot.conf", conf)
    # One copy per box of a Message-ID (see `protocol lmtp` above); a message without a
    # Message-ID is always delivered.
    write("dovecot/sieve/dedupe.sieve", """require ["duplicate"];
if allof (exists "message-id", duplicate :header "message-id") {
  discard;
  stop;
}
""")


def auth_lua():
    node = env("OP_NODE")
    checker = DIR / "dovecot" / "check-token.mjs"
    lua = f"""-- Generated by tests/operator/lib/configure.py.
-- XOAUTH2 / OAUTHBEARER: Dovecot hands us the bearer token as the password. We let the
-- token checker verify its signature, issuer and expiry against the provider's keys and
-- the person's entitlement to the box (user=), and log which person opened which box.
local NODE = "{node}"
local CHECKER = "{checker}"
local JWKS = "{DIR}/oidc/jwks.json"
local PERSONAS = "{DIR}/personas.json"
local ISSUER = "https://{HOST}:{PORT['oidc']}"
local TOKENS = "{DIR}/dovecot/tokens"

local function shell_quote(s)
  return "'" .. string.gsub(s, "'", "'\\\\''") .. "'"
end

function auth_passdb_lookup(req)
  return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, ""
end

function auth_password_verify(req, pass)
  if req.mech ~= "XOAUTH2" and req.mech ~= "OAUTHBEARER" then
    return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, ""
  end
  local path = string.format("%s/%d-%d", TOKENS, os.time(), math.random(1, 1000000000))
  local f = io.open(path, "w")
  if f == nil then
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "cannot write token file"
  end
  f:write(pass)
  f:close()
  local cmd = string.format("%s %s %s %s %s %s %s 2>&1", NODE, CHECKER, JWKS, PERSONAS, ISSUER,
    shell_quote(req.user), path)
  local p = io.popen(cmd, "r")
  local out = p:read("*a") or ""
  local ok = p:close()
  os.remove(path)
  out = string.gsub(out, "%s+$", "")
  if ok then
    req:log_info(string.format("oauth2 login: box=%s %s", req.user, out))
    return dovecot.auth.PASSDB_RESULT_OK, ""
  end
  req:log_info(string.format("oauth2 refused: box=%s reason=%s", req.user, out))
  return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, out
end
"""
    write("dovecot/auth.lua", lua)
    (DIR / "dovecot" / "tokens").mkdir(parents=True, exist_ok=True)
    os.chmod(DIR / "dovecot" / "tokens", 0o700)


# ---------------------------------------------------------------- Cyrus IMAP
def cyrus_mailbox(address, folder=None):
    """The administrator's name of a box's folder (virtual domains, `/` separator)."""
    local, domain = address.split("@")
    return f"user/{local}{'/' + folder if folder else ''}@{domain}"


def cyrus_conf():
    """Cyrus IMAP 3.6 as an operator would run it for MSSanté: one virtual domain per
    organisation, the organisational boxes shared with their members by RFC 4314 ACLs and
    reached through the "Other Users" namespace (RFC 2342), cross-domain sharing on (an EHPAD
    box can be shared with a person of another domain), a delegated login (SASL PLAIN with
    the box as authorisation identity) allowed to whoever holds the `a` right on the box
    (`loginuseacl`), passwords in a sasldb, delivery by LMTP."""
    c = DIR / "cyrus"
    bin_dir = f"{CYRUS_PREFIX}/usr/lib/cyrus/bin"
    conf_path = c / "imapd.conf"
    imapd = f"""# Generated by tests/operator/lib/configure.py — Cyrus IMAP of one local operator instance.
configdirectory: {c}/config
partition-default: {c}/spool
cyrus_user: {env('OP_USER')}
cyrus_group: {env('OP_GROUP')}
servername: {CYRUS_SERVERNAME}
syslog_prefix: relais-cyrus-{PORT['imap']}
admins: {CYRUS_ADMIN}

virtdomains: userid
defaultdomain: {CYRUS_DEFAULT_DOMAIN}
crossdomains: 1
crossdomains_onlyother: 1
unixhierarchysep: 1
altnamespace: 1
loginuseacl: 1
specialusealways: 1
duplicatesuppression: 1
lmtp_downcase_rcpt: 1

allowplaintext: 0
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {c}/sasldb2
sasl_mech_list: PLAIN LOGIN
tls_server_cert: {DIR}/pki/server-chain.pem
tls_server_key: {DIR}/pki/server.key
tls_versions: tls1_2 tls1_3
"""
    cmd = lambda prog, args="": f'{bin_dir}/{prog} -C {conf_path}{" " + args if args else ""}'
    cyrus = f"""# Generated by tests/operator/lib/configure.py.
START {{
  recover cmd="{cmd('ctl_cyrusdb', '-r')}"
}}
SERVICES {{
  imap  cmd="{cmd('imapd')}" listen="{HOST}:{PORT['imap']}" prefork=0
  imaps cmd="{cmd('imapd', '-s')}" listen="{HOST}:{PORT['imaps']}" prefork=0
  lmtp  cmd="{cmd('lmtpd', '-a')}" listen="{HOST}:{PORT['lmtp']}" prefork=0
}}
EVENTS {{
  checkpoint cmd="{cmd('ctl_cyrusdb', '-c')}" period=30
}}
DAEMON {{
  # Tells IDLE sessions at once of changes made by other sessions (else they poll each minute).
  idled cmd="{cmd('idled')}"
}}
"""
    write("cyrus/imapd.conf", imapd)
    write("cyrus/cyrus.conf", cyrus)
    # Who logs in with a password (sasldb): every person, and the boxes that are someone's
    # own (a person's or a patient's). Organisational boxes have no password: they are opened
    # by delegated login or through the shared namespace. One line: realm, user, password.
    users = [(CYRUS_SERVERNAME, CYRUS_ADMIN)]
    logins = {p["login"] for p in PERSONAS["people"]}
    logins |= {b["address"] for b in boxes if b["kind"] in ("nominative", "patient")}
    for login in sorted(logins):
        local, _, domain = login.partition("@")
        users.append((domain or CYRUS_SERVERNAME, local))
    write("cyrus/sasl-users", "".join(f"{r} {u} {password}\n" for r, u in users), 0o600)
    # What the provisioning script creates once Cyrus runs (lib/cyrus_provision.py).
    plan = {
        "admin": CYRUS_ADMIN,
        "password": password,
        "boxes": [
            {
                "address": b["address"],
                "mailbox": cyrus_mailbox(b["address"]),
                "folders": {f: cyrus_mailbox(b["address"], f) for f in ("Sent", "Drafts", "Trash", "Junk")},
                # RFC 4314 ACL entries: identifier = the person's login (a login without a
                # domain is in the default domain, shared across domains by `crossdomains`).
                "acl": {person["login"]: rights for person, rights in members_of(b)},
            }
            for b in boxes
        ],
    }
    write("cyrus/plan.json", json.dumps(plan, indent=2, ensure_ascii=False), 0o600)


# ---------------------------------------------------------------- Postfix
def postfix():
    domains = " ".join(PERSONAS["domains"])
    main = f"""# Generated by tests/operator/lib/configure.py — the operator's submission server.
compatibility_level = 3.6
queue_directory = {DIR}/postfix/spool
data_directory = {DIR}/postfix/data
maillog_file = {DIR}/logs/postfix.log
maillog_file_prefixes = {DIR}/logs
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.operateur-demo.test
mydomain = operateur-demo.test
myorigin = $myhostname
mydestination =
# The only inet listener is the submission service, bound to {HOST} in master.cf. (Postfix
# refuses {HOST} here: it is not an address configured on an interface, only routed by lo.)
inet_interfaces = all
inet_protocols = ipv4
mynetworks =
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = yes
message_size_limit = 73400320
# The trust space of this operator: its own domains. Delivery goes to Dovecot by LMTP;
# an unknown mailbox is refused there and bounced to the sender with a DSN.
virtual_mailbox_domains = {domains}
virtual_transport = lmtp:inet:{HOST}:{PORT['lmtp']}
default_transport = error:5.1.2 destination hors de l'operateur de demonstration
relay_transport = error:5.1.2 destination hors de l'operateur de demonstration
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:{HOST}:{PORT['auth']}
smtpd_sender_login_maps = texthash:{DIR}/postfix/sender_login
smtpd_tls_cert_file = {DIR}/pki/server-chain.pem
smtpd_tls_key_file = {DIR}/pki/server.key
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtpd_milters = inet:{HOST}:{PORT['milter']}
milter_default_action = tempfail
delay_warning_time = 0
bounce_queue_lifetime = 0
maximal_queue_lifetime = 1h
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
"""
    master = f"""# Generated by tests/operator/lib/configure.py. Nothing chrooted: the instance lives in its own folder.
{HOST}:{PORT['submission']} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_sender_restrictions=reject_sender_login_mismatch
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""
    write("postfix/main.cf", main)
    write("postfix/master.cf", master)

    # Who may use which sender address: the box's own login, and every person entitled
    # to send as that box. Postfix checks MAIL FROM with it; the milter checks From:.
    owners = {}
    for box in boxes:
        logins = owners.setdefault(box["address"], [])
        if box["kind"] in ("nominative", "patient"):
            logins.append(box["address"])
        if box["kind"] == "organisational":
            logins.append(box["address"])  # a delegated login (authzid or XOAUTH2 user=)
            for person, rights in members_of(box):
                if SEND_RIGHTS <= set(rights):
                    logins.append(person["login"])
    write("postfix/sender_login", "".join(f"{addr} {', '.join(l)}\n" for addr, l in owners.items()))
    write("postfix/sender_login.json", json.dumps(owners, indent=2, ensure_ascii=False))


# ---------------------------------------------------------------- Relais profile
def operator_profile():
    orgs = [b["address"] for b in boxes if b["kind"] == "organisational"]
    org_list = ", ".join(f'"{a}"' for a in orgs)
    # The operator's directory names of its shared boxes (shown in the box list and From:).
    names = "\n".join(f'"{b["address"]}" = "{b["display_name"]}"' for b in boxes if b["kind"] in ("organisational", "applicative"))
    profile = f"""# Operator profile of this local demo operator instance (generated).
name = "Opérateur de démonstration"
[imap]
host = "{HOST}"
port = {PORT['imap']}
security = "starttls"
[submission]
host = "{HOST}"
port = {PORT['submission']}
security = "starttls"
[tls]
trust_anchors = "pki/roots.pem"
[pro_sante_connect]
issuer = "https://{HOST}:{PORT['oidc']}"
client_id = "relais"
[boxes]
organisational = [{org_list}]
[boxes.names]
{names}
[annuaire]
extraction = "{env('OP_ANNUAIRE')}"
"""
    write("operator.toml", profile)


def main():
    write("personas.json", json.dumps(PERSONAS, ensure_ascii=False, indent=2))
    dovecot_users()
    dovecot_acls()
    dovecot_conf()
    auth_lua()
    if IMAP == "cyrus":
        cyrus_conf()
    postfix()
    operator_profile()


if __name__ == "__main__":
    main()
