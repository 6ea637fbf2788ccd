"""SNMP fixtures for integration tests and benchmarks: a trap receiver
(Debian's snmptrapd) and the client tools, all hermetic.

    from snmpfix import TrapReceiver
    with TrapReceiver(community="bwtrap") as r:
        ... configure <trap-receiver version="v2c" address="127.0.0.1:%d" %
            r.port community="bwtrap"/> and make an alarm happen ...
        hit = r.wait_for("62014.0.1", 10)    # (monotonic arrival, text) or None

TrapReceiver runs snmptrapd in the foreground on a free loopback UDP port
with its own configuration (`snmptrapd -f -Lo -C -c OWN.conf`, MIBS= so no
MIB is loaded, its persistent directory in a private temp dir): v1/v2c
traps with `community` are accepted (authCommunity), and each of `users`
[(name, auth_pass, priv_pass), ...] is accepted for v3 authPriv (SHA/AES)
from the engine `engine_id` (hex, the sender's engine ID: createUser -e).
Every trap becomes one line in .traps:
    v1:  "TRAP v1 enterprise=.1.3.6.1.4.1.62014 generic=6 specific=.1 VARBINDS"
    v2c: "TRAP v2 TRAP2, SNMP v2c, community bwtrap ... VARBINDS"
    v3:  "TRAP v2 TRAP2, SNMP v3, user alice, context ... VARBINDS"
with numeric OIDs and tab-separated "OID = VALUE" bindings.

client_env() is the environment for snmpget/snmpwalk: no MIBs, no user
or system configuration, persistent files in a temp dir.
"""
import os, queue, shutil, subprocess, tempfile, threading, time
from bwtest import pick_port
import socket

SNMPTRAPD = "/usr/sbin/snmptrapd"
SNMPD = "/usr/sbin/snmpd"


def have_tools(*names):
    return all(shutil.which(n) or os.path.exists(n) for n in names)


_client_dir = None


def client_env():
    """Environment for net-snmp's command line tools."""
    global _client_dir
    if _client_dir is None:
        _client_dir = tempfile.mkdtemp(prefix="bwsnmpcli-")
    env = dict(os.environ)
    env.update(MIBS="", MIBDIRS=_client_dir, SNMPCONFPATH=_client_dir,
               SNMP_PERSISTENT_DIR=_client_dir)
    return env


def cleanup_client():
    global _client_dir
    if _client_dir:
        shutil.rmtree(_client_dir, ignore_errors=True)
        _client_dir = None


def snmp_cmd(tool, args, timeout=20):
    """Run snmpget/snmpwalk/...: (rc, stdout, stderr)."""
    p = subprocess.run([tool] + list(args), capture_output=True, text=True,
                       env=client_env(), timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


class _Fixture:
    """A peer process with its own temporary directory: `with X(...) as x:`
    starts it, and leaving the block stops it and removes the directory
    (kept when BW_KEEP_TMP is set)."""

    proc = None
    dir = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.dir and not os.environ.get("BW_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class TrapReceiver(_Fixture):
    def __init__(self, community=None, users=(), engine_id=None, port=None):
        self.community = community
        self.users = list(users)
        self.engine_id = engine_id
        self.port = port or pick_port(socket.SOCK_DGRAM)
        self.traps = []          # [(monotonic arrival, text)]
        self.lines = []          # everything snmptrapd printed
        self._cond = threading.Condition()
        self.proc = None
        self.dir = None

    def _config(self):
        out = ["doNotLogTraps no", "disableAuthorization no",
               "format1 TRAP v1 enterprise=%N generic=%w specific=%q %v\\n",
               "format2 TRAP v2 %P %v\\n"]
        if self.community:
            out.append("authCommunity log " + quote(self.community))
        for name, auth, priv in self.users:
            if not self.engine_id:
                raise ValueError("v3 users need the sender's engine_id")
            out.append("createUser -e 0x%s %s SHA %s AES %s" % (
                self.engine_id, quote(name), quote(auth), quote(priv)))
            out.append("authUser log %s priv" % quote(name))
        return "\n".join(out) + "\n"

    def start(self, timeout=10):
        self.dir = tempfile.mkdtemp(prefix="bwtrapd-")
        conf = os.path.join(self.dir, "snmptrapd.conf")
        with open(conf, "w") as f:
            f.write(self._config())
        os.chmod(conf, 0o600)
        env = dict(os.environ, MIBS="", MIBDIRS=self.dir, SNMPCONFPATH=self.dir,
                   SNMP_PERSISTENT_DIR=self.dir)
        self.proc = subprocess.Popen(
            [SNMPTRAPD, "-f", "-Lo", "-C", "-c", conf, "-n", "-On",
             "udp:127.0.0.1:%d" % self.port],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        threading.Thread(target=self._read, daemon=True).start()
        if not self._wait_line(lambda l: "NET-SNMP version" in l, timeout):
            self.stop()
            raise RuntimeError("snmptrapd did not start:\n" + "\n".join(self.lines))
        return self

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            now = time.monotonic()
            with self._cond:
                self.lines.append(line)
                if line.startswith("TRAP "):
                    self.traps.append((now, line))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _wait_line(self, pred, timeout):
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                if any(pred(l) for l in self.lines):
                    return True
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return False
                self._cond.wait(left)

    def wait_for(self, substring, timeout):
        """The first trap whose line contains substring (or, if substring
        is callable, for which substring(line) is true), waiting up to
        timeout seconds: (monotonic arrival time, text), or None."""
        match = substring if callable(substring) else (lambda line: substring in line)
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                for t in self.traps:
                    if match(t[1]):
                        return t
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self._cond.wait(left)

    def output(self):
        with self._cond:
            return "\n".join(self.lines)


class Snmpd(_Fixture):
    """Debian's snmpd in the foreground as an AgentX master on a free UDP
    port: `master agentx`, the AgentX socket in a temp dir, a view that
    includes bulwark's enterprise subtree and a read-only community."""

    def __init__(self, community):
        self.community = community
        self.port = pick_port(socket.SOCK_DGRAM)
        self.proc = None
        self.dir = None
        self.log = None

    @property
    def agentx_socket(self):
        return os.path.join(self.dir, "agentx", "master")

    def start(self, timeout=10):
        self.dir = tempfile.mkdtemp(prefix="bwsnmpd-")
        os.mkdir(os.path.join(self.dir, "agentx"), 0o700)
        conf = os.path.join(self.dir, "snmpd.conf")
        with open(conf, "w") as f:
            f.write("master agentx\n"
                    "agentXSocket %s\n"
                    "agentXPerms 0600 0700\n"
                    "view bwView included .1.3.6.1.4.1.62014\n"
                    "rocommunity %s 127.0.0.1 -V bwView\n" % (
                        self.agentx_socket, quote(self.community)))
        self.log = os.path.join(self.dir, "snmpd.log")
        env = dict(os.environ, MIBS="", MIBDIRS=self.dir, SNMPCONFPATH=self.dir,
                   SNMP_PERSISTENT_DIR=self.dir)
        self.proc = subprocess.Popen(
            [SNMPD, "-f", "-Lf", self.log, "-C", "-c", conf, "-I", "-smux",
             "udp:127.0.0.1:%d" % self.port],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if os.path.exists(self.agentx_socket):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        out = self.output()
        self.stop()
        raise RuntimeError("snmpd did not open its AgentX socket:\n" + out)

    def output(self):
        try:
            with open(self.log) as f:
                return f.read()
        except (OSError, TypeError):
            return ""
