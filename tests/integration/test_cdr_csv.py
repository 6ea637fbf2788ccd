#!/usr/bin/env python3
"""plugins/cdr-csv end to end: call.ended events emitted with `bulwarkctl
emit` become rows of DATA_DIR/cdr/cdr-YYYY-MM-DD.csv (TZ=UTC, dated by
`end`): the header, RFC 4180 quoting of a field holding a comma, a quote
and a newline, a neutralised formula, no row for other call.* events, modes
0750/0640; and a write that fails publishes cdr.write.failed."""
import csv, io, os, stat, time
from bwtest import Tap, Daemon

COLUMNS = ["call_id", "start", "answer", "end", "duration", "billsec", "caller",
           "caller_name", "callee", "dialed", "trunk", "disposition", "cause",
           "account_code", "secure"]
END = 1772402370                 # 2026-03-01 21:59:30 UTC
DAY_FILE = "cdr-2026-03-01.csv"
NASTY = 'Smith, "Al"\nsecond line'


def read_rows(path):
    try:
        with open(path, newline="") as f:
            text = f.read()
    except OSError:
        return None, None
    return text, list(csv.reader(io.StringIO(text, newline="")))


def wait_rows(path, n, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        text, rows = read_rows(path)
        if rows is not None and len(rows) >= n:
            return text, rows
        time.sleep(0.05)
    return read_rows(path)


def emit_call(d, **fields):
    args = ["%s=%s" % kv for kv in fields.items()]
    return d.ctl("emit", "call.ended", *args)


t = Tap()
with Daemon(t, modules='<module name="cdr-csv" keep-days="30"/>', env={"TZ": "UTC"}) as d:
    cdr_dir = os.path.join(d.datadir, "cdr")
    path = os.path.join(cdr_dir, DAY_FILE)
    rc, out, err = d.ctl("modules")
    t.ok(rc == 0 and any("cdr-csv" in l.split() and "running" in l for l in out.splitlines()),
         "cdr-csv is running", out + err)

    rc1 = emit_call(d, call_id="c1", start=END - 70, answer=END - 65, end=END,
                    duration=70, billsec=65, caller=100, callee=200,
                    disposition="ANSWERED", secure="srtp")[0]
    # not a record: only call.ended is written
    d.ctl("emit", "call.answered", "call_id=c-noise", "caller=999")
    rc2 = emit_call(d, call_id="c2", end=END + 5, caller="=HYPERLINK(\"http://x\")",
                    caller_name=NASTY, callee=200, account_code="-42")[0]
    t.ok(rc1 == 0 and rc2 == 0, "bulwarkctl emit call.ended twice")
    text, rows = wait_rows(path, 3)
    t.ok(rows is not None and rows[0] == COLUMNS, "the day file starts with the header",
         repr(text))
    want1 = ["c1", str(END - 70), str(END - 65), str(END), "70", "65", "100", "",
             "200", "", "", "ANSWERED", "", "", "srtp"]
    want2 = ["c2", "", "", str(END + 5), "", "", "'=HYPERLINK(\"http://x\")",
             NASTY, "200", "", "", "", "", "'-42", ""]
    t.ok(rows is not None and len(rows) == 3 and rows[1] == want1,
         "first record has every column in place", repr(rows))
    t.ok(rows is not None and len(rows) == 3 and rows[2] == want2,
         "second record: quoting round-trips, formulas neutralised", repr(rows))
    t.ok(text is not None and '"Smith, ""Al""\nsecond line"' in text
         and text.endswith("\r\n") and text.count("\r\n") == 3,
         "RFC 4180 on disk: quoted field, doubled quotes, CRLF line ends", repr(text))
    t.ok(not any("c-noise" in l for l in (text or "").splitlines()),
         "call.answered wrote nothing")
    st_dir, st_file = os.stat(cdr_dir), os.stat(path) if os.path.exists(path) else None
    t.ok(stat.S_IMODE(st_dir.st_mode) == 0o750 and st_file is not None
         and stat.S_IMODE(st_file.st_mode) == 0o640,
         "directory created 0750, day file 0640",
         "dir %o file %s" % (st_dir.st_mode, st_file and oct(st_file.st_mode)))

    # A day file that cannot be written: a directory stands in its place.
    os.mkdir(os.path.join(cdr_dir, "cdr-2023-11-14.csv"))
    ev = d.events("cdr.*")
    try:
        ok = False
        for i in range(50):   # until the stream is live and the failure seen
            emit_call(d, call_id="bad%d" % i, end=1700000000)
            if ev.wait_for(lambda l: "cdr.write.failed" in l, 0.2):
                ok = True
                break
        t.ok(ok and any("cdr-2023-11-14.csv" in l for l in ev.seen),
             "a failed write publishes cdr.write.failed naming the file", "\n".join(ev.seen))
        emit_call(d, call_id="bad-x", end=1700000000)
        emit_call(d, call_id="bad-y", end=1700000000)
        more = [ev.wait_for(lambda l, c=c: "cdr.write.failed" in l and c in l, 10)
                for c in ("bad-x", "bad-y")]
        t.ok(all(more), "every failed write publishes its own event", "\n".join(ev.seen))
    finally:
        ev.close()
    log = d.output()
    own = [l for l in log.splitlines() if "[cdr-csv]" in l and "cannot open" in l]
    t.ok(len(own) == 1,
         "the failure is logged once (at most once a minute)", log)
    text, rows = read_rows(path)
    t.ok(rows is not None and len(rows) == 3, "the good day file is untouched", repr(rows))
    t.ok(d.stop() == 0, "bulwarkd stops cleanly (the writer thread is joined)", d.output())
t.done()
