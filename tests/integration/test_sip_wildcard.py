#!/usr/bin/env python3
"""A wildcard listen address (the default configuration's 0.0.0.0:5060):
libre needs a concrete address per transport, so bulwarkd opens one per
local address. OPTIONS over UDP and TCP to 127.0.0.1 are answered, and the
answer's Via/Contact carry a concrete address, never 0.0.0.0."""
import socket, subprocess, shutil
from bwtest import Tap, Daemon, pick_port
from sipraw import SipRaw

t = Tap()
port = pick_port(socket.SOCK_DGRAM)
MODS = ('<module name="sip"><transport type="udp" listen="0.0.0.0:{p}"/>'
        '<transport type="tcp" listen="0.0.0.0:{p}"/></module>').format(p=port)
with Daemon(t, modules=MODS) as d:
    rc, out, err = d.ctl("modules")
    t.ok(rc == 0 and "sip" in out and "running" in out.split("sip", 1)[1].split("\n", 1)[0],
         "the sip module runs on 0.0.0.0", out + err + d.output()[-2000:])
    for proto in ("udp", "tcp"):
        c = SipRaw(proto, ("127.0.0.1", port))
        r = c.request("OPTIONS", "sip:127.0.0.1:%d" % port, timeout=5)
        c.close()
        t.ok(r is not None and r.code in (200, 401, 407), "OPTIONS over %s to 127.0.0.1 answered" % proto, r)
        t.ok(r is not None and b"0.0.0.0" not in r.raw, "...with no wildcard address in the answer (%s)" % proto,
             r if r is not None else None)
    if shutil.which("ss"):
        ss = subprocess.run(["ss", "-ulnH", "sport = :%d" % port], capture_output=True, text=True).stdout
        t.ok("127.0.0.1:%d" % port in ss and "0.0.0.0:%d" % port not in ss,
             "one UDP socket per local address (loopback included)", ss)
t.done()
