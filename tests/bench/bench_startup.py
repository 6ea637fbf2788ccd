"""Daemon start-up time (exec until the control socket answers `status`)
and resident memory, with every module the build produced loaded.
Modules that cannot start without settings get the smallest valid ones
(SETTINGS); a module whose bare element the configuration check still
refuses is left out and named in `refused=` rather than failing the run.
Prints one line: bench startup: ..."""
import glob, os, re, shutil, socket, statistics, subprocess, tempfile, time
from bwtest import CONFIG, Daemon, build, module_path, pick_port

SETTINGS = {
    "snmp": lambda: '<module name="snmp" listen="127.0.0.1:%d"/>'
                    % pick_port(socket.SOCK_DGRAM),
    "smtp-alarm": lambda: '<module name="smtp-alarm" url="smtp://127.0.0.1:%d" '
                          'from="pbx@example.org"><recipient address="noc@example.org"/>'
                          '</module>' % pick_port(),
}


def element(name):
    return SETTINGS[name]() if name in SETTINGS else '<module name="%s"/>' % name


def accepted(name):
    tmp = tempfile.mkdtemp(prefix="bwbench-")
    try:
        cfg = os.path.join(tmp, "bulwark.xml")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(datadir=tmp, modules=element(name)))
        p = subprocess.run([build("bulwarkd"), "--check-config", cfg], capture_output=True,
                           env=dict(os.environ, BULWARK_MODULE_PATH=module_path()), timeout=60)
        return p.returncode == 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


built = sorted({re.sub(r"^mod_(.*)\.so$", r"\1", os.path.basename(p))
                for d in module_path().split(":") if d
                for p in glob.glob(os.path.join(d, "mod_*.so"))
                if "/tests/" not in p})
mods = [m for m in built if accepted(m)]
refused = [m for m in built if m not in mods]

times, rss = [], []
for _ in range(10):
    d = Daemon(modules="\n    ".join(element(m) for m in mods))
    t0 = time.monotonic()
    d.start()
    times.append((time.monotonic() - t0) * 1000)
    with open("/proc/%d/status" % d.proc.pid) as f:
        rss += [int(l.split()[1]) for l in f if l.startswith("VmRSS:")]
    d.__exit__(None, None, None)

times.sort()
print("bench startup: modules=%d start_ms_p50=%.1f start_ms_max=%.1f rss_kb=%d refused=%s"
      % (len(mods), statistics.median(times), times[-1], statistics.median(rss),
         ",".join(refused) or "none"))
