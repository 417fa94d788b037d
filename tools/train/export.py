"""Writes the trained networks as platekeeper model files, and the C-vs-PyTorch fixture.

    export.py --detector work/detector.pt --reader work/reader.pt --models ../../models \
              --fixture ../../tests/unit/fixtures/recog

Without --detector only the reader (and its fixture) is written: a reader fine-tuned on its own
(train_all.sh stage 6) leaves the detector as it is.

The fixture holds, for each model, a fixed pseudo-random input and PyTorch's output for it
(eval mode, batch-norm as trained, not folded), so tests/unit/test_recog_nn.c can check that
the C runtime, on the exported file, gives the same numbers. Format of each .bin: u32 c, h, w,
then c*h*w float32, little-endian.
"""

import argparse
import os
import struct

import numpy as np
import torch

import nets


def write_tensor(path, a):
    a = np.asarray(a, dtype="<f4")
    c, h, w = a.shape
    with open(path, "wb") as f:
        f.write(struct.pack("<3I", c, h, w))
        f.write(a.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", help="the detector's checkpoint; without it, readers only")
    ap.add_argument("--reader", required=True)
    ap.add_argument("--more-readers", nargs="*", default=[],
                    help="further readers of the ensemble, written as reader-2.pkm, reader-3.pkm..")
    ap.add_argument("--reader-spec", default="base", choices=sorted(nets.READER_SPECS),
                    help="the readers' network shape (train_reader.py --spec)")
    ap.add_argument("--models", required=True)
    ap.add_argument("--fixture", required=True)
    a = ap.parse_args()
    os.makedirs(a.models, exist_ok=True)
    os.makedirs(a.fixture, exist_ok=True)
    todo = []
    if a.detector:
        det = nets.detector()
        det.load_state_dict(torch.load(a.detector))
        det.eval()
        nets.export(det, os.path.join(a.models, "detector.pkm"), 1, 0, 0,
                    stride=nets.DETECTOR_STRIDE)
        todo.append(("detector", det, (1, 72, 120)))
    rd = nets.SeqNet(nets.READER_SPECS[a.reader_spec])
    rd.load_state_dict(torch.load(a.reader))
    rd.eval()
    nets.export(rd, os.path.join(a.models, "reader.pkm"), 2, 32, 128, alphabet=nets.ALPHABET)
    todo.append(("reader", rd, (1, 32, 128)))
    for k, path in enumerate(a.more_readers, start=2):
        more = nets.SeqNet(nets.READER_SPECS[a.reader_spec])
        more.load_state_dict(torch.load(path))
        more.eval()
        nets.export(more, os.path.join(a.models, f"reader-{k}.pkm"), 2, 32, 128,
                    alphabet=nets.ALPHABET)
        todo.append((f"reader-{k}", more, (1, 32, 128)))
    # A reader file left from an earlier, larger ensemble would join this one: remove it.
    for k in range(len(a.more_readers) + 2, 5):
        stale = os.path.join(a.models, f"reader-{k}.pkm")
        if os.path.exists(stale):
            os.remove(stale)
    rng = np.random.default_rng(12345)
    # smooth-ish inputs in [0,1], like images
    for name, net, shape in todo:
        x = rng.random(shape).astype(np.float32)
        x = (x + np.roll(x, 1, 1) + np.roll(x, 1, 2)) / 3
        with torch.no_grad():
            y = net(torch.from_numpy(x)[None])[0].numpy()
        write_tensor(os.path.join(a.fixture, f"{name}_in.bin"), x)
        write_tensor(os.path.join(a.fixture, f"{name}_out.bin"), y)
        print(name, "out", y.shape, "max |y|", float(np.abs(y).max()))
    print("exported to", a.models)


if __name__ == "__main__":
    main()
