#!/usr/bin/env python3
"""Start a bulwarkd with the webadmin module serving the source tree's www/
for the browser tests, through the back end's fixture (wafix, bwtest).

Prints one JSON line on stdout once HTTPS answers:
  {"https": PORT, "initial": "PASSWORD", "datadir": "...", "socket": "...",
   "ctl": ".../bulwarkctl"}
then waits until stdin closes (the test runner ending, even by a crash) and
stops the daemon, removing its data directory. Extra module attributes
come as arguments, e.g. lockout="strict".
"""
import json, os, re, sys
from bwtest import Daemon, build, pick_port, src
import wafix


class Target:
    """What wafix.Client needs: the HTTPS port and the certificate."""

    def __init__(self, d, https):
        self.d, self.https = d, https

    @property
    def cert(self):
        return os.path.join(self.d.datadir, "webadmin", "cert.pem")

    def client(self, **kw):
        return wafix.Client(self, **kw)


def main():
    https, http = pick_port(), pick_port()
    mod = wafix.MODULE.format(https=https, http=http, www=src("www"), extra=" ".join(sys.argv[1:]))
    d = Daemon(None, modules=mod)
    try:
        d.start()
        w = Target(d, https)
        if not wafix.WebAdmin.wait_https(w):
            raise RuntimeError("HTTPS did not answer on port %d:\n%s" % (https, d.output()))
        m = re.search(r'initial administrator "admin", password (\S+)', d.output())
        print(json.dumps({"https": https, "initial": m.group(1) if m else None,
                          "datadir": d.datadir, "socket": d.socket,
                          "ctl": build("bulwarkctl")}), flush=True)
        sys.stdin.read()
    except Exception as e:     # the runner shows it and fails its set-up
        print(json.dumps({"error": str(e)}), flush=True)
    finally:
        d.__exit__(None, None, None)


if __name__ == "__main__":
    main()
