"""SIP benchmark: bulwarkd side by side with Kamailio 5.6, driven by sipp.

For each server in one run: start it on a free 127.0.0.1 UDP port with the
same 1000 users (tests/bench/sip/gen_users.py: HA1 only, realm = the From
domain sipp uses), warm up both, then step the offered rate up (ladder,
then bisection; each server its own search, steps alternating between the
servers so that a drift in the machine's background load hits both) for
  * digest-authenticated REGISTERs (REGISTER, 401, REGISTER+Authorization, 200)
  * calls (INVITE, 407, ACK, INVITE+Proxy-Authorization, 200, ACK, hold 1 s,
    BYE, 200) to a sipp UAS behind the server.
A step passes when failed + unfinished operations are < 1 % of those
planned and the achieved rate is >= 95 % of the offered one. For each
server the highest passing rate is its max; CPU per operation is the
server's CPU time (/proc/PID/stat utime+stime: all threads; for Kamailio
all its processes) over that step divided by its successful operations.
Prints one line on stdout:
  bench sip: register_ratio=... cps_ratio=... (bulwark / kamailio) ...
Progress and notes go to stderr. A server that cannot run gets `nan`.

Environment: QUICK is the default (5 s steps); FULL=1 (20 s steps and a
confirmation run of each max); SERVERS="kamailio bulwark" to pick;
BENCH_SIP_USERS (1000); KAM_CHILDREN (4); BW_KEEP_TMP=1 keeps the run dir.
Everything it starts (kamailio, sipp, bulwarkd) is stopped by PID on exit,
failure or signal; every sipp run is bounded in time; traffic stays on
loopback: the servers and callers on 127.0.0.1, the callee on 127.0.0.2.
"""
import csv, math, os, secrets, shutil, signal, socket, subprocess, sys, tempfile, time

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import gen_users  # noqa: E402
import bwtest  # noqa: E402

FULL = os.environ.get("FULL") == "1"
STEP_S = 20 if FULL else 5
CONFIRM = FULL
HOLD_MS = 1000
REALM = "sipbench"
TARGET = "9000"          # dialled number: routed to the UAS by both servers
USERS = int(os.environ.get("BENCH_SIP_USERS", "1000"))
KAM_CHILDREN = int(os.environ.get("KAM_CHILDREN", "4"))
REG_LADDER = [1000, 2000, 4000, 8000, 16000, 24000]
CPS_LADDER = [250, 500, 1000, 2000, 4000, 8000]
FAIL_MAX_PCT = 1.0
MIN_ACHIEVED_PCT = 95.0
TOTAL_LIMIT_S = 3600 if FULL else 1200
CLK_TCK = os.sysconf("SC_CLK_TCK")
LOCAL = "127.0.0.1"
# The callee is another loopback address: bulwarkd knows a peer trunk by
# its source address, so the UAS must not share the callers' address (their
# INVITEs would be taken for calls from the trunk). Loopback all the same.
UAS_HOST = "127.0.0.2"


def note(msg):
    sys.stderr.write("bench_sip: %s\n" % msg)
    sys.stderr.flush()


class Unavailable(Exception):
    """This server cannot be measured here (missing program, module...)."""


# ---------------------------------------------------------------- processes

class Reaper:
    """Every process this script starts, so all are stopped by PID."""

    def __init__(self):
        self.procs = []      # Popen
        self.extra = []      # (pid, comm) started by someone we started

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, grace=5.0):
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(grace)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_extra(self):
        for pid, comm in self.extra:
            if proc_comm(pid) == comm:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.extra = []

    def stop_all(self):
        for p in list(reversed(self.procs)):
            self.stop(p)
        self.stop_extra()


