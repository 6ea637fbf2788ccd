#!/usr/bin/env python3
"""Crash test of the store: kill -9 a writer at random moments, then check
that every record it acknowledged (printed after bw_store_put returned) is
on disk, intact, with its revision, and that the audit chain still verifies
after each crash. The writer is tests/unit/store_writer."""
import os, random, shutil, signal, sqlite3, subprocess, sys, tempfile, time

from bwtest import Tap, build

ROUNDS = 6


def value_for(key):
    return ("value-of-%s;" % key) * 4


def run_round(t, writer, db, rnd, rng):
    prefix = "r%d" % rnd
    p = subprocess.Popen([writer, "write", db, prefix, "100000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked = []
    want = rng.randint(1, 120)
    while len(acked) < want:
        line = p.stdout.readline()
        if not line:
            break
        acked.append(line.split())
    # a random moment after the last line we waited for
    time.sleep(rng.uniform(0, 0.03))
    p.send_signal(signal.SIGKILL)
    rest, err = p.communicate()
    acked += [l.split() for l in rest.splitlines() if l.strip()]
    t.ok(p.returncode == -signal.SIGKILL and len(acked) >= want,
         "round %d: writer killed by SIGKILL after %d acknowledged puts" % (rnd, len(acked)),
         "rc=%s stderr=%s" % (p.returncode, err))
    return acked


def check_acked(t, db, rnd, acked_all):
    con = sqlite3.connect(db)
    try:
        rows = dict((k, (v, r)) for k, v, r in
                    con.execute("SELECT key, value, revision FROM records"))
        store_rev = int(con.execute("SELECT value FROM meta WHERE name='revision'").fetchone()[0])
    finally:
        con.close()
    bad = []
    for rev, key in acked_all:
        got = rows.get(key)
        if got is None:
            bad.append("%s (revision %s) missing" % (key, rev))
        elif bytes(got[0]) != value_for(key).encode() or got[1] != int(rev):
            bad.append("%s differs: %r@%s" % (key, bytes(got[0])[:40], got[1]))
    t.ok(not bad, "round %d: all %d acknowledged records present and intact"
         % (rnd, len(acked_all)), "\n".join(bad[:10]))
    top = max(int(r) for r, _ in acked_all) if acked_all else 0
    t.ok(store_rev >= top, "round %d: store revision %d covers the last acknowledged %d"
         % (rnd, store_rev, top))


def main():
    t = Tap()
    writer = build("tests/unit/store_writer")
    seed = int(os.environ.get("BW_CRASH_SEED", random.randrange(1 << 30)))
    t.diag("seed %d (set BW_CRASH_SEED to replay)" % seed)
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="bwcrash-")
    try:
        db = os.path.join(tmp, "store.db")
        acked_all = []
        for rnd in range(ROUNDS):
            acked_all += run_round(t, writer, db, rnd, rng)
            check_acked(t, db, rnd, acked_all)
            c = subprocess.run([writer, "check", db], capture_output=True, text=True)
            t.ok(c.returncode == 0 and "audit ok" in c.stdout,
                 "round %d: store reopens and the audit chain verifies" % rnd,
                 c.stdout + c.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
