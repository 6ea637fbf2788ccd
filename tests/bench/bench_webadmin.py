#!/usr/bin/env python3
"""bench webadmin: API requests per second through lighttpd for a read
endpoint (GET /api/session) with a valid session, over keep-alive HTTPS
connections from 4 client threads, and logins per second (sequential, so
bounded by one Argon2id verification each at the default cost, printed).
Figures only; never pass/fail on time."""
import os, sys, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from bwtest import Tap        # noqa: E402
from wafix import WebAdmin    # noqa: E402
import wafix                  # noqa: E402

PW = "Bench-Pass-123"
SECONDS = float(os.environ.get("BENCH_WEBADMIN_SECONDS", "3"))
THREADS = 4
LOGINS = int(os.environ.get("BENCH_WEBADMIN_LOGINS", "20"))
T_COST, M_KIB = 2, 19456      # the module's defaults


def reader(w, cookie, stop, counts, i):
    c = w.client()
    c.cookie = cookie
    conn = c.conn()
    n = 0
    while not stop.is_set():
        conn.request("GET", "/api/session", headers={"Cookie": "bw_session=" + cookie})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            break
        n += 1
    conn.close()
    counts[i] = n


def main():
    # the default Argon2id cost, not the tests' cheap one
    wafix.MODULE = wafix.MODULE.replace('argon2-time="1" argon2-memory="1024" ', "")
    t = Tap()
    with WebAdmin(t, extra='max-sessions="1000" max-system-admins="1000"') as w:
        c = w.client()
        c.login("admin", w.initial)
        c.call("POST", "/api/password", {"current": w.initial, "new": PW})
        stop, counts = threading.Event(), [0] * THREADS
        threads = [threading.Thread(target=reader, args=(w, c.cookie, stop, counts, i))
                   for i in range(THREADS)]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        time.sleep(SECONDS)
        stop.set()
        for th in threads:
            th.join()
        rps = sum(counts) / (time.monotonic() - t0)
        ok = 0
        t0 = time.monotonic()
        for _ in range(LOGINS):
            ok += w.client().login("admin", PW)[0] == 200
        lps = ok / (time.monotonic() - t0)
    print("bench webadmin: api_rps=%.0f api_threads=%d logins_per_s=%.1f logins_ok=%d/%d "
          "argon2id_t=%d argon2id_m_kib=%d argon2id_p=1" % (rps, THREADS, lps, ok, LOGINS, T_COST, M_KIB))
    return 0


if __name__ == "__main__":
    sys.exit(main())
