"""tools/figure.py's animated PNG (the README's Context sweep) and its proper-font labels:
the APNG decodes frame by frame to exactly the frames written (CRCs, sequence numbers,
acTL/fcTL/fdAT), and a label blends its coverage mask where it was asked to."""
from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import figure  # noqa: E402
from pngread import chunks  # noqa: E402  (tests/model_core/pngread.py)


def _unfilter_up(raw: bytes, h: int, w: int, c: int) -> np.ndarray:
    rows = np.frombuffer(zlib.decompress(raw), np.uint8).reshape(h, 1 + w * c)
    assert (rows[:, 0] == 2).all()
    out = np.zeros((h, w * c), np.int32)
    prev = np.zeros(w * c, np.int32)
    for y in range(h):
        prev = out[y] = (rows[y, 1:].astype(np.int32) + prev) & 0xFF
    return out.reshape(h, w, c).astype(np.uint8)


def decode_apng(data: bytes) -> tuple[list[np.ndarray], list[int], int]:
    frames, delays, seqs, plays = [], [], [], -1
    w = h = c = 0
    for tag, body in chunks(data):
        if tag == b"IHDR":
            w, h, _d, ctype, *_ = struct.unpack(">IIBBBBB", body)
            c = 3 if ctype == 2 else 4
        elif tag == b"acTL":
            count, plays = struct.unpack(">II", body)
        elif tag == b"fcTL":
            seq, fw, fh, x, y, num, den, _dispose, _blend = struct.unpack(">IIIIIHHBB", body)
            assert (fw, fh, x, y) == (w, h, 0, 0)
            seqs.append(seq)
            delays.append(round(1000 * num / den))
        elif tag == b"IDAT":
            frames.append(_unfilter_up(body, h, w, c))
        elif tag == b"fdAT":
            seqs.append(struct.unpack(">I", body[:4])[0])
            frames.append(_unfilter_up(body[4:], h, w, c))
    assert seqs == list(range(len(seqs))), seqs
    assert len(frames) == count
    return frames, delays, plays


def test_apng_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (9, 13, 3), dtype=np.uint8) for _ in range(4)]
    figure.write_apng(tmp_path / "anim.png", frames, delay_ms=70)
    back, delays, plays = decode_apng((tmp_path / "anim.png").read_bytes())
    assert len(back) == 4 and delays == [70] * 4 and plays == 0
    for a, b in zip(frames, back):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError):
        figure.apng_bytes([np.zeros((2, 2, 3)), np.zeros((3, 2, 3))])


def test_label_blends_the_font_mask():
    mask = np.zeros((6, 10))
    mask[2:4, 3:7] = 1.0
    fig = figure.Figure(40, 20, background=(1.0, 1.0, 1.0))
    w, h = fig.label(5, 4, "any", lambda text, size: mask, color=(0.0, 0.0, 0.0), backing=None)
    assert (w, h) == (16, 8)
    img = fig.to_uint8()
    assert (img[6:8, 8:12] == 0).all()                 # the glyph, where asked
    assert (img[:4] == 255).all() and (img[:, :8] == 255).all()
    fig.label(35, 15, "clipped", lambda text, size: np.ones((10, 10)))   # off the edge: clipped
