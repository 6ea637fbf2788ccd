"""Helpers for integration tests: TAP output, free ports, a bulwarkd under test.

    from bwtest import Tap, Daemon
    t = Tap()
    with Daemon(t, modules='<module name="hello"/>') as d:
        rc, out, err = d.ctl("status")
        t.ok(rc == 0 and "running" in out, "status answers")
        ev = d.events("hello.*")          # bulwarkctl events, in the background
        d.ctl("emit", "hello.ping", "id=1")
        t.ok(ev.wait_for(lambda l: "hello.pong" in l, 5), "pong seen")
        ev.close()
    t.done()

Daemon writes a configuration into a fresh private data directory
(system data-dir = that directory), starts build-tree bulwarkd on it with
the build tree's modules on the module path, waits for the control socket,
and stops it (SIGTERM, then SIGKILL after 10 s) on exit. Nothing listens on
a fixed port: pick_port() asks the kernel for a free one.
"""
import fcntl, os, queue, random, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time

TOP_BUILDDIR = os.path.abspath(os.environ.get("top_builddir", "."))
TOP_SRCDIR = os.path.abspath(os.environ.get("top_srcdir", "."))


def build(path):
    return os.path.join(TOP_BUILDDIR, path)


def src(path):
    return os.path.join(TOP_SRCDIR, path)


def module_path():
    """Every directory of the build tree holding a mod_*.so (libtool's .libs)."""
    dirs = []
    for root, _dirs, files in os.walk(TOP_BUILDDIR):
        if any(f.startswith("mod_") and f.endswith(".so") for f in files):
            dirs.append(root)
    return ":".join(sorted(dirs))


_picked = set()


def _port_free(port, kind, ip="127.0.0.1"):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_bound(port, ip="127.0.0.1", kind=socket.SOCK_DGRAM, timeout=10):
    """Wait until something binds ip:port (a peer without a readiness
    signal, such as sipp); True when it did."""
    return bool(wait_for(lambda: not _port_free(port, kind, ip), timeout))


def pick_port(kind=socket.SOCK_STREAM, ip="127.0.0.1"):
    """A port of loopback address ip free for TCP and UDP alike (kind is
    kept for the callers' sake), drawn from 10000-19999: outside the
    kernel's ephemeral range (32768-60999), so a client socket numbered by
    the kernel between this pick and the server's bind cannot take it, and
    outside baresip's RTP range (20000-29999). Never the same port twice in
    one test."""
    for _ in range(500):
        port = random.randint(10000, 19999)
        if port not in _picked and _port_free(port, socket.SOCK_STREAM, ip) and \
                _port_free(port, socket.SOCK_DGRAM, ip):
            _picked.add(port)
            return port
    s = socket.socket(socket.AF_INET, kind)
    s.bind((ip, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name))
        if not cond and diag:
            for line in str(diag).splitlines():
                print("# " + line)
        sys.stdout.flush()
        return cond

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


def read_text(path):
    """A file's text (undecodable bytes replaced), or "" when it cannot be read."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def wait_for(pred, timeout=20, step=0.05):
    """Poll pred() until it returns something true (returned) or timeout
    seconds pass; then pred() once more, so the caller sees the last value."""
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


# ASan/LSan's "==PID==ERROR: ...Sanitizer", UBSan's "FILE:LINE:COL: runtime
# error:" (not a peer's reason phrase that happens to say "runtime error")
SANITIZER_RE = re.compile(r"^==\d+==ERROR: (Address|Leak)Sanitizer|^\S+:\d+:\d+: runtime error:",
                          re.M)


def sanitizer_report(log):
    """The first lines of an ASan/LSan/UBSan report in log, or None."""
    m = SANITIZER_RE.search(log)
    return None if not m else "\n".join(log[m.start():].splitlines()[:40])


def queue_wait(q, pred, timeout, seen=None):
    """The first item from q (a queue.Queue fed by a reader thread) that
    satisfies pred within timeout seconds, or None; every item taken is
    appended to seen."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            item = q.get(timeout=max(0.01, end - time.time()))
        except queue.Empty:
            break
        if seen is not None:
            seen.append(item)
        if pred(item):
            return item
    return None