REAPER = Reaper()


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def proc_stat(pid):
    """(ppid, utime+stime ticks) of pid, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def children_of(pid):
    kids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st and st[0] == pid:
                kids.append(int(name))
    return kids


def cpu_seconds(pids):
    return sum((proc_stat(p) or (0, 0))[1] for p in pids) / CLK_TCK


def udp_bound(port):
    want = ":%04X" % port
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                if any(line.split()[1].endswith(want) for line in f):
                    return True
        except OSError:
            pass
    return False


def wait_until(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out after %ss waiting for %s" % (timeout, what))


def sip_answers(port, timeout=0.5):
    """Does something answer a SIP OPTIONS on 127.0.0.1:port (any response)?"""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((LOCAL, 0))
        lport = s.getsockname()[1]
        branch = "z9hG4bK" + secrets.token_hex(6)
        msg = ("OPTIONS sip:%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;rport;branch=%s\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=%s\r\nTo: <sip:%s:%d>\r\n"
               "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
               % (LOCAL, port, LOCAL, lport, branch, REALM, secrets.token_hex(4),
                  LOCAL, port, secrets.token_hex(8)))
        s.sendto(msg.encode(), (LOCAL, port))
        s.settimeout(timeout)
        data, _ = s.recvfrom(65535)
        return data.startswith(b"SIP/2.0 ")
    except OSError:
        return False
    finally:
        s.close()


def free_udp_port(host=LOCAL):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


# ---------------------------------------------------------------- sipp

def sipp_stats(path):
    """The last row of a sipp -trace_stat file as a dict, {} if none."""
    try:
        with open(path, newline="") as f:
            rows = [r for r in csv.reader(f, delimiter=";") if r]
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1]))


def sipp_elapsed(st):
    """sipp's own run time (s) from the epoch columns of its stats."""
    try:
        t0 = float(st["StartTime"].split()[-1])
        t1 = float(st["CurrentTime"].split()[-1])
        return t1 - t0
    except (KeyError, ValueError, IndexError):
        return None


