"""Daemon start-up time (exec until the control socket answers `status`)
and resident memory, with every module the build produced loaded.
Prints one line: bench startup: ..."""
import glob, os, re, statistics, time
from bwtest import Daemon, build, module_path

mods = sorted({re.sub(r"^mod_(.*)\.so$", r"\1", os.path.basename(p))
               for d in module_path().split(":") if d
               for p in glob.glob(os.path.join(d, "mod_*.so"))
               if "/tests/" not in p})
modules = "\n    ".join('<module name="%s"/>' % m for m in mods)

times, rss = [], []
for _ in range(10):
    d = Daemon(modules=modules)
    t0 = time.monotonic()
    d.start()
    times.append((time.monotonic() - t0) * 1000)
    with open("/proc/%d/status" % d.proc.pid) as f:
        rss += [int(l.split()[1]) for l in f if l.startswith("VmRSS:")]
    d.__exit__(None, None, None)

times.sort()
print("bench startup: modules=%d start_ms_p50=%.1f start_ms_max=%.1f rss_kb=%d"
      % (len(mods), statistics.median(times), times[-1], statistics.median(rss)))