class Events:
    """`bulwarkctl events GLOB` in the background, its lines on a queue."""

    def __init__(self, d, glob):
        self.proc = subprocess.Popen(
            [build("bulwarkctl"), "-s", d.socket, "events", glob],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pred, timeout):
        return queue_wait(self.lines, pred, timeout, self.seen)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ModulesLock:
    """A shared lock on the build tree's modules while a bulwarkd of ours may
    load them. test_sdk_outoftree.sh takes it exclusively around its `make
    install`: libtool relinks each module at install and meanwhile moves
    the module's .so in .libs aside, so a daemon starting then would find
    no module or half a file ("not an ELF file")."""
    PATH = os.path.join(TOP_BUILDDIR, ".bw-modules.lock")

    def __init__(self):
        self.f = None

    def acquire(self):
        if self.f is None:
            self.f = open(self.PATH, "a")
            fcntl.flock(self.f, fcntl.LOCK_SH)
        return self

    def release(self):
        if self.f is not None:
            self.f.close()   # closing drops the lock
            self.f = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


def bulwarkd_run(args, **kw):
    """bulwarkd ARGS in the foreground (--check-config, a refused start),
    under the modules lock: subprocess.run's answer."""
    with ModulesLock():
        return subprocess.run([build("bulwarkd")] + list(args), **kw)


CONFIG = """<?xml version="1.0"?>
<bulwark>
  <system name="test" data-dir="{datadir}"/>
  <modules>
    {modules}
  </modules>
</bulwark>
"""


class Daemon:
    def __init__(self, tap=None, modules="", config=None, args=(), env=None, datadir=None):
        self.tap = tap
        self.own_dir = datadir is None
        self.datadir = datadir or tempfile.mkdtemp(prefix="bwit-")
        os.chmod(self.datadir, 0o700)
        self.config_path = os.path.join(self.datadir, "bulwark.xml")
        text = config if config is not None else CONFIG
        with open(self.config_path, "w") as f:
            f.write(text.format(datadir=self.datadir, modules=modules))
        os.chmod(self.config_path, 0o600)
        self.args = list(args)
        self.env = dict(os.environ)
        self.env["BULWARK_MODULE_PATH"] = module_path()
        if env:
            self.env.update(env)
        self.proc = None
        self.log_path = os.path.join(self.datadir, "bulwarkd.log")
        self.modules_lock = ModulesLock()

    @property
    def socket(self):
        return os.path.join(self.datadir, "bulwarkd.sock")

    def start(self, wait=True):
        self.modules_lock.acquire()   # held until stop(): modules load at runtime too
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [build("bulwarkd"), "-c", self.config_path] + self.args,
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait:
            try:
                self.wait_ready()
            except BaseException:
                self.stop()   # no daemon, no lock left behind by a failed start
                raise
        return self

    def wait_ready(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("bulwarkd exited %s:\n%s" % (self.proc.returncode, self.output()))
            if os.path.exists(self.socket):
                rc, _out, _err = self.ctl("status")
                if rc == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("bulwarkd not ready after %ss:\n%s" % (timeout, self.output()))

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def ctl(self, *args, timeout=30, stdin=None):
        p = subprocess.run([build("bulwarkctl"), "-s", self.socket] + list(args),
                           input=stdin, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def events(self, glob="*"):
        """A live `bulwarkctl events GLOB`; close() it when done."""
        return Events(self, glob)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc is None or self.proc.poll() is not None:
            self.modules_lock.release()
            if self.proc is not None:
                self._sanitizer_check()
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.log.close()
            self.modules_lock.release()
            self._sanitizer_check()

    def _sanitizer_check(self):
        """A build with --enable-sanitizers: a report in the log fails the test."""
        report = sanitizer_report(self.output())
        if report and self.tap and not getattr(self, "_reported", False):
            self._reported = True
            self.tap.ok(False, "bulwarkd's log has no sanitizer report", report)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is not None and self.tap:
            self.tap.diag(self.output())
        if self.own_dir and not os.environ.get("BW_KEEP_TMP"):
            shutil.rmtree(self.datadir, ignore_errors=True)
        return False
