"""The two networks and their export to platekeeper's model file format.

Both are plain sequences of 2-D convolutions (batch-norm during training,
folded into the weights on export), ReLU and max-pooling, so the C runtime in
src/recog/nn.c needs only those three operations.

Model file format (little-endian, see src/recog/model.c, which is the
authority):

    char     magic[4]  = "PKNN"
    u32      version   = 1
    u32      kind        1 = detector, 2 = reader
    u32      in_c, in_h, in_w      input shape (in_h/in_w 0 = any size)
    u32      stride      detector: output cell size in input pixels; reader: 0
    u32      n_alpha     reader: alphabet length (class i+1 is alphabet[i]); else 0
    char     alphabet[n_alpha]
    u32      n_layers
    layers:  u32 type    1 = conv, 2 = maxpool
             conv:    u32 cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, relu
                      f32 weight[cout][cin][kh][kw], f32 bias[cout]
             maxpool: u32 kh, kw, sh, sw
    u32      fnv1a     FNV-1a 32 of every byte before it
"""

import struct

import numpy as np
import torch
import torch.nn as nn

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# (type, params). conv: (cout, kh, kw, sh, sw, ph, pw, dh, dw, bn_relu)
DETECTOR_SPEC = [
    ("conv", (12, 3, 3, 2, 2, 1, 1, 1, 1, True)),
    ("conv", (16, 3, 3, 2, 2, 1, 1, 1, 1, True)),
    ("conv", (32, 3, 3, 2, 2, 1, 1, 1, 1, True)),
    ("conv", (32, 3, 3, 1, 1, 1, 1, 1, 1, True)),
    ("conv", (48, 3, 3, 2, 2, 1, 1, 1, 1, True)),
    ("conv", (48, 3, 3, 1, 1, 2, 2, 2, 2, True)),
    ("conv", (48, 3, 3, 1, 1, 4, 4, 4, 4, True)),
    ("conv", (5, 1, 1, 1, 1, 0, 0, 1, 1, False)),
]
DETECTOR_STRIDE = 16

READER_SPEC = [
    ("conv", (16, 3, 3, 1, 1, 1, 1, 1, 1, True)),
    ("pool", (2, 2, 2, 2)),
    ("conv", (32, 3, 3, 1, 1, 1, 1, 1, 1, True)),
    ("pool", (2, 2, 2, 2)),
    ("conv", (64, 3, 3, 1, 1, 1, 1, 1, 1, True)),
    ("conv", (64, 3, 3, 1, 1, 1, 1, 1, 1, True)),
    ("pool", (2, 1, 2, 1)),
    ("conv", (96, 4, 1, 1, 1, 0, 0, 1, 1, True)),
    ("conv", (96, 1, 3, 1, 1, 0, 1, 1, 1, True)),
    ("conv", (len(ALPHABET) + 1, 1, 1, 1, 1, 0, 0, 1, 1, False)),
]


def _grown(spec, widths):
    """spec with each hidden conv's channel count c made widths.get(c, c), and two dilated 1x3
    layers (dilation 2 and 4) before the head, so that each output column sees most of the plate
    (a specialty plate's emblem or stacked characters differ from the rest of its text only at
    that range). widen_reader() grows such a net from a trained `spec` file."""
    out = []
    for t, p in spec[:-1]:
        if t == "conv":
            p = (widths.get(p[0], p[0]),) + p[1:]
        out.append((t, p))
    c = out[-1][1][0]
    out += [("conv", (c, 1, 3, 1, 1, 0, d, 1, d, True)) for d in (2, 4)]
    return out + [spec[-1]]


# Tried, not shipped (models/MODEL_CARD.md): wider, and today's widths, each with the two layers.
READER_WIDE_SPEC = _grown(READER_SPEC, {16: 24, 32: 48, 64: 96, 96: 128})
READER_CTX_SPEC = _grown(READER_SPEC, {})
READER_SPECS = {"base": READER_SPEC, "wide": READER_WIDE_SPEC, "ctx": READER_CTX_SPEC}


class SeqNet(nn.Module):
    def __init__(self, spec, in_c=1):
        super().__init__()
        self.spec = spec
        layers = []
        c = in_c
        for t, p in spec:
            if t == "conv":
                cout, kh, kw, sh, sw, ph, pw, dh, dw, bnr = p
                conv = nn.Conv2d(c, cout, (kh, kw), (sh, sw), (ph, pw), (dh, dw), bias=not bnr)
                if bnr:
                    layers.append(nn.Sequential(conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)))
                else:
                    layers.append(conv)
                c = cout
            else:
                kh, kw, sh, sw = p
                layers.append(nn.MaxPool2d((kh, kw), (sh, sw)))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        # inputs are uint8 grey scaled to [0,1]; normalisation lives in the first conv
        return self.layers(x)


