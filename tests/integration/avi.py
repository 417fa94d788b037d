"""Motion-JPEG AVI files from JPEG images, with the standard library only: video fixtures for
the tests of `read --group` and POST /api/v1/recognize/video, which need no encoder this way
(each JPEG file's bytes are one frame as they are)."""
import struct


def _chunk(fourcc, data):
    return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def _list(kind, data):
    return b"LIST" + struct.pack("<I", len(data) + 4) + kind + data


def mjpeg_avi(frames, width, height, fps=10):
    """An AVI file (bytes) holding the JPEG files' bytes `frames` as Motion-JPEG at fps."""
    n = len(frames)
    avih = struct.pack("<10I4I", 1000000 // fps, 0, 0, 0x10, n, 0, 1, 0, width, height, 0, 0, 0, 0)
    strh = struct.pack("<4s4sIHHIIIIIIIIhhhh", b"vids", b"MJPG", 0, 0, 0, 0, 1, fps, 0, n, 0,
                       0xFFFFFFFF, 0, 0, 0, width, height)
    strf = struct.pack("<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", width * height * 3,
                       0, 0, 0, 0)
    hdrl = _list(b"hdrl", _chunk(b"avih", avih)
                 + _list(b"strl", _chunk(b"strh", strh) + _chunk(b"strf", strf)))
    movi, index, off = b"", b"", 4
    for f in frames:
        c = _chunk(b"00dc", f)
        index += struct.pack("<4sIII", b"00dc", 0x10, off, len(f))
        off += len(c)
        movi += c
    body = b"AVI " + hdrl + _list(b"movi", movi) + _chunk(b"idx1", index)
    return b"RIFF" + struct.pack("<I", len(body)) + body
