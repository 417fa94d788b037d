"""`platekeeper read URL` (issue 6, docs/recognition.md): a stream URL is read as a video, its
results printed as they come (a pipe's reader sees each frame's line before the stream ends),
and SIGINT ends an endless stream cleanly: exit 0, "stopped by a signal", and with --group the
open groups reported. The stream here is a named pipe fed with a Motion-JPEG AVI (avi.py), read
through FFmpeg's file: protocol, so nothing depends on a camera; a refused connection is an
error naming the URL. Skipped when ../shared/data is not beside the checkout.
"""
import os
import select
import signal
import subprocess
import tempfile
import time

from avi import mjpeg_avi
from pkserver import PK_BIN, Tap

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.environ.get("PK_DATA") or os.path.join(ROOT, "..", "shared", "data")
SCENES = os.path.join(DATA, "openalpr-benchmarks", "endtoend", "us")


def read_line(proc, deadline):
    """The next line of proc's stdout, or None when none comes before the deadline."""
    buf = b""
    while time.time() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            ch = os.read(proc.stdout.fileno(), 1)
            if not ch:
                return None
            buf += ch
            if ch == b"\n":
                return buf.decode()
    return None


def wait_for(proc, needle, seconds=60):
    """Reads proc's stdout lines until one holds needle; returns the lines read."""
    lines, deadline = [], time.time() + seconds
    while True:
        line = read_line(proc, deadline)
        if line is None:
            return lines, False
        lines.append(line)
        if needle in line:
            return lines, True


def stream(t, args, frames_before, frames_after, needle, what):
    """Feeds frames_before into a pipe read as file:URL, waits for needle on stdout, sends SIGINT,
    feeds frames_after (the reader sees the signal at its next frame) and keeps the pipe open.
    Returns (stdout lines, stderr, exit code)."""
    tmp = tempfile.mkdtemp()
    fifo = os.path.join(tmp, "camera")
    os.mkfifo(fifo)
    proc = subprocess.Popen([PK_BIN, "read"] + args + ["file://" + fifo], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        data = mjpeg_avi(frames_before + frames_after, 1280, 720)
        # Where frame len(frames_before) starts: the headers (an empty AVI less its empty index
        # chunk), then 8 bytes and the (even-padded) JPEG per frame.
        cut = len(mjpeg_avi([], 1280, 720)) - 8 + sum(8 + len(f) + len(f) % 2
                                                       for f in frames_before)
        w = os.open(fifo, os.O_WRONLY)
        os.write(w, data[:cut])
        lines, seen = wait_for(proc, needle)
        t.ok(seen, "%s: a result comes while the stream is still open" % what, lines)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        try:
            os.write(w, data[cut:])
        except BrokenPipeError:
            pass  # it stopped already
        out, err = proc.communicate(timeout=60)
        os.close(w)
        return lines + out.decode().splitlines(keepends=True), err.decode(), proc.returncode
    finally:
        if proc.poll() is None:
            proc.kill()
        os.unlink(fifo)
        os.rmdir(tmp)


def main(t):
    p = subprocess.run([PK_BIN, "read", "rtsp://127.0.0.1:1/none"], capture_output=True, text=True, timeout=60)
    t.ok(p.returncode == 1 and "rtsp://127.0.0.1:1/none" in p.stderr and "cannot open" in p.stderr,
         "a camera that refuses the connection: an error naming the URL", p.stderr)

    a_path = os.path.join(SCENES, "wts-lg-000144.jpg")
    if not os.path.exists(a_path):
        t.ok(True, "# SKIP no labelled scenes at %s" % SCENES)
        return
    a = open(a_path, "rb").read()
    b = open(os.path.join(SCENES, "wts-lg-000155.jpg"), "rb").read()

    # Frame by frame: each frame's result is out before the stream ends; SIGINT stops it.
    lines, err, rc = stream(t, ["--every", "1"], [a] * 12, [a] * 12, "frame 3 ", "frames")
    frames = [ln for ln in lines if " frame " in ln and "plate" in ln]
    t.ok(rc == 0 and "stopped by a signal" in err and 4 <= len(frames) < 24,
         "SIGINT: exit 0, stopped by a signal, the frames read so far", (rc, err, len(frames)))

    # Groups: car A's group is reported once B has been read past the gap; SIGINT reports B's.
    lines, err, rc = stream(t, ["--every", "1", "--group", "--group-gap", "150"], [a] * 6 + [b] * 6,
                            [b] * 12, "CWW2245", "groups")
    groups = [ln for ln in lines if "frames" in ln]
    t.ok(rc == 0 and "stopped by a signal" in err and len(groups) == 2
         and "CWW2245" in groups[0] and "CYZ5139" in groups[1],
         "SIGINT with --group: the open group is reported too", (rc, err, groups))


if __name__ == "__main__":
    Tap().run(main)