def detector():
    return SeqNet(DETECTOR_SPEC)


def reader():
    return SeqNet(READER_SPEC)


def folded_layers(net):
    """[(type, params, weight ndarray or None, bias ndarray or None)] with BN folded."""
    out = []
    for (t, p), m in zip(net.spec, net.layers):
        if t == "pool":
            out.append(("pool", p, None, None))
            continue
        if isinstance(m, nn.Sequential):
            conv, bn = m[0], m[1]
            w = conv.weight.detach().double()
            scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
            w = w * scale[:, None, None, None]
            b = bn.bias.detach().double() - bn.running_mean.double() * scale
            relu = True
        else:
            conv = m
            w = conv.weight.detach().double()
            b = conv.bias.detach().double()
            relu = False
        out.append(("conv", p, w.float().numpy(), b.float().numpy(), relu))
    return out


def fnv1a(data):
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def export(net, path, kind, in_h, in_w, stride=0, alphabet=""):
    body = bytearray()
    body += b"PKNN"
    body += struct.pack("<7I", 1, kind, 1, in_h, in_w, stride, len(alphabet))
    body += alphabet.encode("ascii")
    layers = folded_layers(net)
    body += struct.pack("<I", len(layers))
    cin = 1
    for L in layers:
        if L[0] == "pool":
            body += struct.pack("<5I", 2, *L[1])
            continue
        _, p, w, b, relu = L
        cout, kh, kw, sh, sw, ph, pw, dh, dw, _ = p
        body += struct.pack("<12I", 1, cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, int(relu))
        body += np.ascontiguousarray(w, dtype="<f4").tobytes()
        body += np.ascontiguousarray(b, dtype="<f4").tobytes()
        cin = cout
    body += struct.pack("<I", fnv1a(bytes(body)))
    with open(path, "wb") as f:
        f.write(bytes(body))


def load_pkm(path, spec):
    """A SeqNet of this spec holding the (batch-norm folded) weights of a platekeeper model file:
    each BN is set to the identity (mean 0, var 1 - eps, scale 1) with the folded bias as its
    shift, so the net computes exactly what the file does. Fine-tuning such a net must keep its
    BN layers in eval mode (freeze_bn), since batch statistics would undo the folding."""
    data = open(path, "rb").read()
    if data[:4] != b"PKNN" or fnv1a(data[:-4]) != struct.unpack("<I", data[-4:])[0]:
        raise ValueError(f"{path}: not a platekeeper model file")
    _, _, _, _, _, _, n_alpha = struct.unpack_from("<7I", data, 4)
    off = 4 + 28 + n_alpha
    (n_layers,) = struct.unpack_from("<I", data, off)
    off += 4
    net = SeqNet(spec)
    if n_layers != len(spec):
        raise ValueError(f"{path}: {n_layers} layers, this spec has {len(spec)}")
    for (t, p), m in zip(spec, net.layers):
        (lt,) = struct.unpack_from("<I", data, off)
        if t == "pool":
            off += 20
            continue
        cin, cout, kh, kw = struct.unpack_from("<4I", data, off + 4)
        conv = m[0] if isinstance(m, nn.Sequential) else m
        if tuple(conv.weight.shape) != (cout, cin, kh, kw):
            raise ValueError(f"{path}: a {cout}x{cin}x{kh}x{kw} layer where this spec has "
                             f"{'x'.join(map(str, conv.weight.shape))}")
        off += 48
        nw = cout * cin * kh * kw
        w = np.frombuffer(data, "<f4", nw, off).reshape(cout, cin, kh, kw)
        off += 4 * nw
        b = np.frombuffer(data, "<f4", cout, off)
        off += 4 * cout
        with torch.no_grad():
            if isinstance(m, nn.Sequential):
                conv, bn = m[0], m[1]
                conv.weight.copy_(torch.from_numpy(w.copy()))
                bn.weight.fill_(1.0)
                bn.bias.copy_(torch.from_numpy(b.copy()))
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
            else:
                m.weight.copy_(torch.from_numpy(w.copy()))
                m.bias.copy_(torch.from_numpy(b.copy()))
    return net


