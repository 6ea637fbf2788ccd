"""sipp (Debian sip-tester) for tests: a scenario of tests/integration/sipp
run as a peer (in the foreground, or in the background and finished
later), and an OPTIONS flood from one source address as a load source."""
import os, socket, subprocess
from bwtest import pick_port, read_text, src


def run(tmp, scenario, ip, *args, timeout=30, background=False, calls=1):
    """sipp running tests/integration/sipp/SCENARIO from address ip, calls
    times, in directory tmp (its error file SCENARIO.err there), with args.
    Background: the Popen (see finish). Else (exit code, the tails of its
    output and error file)."""
    err = os.path.join(tmp, scenario + ".err")
    cmd = ["sipp", "-sf", src("tests/integration/sipp/" + scenario), "-i", ip, "-m", str(calls),
           "-timeout", str(timeout), "-timeout_error", "-nostdin",
           "-trace_err", "-error_file", err] + list(args)
    if background:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 10, cwd=tmp)
    return p.returncode, p.stdout[-1500:] + p.stderr[-1500:] + read_text(err)[-1500:]


def finish(p, timeout=20):
    """The exit code of a background sipp, or None when it had to be killed
    after timeout seconds."""
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


def options_flood(port, count, local_ip="127.0.0.1", workdir=None, timeout_error=False):
    """Send count OPTIONS (100/s, at most 20 in flight) from local_ip to
    127.0.0.1:port; returns sipp's exit code."""
    cmd = ["sipp", "-sf", src("tests/integration/sipp/options_flood.xml"),
           "-m", str(count), "-r", "100", "-l", "20", "-i", local_ip,
           "-p", str(pick_port(socket.SOCK_DGRAM)), "-nostdin", "-timeout", "30s"]
    if timeout_error:
        cmd.append("-timeout_error")
    cmd.append("127.0.0.1:%d" % port)
    p = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=60)
    return p.returncode
