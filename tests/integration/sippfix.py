"""sipp (Debian sip-tester) as a load source for tests: an OPTIONS flood
from one source address, bounded in count, rate and time."""
import socket, subprocess
from bwtest import pick_port, src


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