def widen_reader(src, spec, seed=0, noise=0.01):
    """A SeqNet of `spec` (READER_SPECS) computing what `src` (a folded READER_SPEC net from
    load_pkm) computes, up to small noise: each layer's extra channels copy randomly chosen
    existing ones (Net2Net), the next layer's weights on a copied channel are shared among its
    copies, and a layer that src lacks starts as the identity (exact after a ReLU, whose output
    is never negative). The noise on the copies lets them learn apart. Raises ValueError when the
    noise-free copy does not compute what src does (a spec this mapping does not fit)."""
    exact = _widen(src, spec, seed, 0.0)
    x = torch.rand(4, 1, 32, 128, generator=torch.Generator().manual_seed(seed))
    src.eval()
    exact.eval()
    with torch.no_grad():
        want, got = src(x), exact(x)
    if want.shape != got.shape or (want - got).abs().max() > 1e-4 * (1 + want.abs().max()):
        raise ValueError("widen_reader: the grown network does not compute what its source does")
    return _widen(src, spec, seed, noise) if noise else exact


def _widen(src, spec, seed, noise):
    g = torch.Generator().manual_seed(seed)
    dst = SeqNet(spec)
    old = [m for (t, _), m in zip(src.spec, src.layers) if t == "conv"]
    new = [(p, m) for (t, p), m in zip(spec, dst.layers) if t == "conv"]
    # Old conv layers in order, matched to the new ones; the new-only layers are the dilated ones.
    extra = len(new) - len(old)
    pairs = [(new[i], old[i]) for i in range(len(old) - 1)]
    inserted = [new[len(old) - 1 + k] for k in range(extra)]
    pairs.append((new[-1], old[-1]))

    def parts(m):
        return (m[0], m[1]) if isinstance(m, nn.Sequential) else (m, None)

    mapping = None  # new input channel -> old input channel, with the count of copies
    with torch.no_grad():
        for i, ((p, m_new), m_old) in enumerate(pairs):
            c_new, bn_new = parts(m_new)
            c_old, bn_old = parts(m_old)
            w = c_old.weight.clone()
            if mapping is not None:
                idx, cnt = mapping
                w = w[:, idx] / cnt[idx][None, :, None, None]
            co_old, co_new = w.shape[0], c_new.weight.shape[0]
            out_idx = torch.cat([torch.arange(co_old),
                                 torch.randint(0, co_old, (co_new - co_old,), generator=g)])
            w = w[out_idx]
            if co_new > co_old:
                w[co_old:] += noise * w.std() * torch.randn(w[co_old:].shape, generator=g)
            c_new.weight.copy_(w)
            if bn_new is not None:
                bn_new.weight.fill_(1.0)
                bn_new.bias.copy_(bn_old.bias[out_idx])
                bn_new.running_mean.zero_()
                bn_new.running_var.fill_(1.0 - bn_new.eps)
            else:
                c_new.bias.copy_(c_old.bias[out_idx])
            mapping = (out_idx, torch.bincount(out_idx, minlength=co_old).float())
            if i == len(pairs) - 2:
                # the identity layers come right after the last hidden layer: the head sees
                # the same channels, so the mapping passes through them unchanged
                for p2, m2 in inserted:
                    c2, bn2 = parts(m2)
                    c2.weight.zero_()
                    k = p2[2] // 2
                    for ch in range(c2.weight.shape[0]):
                        c2.weight[ch, ch, 0, k] = 1.0
                    bn2.weight.fill_(1.0)
                    bn2.bias.zero_()
                    bn2.running_mean.zero_()
                    bn2.running_var.fill_(1.0 - bn2.eps)
    return dst


def freeze_bn(net):
    """Keeps every batch-norm layer on its running statistics (call after net.train())."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def macs(spec, h, w, in_c=1):
    total = 0
    c = in_c
    for t, p in spec:
        if t == "conv":
            cout, kh, kw, sh, sw, ph, pw, dh, dw, _ = p
            h = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
            w = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
            total += h * w * cout * c * kh * kw
            c = cout
        else:
            kh, kw, sh, sw = p
            h = (h - kh) // sh + 1
            w = (w - kw) // sw + 1
    return total, (c, h, w)


if __name__ == "__main__":
    print("detector 512x288", macs(DETECTOR_SPEC, 288, 512))
    print("reader 32x128", macs(READER_SPEC, 32, 128))
    print("params det", sum(p.numel() for p in detector().parameters()),
          "reader", sum(p.numel() for p in reader().parameters()))