def start_uas(port, workdir, tag, limit_s):
    p = REAPER.spawn(["sipp", "-sf", os.path.join(HERE, "uas.xml"), "-i", UAS_HOST,
                      "-p", str(port), "-nostdin", "-timeout", "%ds" % limit_s,
                      "-trace_err", "-error_file", os.path.join(workdir, "uas-%s.err" % tag),
                      "-max_log_size", "1000000"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    wait_until(lambda: udp_bound(port) or p.poll() is not None, 10, "the sipp UAS port")
    if p.poll() is not None:
        raise RuntimeError("sipp UAS on udp %d exited at start (rc %s)" % (port, p.returncode))
    return p


def run_uac(server, kind, rate, n, workdir, tag):
    """One bounded sipp UAC run; returns (stats dict, wall seconds)."""
    scen = "reg_auth.xml" if kind == "reg" else "uac_call.xml"
    hold = 0 if kind == "reg" else HOLD_MS
    planned_s = n / rate + hold / 1000.0
    stf = os.path.join(workdir, "sipp-%s.csv" % tag)
    argv = ["sipp", "%s:%d" % (LOCAL, server.port), "-sf", os.path.join(HERE, scen),
            "-inf", server.users_csv, "-key", "domain", REALM, "-key", "target", TARGET,
            "-i", LOCAL, "-p", str(server.reg_port if kind == "reg" else free_udp_port()),
            "-r", str(rate), "-m", str(n),
            "-l", str(int(rate * (hold / 1000.0 + 5)) + 100), "-d", str(hold),
            "-nostdin", "-timeout", "%ds" % int(planned_s * 2 + 20),
            "-trace_stat", "-stf", stf, "-fd", "1",
            "-trace_err", "-error_file", os.path.join(workdir, "sipp-%s.err" % tag),
            "-max_log_size", "1000000"]
    t0 = time.monotonic()
    p = REAPER.spawn(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    # A step still running at 1.25x its length cannot reach 95 % anyway:
    # stop it (SIGUSR1 makes sipp dump its stats and quit), unfinished = failed.
    try:
        p.wait(planned_s * 1.25 + 3)
    except subprocess.TimeoutExpired:
        note("%s: still running after %.0f s, stopping it" % (tag, time.monotonic() - t0))
        REAPER.stop(p, signal.SIGUSR1, 3)
    REAPER.stop(p)
    return sipp_stats(stf), time.monotonic() - t0


def run_step(server, kind, rate, workdir, label=""):
    """Offer `rate` for STEP_S seconds; a dict of figures, with 'pass'."""
    n = rate * STEP_S
    tag = "%s-%s-%d%s" % (server.name, kind, rate, label)
    hold_s = 0 if kind == "reg" else HOLD_MS / 1000.0
    uas = None
    if kind == "cps":
        uas = start_uas(server.uas_port, workdir, tag, int(STEP_S * 3 + 40))
    pids = server.pids()
    c0 = cpu_seconds(pids)
    try:
        st, wall = run_uac(server, kind, rate, n, workdir, tag)
        cpu = cpu_seconds(pids) - c0
    finally:
        if uas:
            REAPER.stop(uas)
    ok = int(st.get("SuccessfulCall(C)", 0) or 0)
    failed = int(st.get("FailedCall(C)", 0) or 0)
    unfinished = max(0, n - ok - failed)
    elapsed = sipp_elapsed(st) or wall
    achieved = ok / max(elapsed - hold_s, 0.001)
    fail_pct = 100.0 * (failed + unfinished) / n
    r = {"rate": rate, "ok": ok, "fail_pct": fail_pct, "achieved": achieved,
         "retrans": int(st.get("Retransmissions(C)", 0) or 0),
         "cpu_pct": 100.0 * cpu / max(wall, 0.001),
         "us_per_op": 1e6 * cpu / ok if ok else float("nan")}
    r["pass"] = fail_pct < FAIL_MAX_PCT and achieved >= rate * MIN_ACHIEVED_PCT / 100.0
    note("%-8s %s %6d/s: %s achieved=%.0f/s failed=%.2f%% retrans=%d cpu=%.0f%% us/op=%.0f"
         % (server.name, kind, rate, "PASS" if r["pass"] else "FAIL", achieved, fail_pct,
            r["retrans"], r["cpu_pct"], r["us_per_op"]))
    server.wait_quiet()
    return r


def refine(rate):
    """Bisection stops within 1/8 of the rate found (noise is +-5-10 %)."""
    return max(rate // 8, 50 if rate >= 1000 else 10)


def search(ladder):
    """The rates to try, as a generator: it yields (rate, label), is sent
    the step's result, and returns the passing step at the max rate (or
    None). Ladder up to the first failure, bisect, confirm when FULL."""
    best, first_fail = None, None
    for rate in ladder:
        r = yield rate, ""
        if not r["pass"]:
            first_fail = rate
            break
        best = r
    # a server slower than the ladder's first step: halve down to 1/16 of it
    while best is None and first_fail and first_fail > ladder[0] // 16:
        rate = first_fail // 2
        r = yield rate, ""
        if r["pass"]:
            best = r
        else:
            first_fail = rate
    while best and first_fail and first_fail - best["rate"] > refine(best["rate"]):
        grain = 50 if best["rate"] >= 1000 else 10
        mid = (best["rate"] + first_fail) // 2 // grain * grain
        if mid <= best["rate"]:
            break
        r = yield mid, ""
        if r["pass"]:
            best = r
        else:
            first_fail = mid
    for _ in range(3 if CONFIRM and best else 0):
        r = yield best["rate"], "-confirm"
        if r["pass"]:
            return r
        rate = best["rate"] - refine(best["rate"])
        if rate <= 0:
            return None
        best = {"rate": rate}
    return None if CONFIRM else best


# ---------------------------------------------------------------- servers

class Server:
    """A server under test on 127.0.0.1:port, calls routed to the UAS at
    UAS_HOST:uas_port."""
    name = "?"

    def __init__(self, workdir, users_dir, uas_port):
        self.workdir = workdir
        self.users_dir = users_dir
        self.users_csv = os.path.join(users_dir, "users.csv")
        self.uas_port = uas_port
        self.port = free_udp_port()
        # REGISTERs always come from the same address, so the Contact of a
        # user stays the same from step to step: refreshes, as phones do
        # (a new Contact would hit max_contacts 1 on both servers)
        self.reg_port = free_udp_port()

    def pids(self):
        raise NotImplementedError

    def alive(self):
        return bool(self.pids())

    def wait_quiet(self, limit_s=20):
        """After a step: wait (bounded) until the server is idle, so the
        retransmissions of an overloaded step do not weigh on the next."""
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            pids = self.pids()
            c0 = cpu_seconds(pids)
            time.sleep(0.5)
            if cpu_seconds(pids) - c0 < 0.02:
                return
        note("%s: still busy %ds after a step" % (self.name, limit_s))


class Kamailio(Server):
    name = "kamailio"

    def __init__(self, *a):
        super().__init__(*a)
        self.rundir = os.path.join(self.workdir, "kamailio-run")
        self.proc = None
        self.kids = []

    def render(self):
        with open(os.path.join(HERE, "kamailio.cfg")) as f:
            text = f.read()
        for key, val in (("SIP_PORT", str(self.port)), ("CHILDREN", str(KAM_CHILDREN)),
                         ("RUN_DIR", self.rundir),
                         ("DB_DIR", os.path.join(self.users_dir, "kamailio-db")),
                         ("UAS_URI", "sip:%s:%d" % (UAS_HOST, self.uas_port)),
                         ("AUTH_SECRET", secrets.token_hex(16))):
            text = text.replace("@%s@" % key, val)
        path = os.path.join(self.rundir, "kamailio.cfg")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self):
        if not shutil.which("kamailio"):
            raise Unavailable("kamailio is not installed (apt-get install kamailio)")
        os.makedirs(self.rundir, exist_ok=True)
        cfg = self.render()
        chk = subprocess.run(["kamailio", "-c", "-f", cfg], capture_output=True, text=True,
                             timeout=30)
        if chk.returncode != 0:
            raise RuntimeError("kamailio: config check of %s failed: %s"
                               % (cfg, chk.stderr.strip()[-2000:]))
        log_path = os.path.join(self.workdir, "kamailio.log")
        with open(log_path, "ab") as log:
            # 1 GB shared memory: 256 MB runs out near 1,500 CPS with dialogs
            # and 5 s transaction wait timers (see the anchors' pitfalls)
            self.proc = REAPER.spawn(["kamailio", "-DD", "-E", "-f", cfg, "-Y", self.rundir,
                                      "-P", os.path.join(self.rundir, "kamailio.pid"),
                                      "-m", "1024", "-M", "16"],
                                     stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.proc.poll() is not None or sip_answers(self.port), 30,
                   "kamailio to answer on udp %d" % self.port)
        if self.proc.poll() is not None:
            raise RuntimeError("kamailio exited at start (rc %s), see %s"
                               % (self.proc.returncode, log_path))
        self.kids = children_of(self.proc.pid)
        REAPER.extra += [(k, proc_comm(k)) for k in self.kids]
        note("kamailio: pid %d, %d child processes, udp %s:%d"
             % (self.proc.pid, len(self.kids), LOCAL, self.port))

    def pids(self):
        return [self.proc.pid] + self.kids if self.proc else []

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc:
            REAPER.stop(self.proc, grace=10)
            REAPER.stop_extra()
            self.proc = None


# bulwarkd's part of the configuration: UDP on the chosen port, the flood
# source (sipp, 127.0.0.1) allow-listed and the per-source bounds raised so
# that the benchmark measures the work, not the DoS protection.
BULWARK_CONFIG = """<?xml version="1.0"?>
<bulwark>
  <system name="%s" data-dir="{datadir}" log-level="warning"/>
  <modules>
    {modules}
  </modules>
</bulwark>
""" % REALM

BULWARK_SIP = """<module name="sip">
      <transport type="udp" listen="127.0.0.1:%(port)d"/>
      <limits max-transactions="1000000"/>
      <registrar max-contacts="1" max-per-source="100000"/>
      <dos auth-failures="10000000" transactions="10000000"><allow address="127.0.0.1"/></dos>
      <auth algorithms="MD5"/>
      <calls max-calls="10000000"/>
    </module>"""
# MD5 only: sipp 3.6 answers MD5 challenges only, and Kamailio offers MD5.


class Bulwark(Server):
    name = "bulwark"

    def __init__(self, *a):
        super().__init__(*a)
        self.daemon = None
        self.ready = False      # failures before that carry the log already

    def start(self):
        if not os.path.exists(bwtest.build("bulwarkd")):
            raise Unavailable("no bulwarkd in the build tree %s" % bwtest.TOP_BUILDDIR)
        if not any(os.path.exists(os.path.join(d, "mod_sip.so"))
                   for d in bwtest.module_path().split(":") if d):
            raise Unavailable("the sip module is not built (configure --enable-mod-sip)")
        datadir = tempfile.mkdtemp(prefix="bwd-", dir=self.workdir)
        modules = os.environ.get("BENCH_SIP_BULWARK_MODULE", BULWARK_SIP) % {"port": self.port}
        self.daemon = bwtest.Daemon(config=BULWARK_CONFIG, modules=modules, datadir=datadir)
        self.daemon.start(wait=False)
        REAPER.procs.append(self.daemon.proc)
        self.daemon.wait_ready()
        wait_until(lambda: self.daemon.proc.poll() is not None or sip_answers(self.port), 20,
                   "bulwarkd to answer on udp %d" % self.port)
        if self.daemon.proc.poll() is not None:
            raise RuntimeError("bulwarkd exited: %s" % self.daemon.output()[-2000:])
        self.provision()
        note("bulwarkd: pid %d, udp %s:%d" % (self.daemon.proc.pid, LOCAL, self.port))
        self.ready = True

    def provision(self):
        """Users, trunk and route into the running daemon's store: the sip
        module watches trunks (and the directory the rest), so it is ready
        once `bulwarkctl trunks` lists the UAS trunk, which is imported
        last."""
        for xml in (os.path.join(self.users_dir, "provisioning.xml"), self.routes_xml()):
            rc, out, err = self.daemon.ctl("store", "import", xml)
            if rc != 0:
                raise RuntimeError("bulwarkctl store import %s: %s" % (xml, (out + err).strip()))

        def trunk_listed():
            rc, out, _err = self.daemon.ctl("trunks")
            return rc == 0 and "uas" in out
        wait_until(trunk_listed, 20, "bulwarkd to list the imported trunk")

    def routes_xml(self):
        """Calls to TARGET go out by prefix to an IP-authenticated peer
        trunk, the sipp UAS."""
        path = os.path.join(self.workdir, "routes.xml")
        with open(path, "w") as f:
            f.write("<provisioning>\n")
            f.write(gen_users.provisioning_record("trunk/uas", {
                "driver": "sip", "mode": "peer", "transport": "udp", "srtp": "off",
                "proxy": "sip:%s:%d" % (UAS_HOST, self.uas_port), "address": UAS_HOST}))
            f.write(gen_users.provisioning_record("route/out/" + TARGET[0], {"trunk": "uas"}))
            f.write("</provisioning>\n")
        return path

    def pids(self):
        return [self.daemon.proc.pid] if self.daemon and self.daemon.proc else []

    def alive(self):
        return bool(self.daemon and self.daemon.proc and self.daemon.proc.poll() is None)

    def stop(self):
        if self.daemon and self.daemon.proc:
            proc = self.daemon.proc
            self.daemon.stop()
            if proc in REAPER.procs:
                REAPER.procs.remove(proc)
            if self.ready and proc.returncode not in (0, None):
                note("bulwarkd exited with %s; log:\n%s" % (proc.returncode,
                                                            self.daemon.output()[-2000:]))
        self.daemon = None


# ---------------------------------------------------------------- main

def warm_up(server, workdir):
    """Every user registered once (and each server's caches warm) before
    anything is measured; not counted."""
    run_uac(server, "reg", 500, 2 * USERS, workdir, "%s-warmup-reg" % server.name)
    server.wait_quiet()
    uas = start_uas(server.uas_port, workdir, "%s-warmup" % server.name, 60)
    try:
        run_uac(server, "cps", 100, 300, workdir, "%s-warmup-cps" % server.name)
    finally:
        REAPER.stop(uas)
    server.wait_quiet()


def start_servers(names, workdir, users_dir, uas_port):
    """The servers that could start and warm up; notes for the others."""
    running = []
    for name, cls in (("kamailio", Kamailio), ("bulwark", Bulwark)):
        if name not in names:
            continue
        server = cls(workdir, users_dir, uas_port)
        try:
            server.start()
            warm_up(server, workdir)
            running.append(server)
        except Unavailable as e:
            note("%s not measured: %s; its figures are nan" % (name, e))
            server.stop()
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            note("%s failed at start: %s; its figures are nan" % (name, e))
            server.stop()
    return running


def measure(servers, kind, ladder, workdir):
    """Step every server through its own search, alternating between them
    at each step so that a change in the machine's background load falls
    on both. Returns {name: best step or None}; a server that dies is
    dropped (its figures become nan)."""
    best, current, searches = {}, {}, {}
    for srv in servers:
        searches[srv] = search(ladder)
        current[srv] = next(searches[srv])
    while searches:
        for srv in list(searches):
            rate, label = current[srv]
            try:
                if not srv.alive():
                    raise RuntimeError("%s is no longer running" % srv.name)
                r = run_step(srv, kind, rate, workdir, label)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                note("%s failed during the %s steps: %s" % (srv.name, kind, e))
                best[srv.name] = "dead"
                del searches[srv]
                srv.stop()      # says how it ended
                continue
            try:
                current[srv] = searches[srv].send(r)
            except StopIteration as done:
                best[srv.name] = done.value
                del searches[srv]
    return best


def fig(res, kind, key):
    if res is None:
        return float("nan")
    step = res.get(kind, "dead")
    if step == "dead":
        return float("nan")
    if step is None:
        return 0.0 if key == "rate" else float("nan")
    return float(step.get(key, float("nan")))


def ratio(a, b):
    return a / b if b and not math.isnan(a) and not math.isnan(b) else float("nan")


def summary(bw, kam):
    vals = {}
    for kind, what in (("reg", "register"), ("cps", "cps")):
        vals[what] = (fig(bw, kind, "rate"), fig(kam, kind, "rate"),
                      fig(bw, kind, "us_per_op"), fig(kam, kind, "us_per_op"))
    r, c = vals["register"], vals["cps"]
    return ("bench sip: register_ratio=%.2f cps_ratio=%.2f bulwark_register_per_s=%.0f "
            "kamailio_register_per_s=%.0f bulwark_cps=%.0f kamailio_cps=%.0f "
            "bulwark_us_per_register=%.0f kamailio_us_per_register=%.0f "
            "bulwark_us_per_call=%.0f kamailio_us_per_call=%.0f"
            % (ratio(r[0], r[1]), ratio(c[0], c[1]), r[0], r[1], c[0], c[1],
               r[2], r[3], c[2], c[3]))


def on_signal(signum, _frame):
    raise SystemExit("bench_sip: stopped by signal %d" % signum)


def main():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, on_signal)
    signal.alarm(TOTAL_LIMIT_S)          # the whole run is bounded too
    servers = os.environ.get("SERVERS", "kamailio bulwark").split()
    workdir = tempfile.mkdtemp(prefix="bench-sip-")
    results = {"kamailio": None, "bulwark": None}
    running = []
    try:
        if not shutil.which("sipp"):
            note("sipp is not installed (apt-get install sip-tester); nothing measured")
        else:
            users_dir = os.path.join(workdir, "users")
            gen_users.write_users(users_dir, REALM, USERS)
            uas_port = free_udp_port(UAS_HOST)
            note("%s mode: %d s steps, %d users, realm %s, work dir %s"
                 % ("FULL" if FULL else "QUICK", STEP_S, USERS, REALM, workdir))
            running = start_servers(servers, workdir, users_dir, uas_port)
            for srv in running:
                results[srv.name] = {}
            for kind, ladder in (("reg", REG_LADDER), ("cps", CPS_LADDER)):
                for name, step in measure(running, kind, ladder, workdir).items():
                    results[name][kind] = step
                running = [s for s in running if results[s.name][kind] != "dead"]
    finally:
        for srv in running:
            srv.stop()
        REAPER.stop_all()
        signal.alarm(0)
        if os.environ.get("BW_KEEP_TMP"):
            note("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(summary(results["bulwark"], results["kamailio"]))


if __name__ == "__main__":
    main()
