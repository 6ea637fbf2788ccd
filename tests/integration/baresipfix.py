"""Debian's baresip 1.0.0 as a test phone, driven through its ctrl_tcp
module (netstring JSON). Standard library only; reusable by every SIP test.

    with Baresip(t, "alice", "s3cret", "127.0.0.1", 5060, transport="tls") as p:
        p.wait_registered(10)
        p.dial("101")              # the account adds ;transport=tls itself
        ev = p.wait_event(lambda e: e.get("type") == "CALL_ESTABLISHED", 10)
        p.hangup()

No sound card: audio comes from a WAV (aufile) and what is decoded can be
recorded with sndfile. Per the DESIGN pitfalls: net_interface is pinned to
loopback, baresip's TLS listener is its SIP port + 1, a registration may
finish before the control connection exists (hence wait_registered polls
`reginfo`), and baresip does not verify server certificates.
"""
import json, os, queue, shutil, socket, struct, subprocess, tempfile, threading, time, wave

from bwtest import pick_port, queue_wait


def write_wav(path, seconds=2.0, rate=8000):
    """A quiet 440 Hz-ish square wave, enough for codecs to chew on."""
    n = int(seconds * rate)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", 3000 if (i // 9) % 2 else -3000) for i in range(n)))


class Baresip:
    def __init__(self, tap, user, password, server, port, transport="udp", wav_seconds=30.0,
                 regint=600, extra_account=""):
        self.tap = tap
        self.user = user
        self.dir = tempfile.mkdtemp(prefix="bwbaresip-")
        self.sip_port = pick_port()
        self.ctrl_port = pick_port()
        self.wav = os.path.join(self.dir, "source.wav")
        self.record_dir = os.path.join(self.dir, "rec")
        os.mkdir(self.record_dir)
        write_wav(self.wav, wav_seconds)
        tp = "" if transport == "udp" else ";transport=%s" % transport
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<sip:%s@%s:%d%s>;auth_user=%s;auth_pass=%s;regint=%d;"
                    "mediaenc=;audio_codecs=PCMU,PCMA%s\n"
                    % (user, server, port, tp, user, password, regint, extra_account))
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(self._config())
        open(os.path.join(self.dir, "contacts"), "w").close()
        self.events = queue.Queue()
        self.responses = queue.Queue()
        self.seen = []
        self.proc = None
        self.sock = None
        self.token = 0
        self.log_path = os.path.join(self.dir, "baresip.log")

    def _config(self):
        return "\n".join([
            "poll_method epoll",
            "sip_listen 127.0.0.1:%d" % self.sip_port,
            "net_interface 127.0.0.1",
            "net_prefer_ipv6 no",
            "audio_player aufile,%s" % os.path.join(self.record_dir, "play.wav"),
            "audio_source aufile,%s" % self.wav,
            "audio_alert aufile,%s" % os.path.join(self.record_dir, "alert.wav"),
            "audio_path /usr/share/baresip",
            "module_path /usr/lib/baresip/modules",
            "module g711.so",
            "module aufile.so",
            "module sndfile.so",
            "snd_path %s" % self.record_dir,
            "module_app account.so",
            "module_app menu.so",
            "module_app ctrl_tcp.so",
            "ctrl_tcp_listen 127.0.0.1:%d" % self.ctrl_port,
            "rtp_ports 20000-29999",
            "sip_trans_bsize 128",
            "",
        ])

    # ---- process ----
    def start(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["baresip", "-f", self.dir], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        end = time.time() + 10
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("baresip exited:\n" + self.output())
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        if self.sock is None:
            raise RuntimeError("baresip control port not up:\n" + self.output())
        self.sock.settimeout(None)
        threading.Thread(target=self._reader, daemon=True).start()
        return self

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.sock:
            try:
                self.command("quit", timeout=2)
            except Exception:
                pass
            self.sock.close()
            self.sock = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is not None and self.tap:
            self.tap.diag(self.output())
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    # ---- ctrl_tcp: netstrings of JSON ----
    def _reader(self):
        buf = b""
        sock = self.sock
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b":" in buf:
                n, rest = buf.split(b":", 1)
                if not n.isdigit() or len(rest) < int(n) + 1:
                    break
                body, buf = rest[:int(n)], rest[int(n) + 1:]
                try:
                    msg = json.loads(body.decode(errors="replace"))
                except ValueError:
                    continue
                (self.responses if msg.get("response") else self.events).put(msg)

    def command(self, cmd, params="", timeout=5):
        self.token += 1
        body = json.dumps({"command": cmd, "params": params, "token": str(self.token)}).encode()
        self.sock.sendall(b"%d:%s," % (len(body), body))
        end = time.time() + timeout
        while time.time() < end:
            try:
                r = self.responses.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                break
            if r.get("token") == str(self.token):
                return r
        return None

    def wait_event(self, pred, timeout):
        return queue_wait(self.events, pred, timeout, self.seen)

    # ---- phone actions ----
    def reginfo(self):
        r = self.command("reginfo")
        return r.get("data", "") if r else ""

    def wait_registered(self, timeout=10):
        """Poll reginfo: the REGISTER_OK event may predate our connection."""
        end = time.time() + timeout
        while time.time() < end:
            info = self.reginfo()
            if "OK" in info and self.user in info:
                return True
            time.sleep(0.2)
        return False

    def dial(self, target):
        return self.command("dial", target)

    def answer(self):
        return self.command("accept")

    def hangup(self):
        return self.command("hangup")
