#!/usr/bin/env python3
"""Test users for the SIP benchmark, written for both servers and for sipp.

Contract: write_users(outdir, realm, count, first) creates in outdir
  kamailio-db/version, kamailio-db/ha1   db_text tables that Kamailio's
                                         htable module loads at start-up
                                         (key = user, value = HA1 MD5)
  provisioning.xml                       records ext/<number> for
                                         `bulwarkctl store import`
  users.csv                              sipp injection file (SEQUENTIAL)
and returns the list of (user, password). Passwords are random per call
so no secret lives in the repository; only HA1 values reach the servers,
as bulwarkd stores them. realm must be bulwarkd's system name and the From
domain sipp uses, or digests will not match.

Command line: gen_users.py OUTDIR REALM [COUNT [FIRST]]
"""
import hashlib, json, os, secrets, sys
from xml.sax.saxutils import escape, quoteattr


def ha1(user, realm, password, algo):
    return hashlib.new(algo, ("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _kamailio_tables(dbdir, realm, users):
    os.makedirs(dbdir, exist_ok=True)
    # htable checks the version of its table (2 in Kamailio 5.x).
    _write(os.path.join(dbdir, "version"),
           "table_name(string) table_version(int)\nha1:2\n")
    rows = ["id(int,auto) key_name(string) key_type(int) value_type(int) "
            "key_value(string) expires(int)"]
    for i, (user, pw) in enumerate(users, 1):
        # value_type 0 = string; expires 0 = never
        rows.append("%d:%s:0:0:%s:0" % (i, user, ha1(user, realm, pw, "md5")))
    _write(os.path.join(dbdir, "ha1"), "\n".join(rows) + "\n")


def provisioning_record(key, value):
    return "  <record key=%s>%s</record>\n" % (quoteattr(key), escape(json.dumps(value)))


def _bulwark_provisioning(path, realm, users):
    out = ["<provisioning>\n"]
    for user, pw in users:
        out.append(provisioning_record("ext/" + user, {
            "name": "Bench " + user, "sip_user": user,
            "ha1_md5": ha1(user, realm, pw, "md5"),
            "ha1_sha256": ha1(user, realm, pw, "sha256"),
            "srtp": "off", "max_contacts": 1}))
    out.append("</provisioning>\n")
    _write(path, "".join(out))


def _sipp_csv(path, users):
    lines = ["SEQUENTIAL"]
    for user, pw in users:
        lines.append("%s;[authentication username=%s password=%s]" % (user, user, pw))
    _write(path, "\n".join(lines) + "\n")


def write_users(outdir, realm, count=1000, first=100001):
    if not 1 <= count <= 100000:
        raise ValueError("gen_users: count %d out of range 1..100000" % count)
    users = [(str(first + i), "pw-" + secrets.token_hex(8)) for i in range(count)]
    os.makedirs(outdir, exist_ok=True)
    _kamailio_tables(os.path.join(outdir, "kamailio-db"), realm, users)
    _bulwark_provisioning(os.path.join(outdir, "provisioning.xml"), realm, users)
    _sipp_csv(os.path.join(outdir, "users.csv"), users)
    os.chmod(os.path.join(outdir, "users.csv"), 0o600)
    return users


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: gen_users.py OUTDIR REALM [COUNT [FIRST]]")
    n = write_users(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:5]))
    print("gen_users: wrote %d users to %s" % (len(n), sys.argv[1]))
