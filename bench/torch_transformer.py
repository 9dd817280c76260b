"""PyTorch peer of `bench_transformer`: the same decoder-only Transformer (learned start
token, binary tokens embedded as zero + x (one - zero), pre-LayerNorm blocks, causal
attention with half-split RoPE, GELU MLP of 4 x width, final LayerNorm, one logit per
position), the same data (Debian's Fashion-MNIST IDX files, threshold 0.5, optionally
2x2-averaged to 14x14 first), batch 32, AdamW 2e-3 (decay 0.01, none on 1-D parameters),
100 warm-up steps then cosine to 0, gradient clipping at 1. PyTorch 1.13 has no fused
scaled_dot_product_attention, so attention is the usual masked softmax(q k^T / sqrt(d)) v.
Prints one JSON line.

Usage: /usr/bin/python3 bench/torch_transformer.py SIZE(28|14) THREADS STEPS [TEST_IMAGES] [CHUNK] [SEED]
       CHUNK: queries per attention block (0: the whole causal square at once)
"""
import gzip
import json
import math
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DIR = "/usr/share/datasets/fashion-mnist"


def idx_images(name, size):
    with gzip.open(f"{DIR}/{name}.gz", "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(3))
    x = np.frombuffer(raw, np.uint8, offset=16).reshape(n, h, w) / 255.0
    if size == 14:
        x = x.reshape(n, 14, 2, 14, 2).mean(axis=(2, 4))
    return (x.reshape(n, -1) > 0.5).astype(np.float32)


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1)


class Block(torch.nn.Module):
    def __init__(self, width, heads, chunk):
        super().__init__()
        self.heads, self.chunk = heads, chunk
        self.norm1, self.norm2 = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
        self.qkv = torch.nn.Linear(width, 3 * width, bias=False)
        self.proj = torch.nn.Linear(width, width)
        self.fc1, self.fc2 = torch.nn.Linear(width, 4 * width), torch.nn.Linear(4 * width, width)

    def forward(self, h, cos, sin, mask):
        b, t, w = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(b, t, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        q, k = rope(q, cos, sin) * (q.shape[-1] ** -0.5), rope(k, cos, sin)
        if self.chunk >= t:
            a = torch.softmax(q @ k.transpose(-1, -2) + mask, -1) @ v
        else:
            # Blocks of queries, each against the keys up to its last position: half the
            # work of the full causal square and a working set that stays in cache.
            parts = []
            for i in range(0, t, self.chunk):
                j = min(t, i + self.chunk)
                parts.append(torch.softmax(q[:, :, i:j] @ k[:, :, :j].transpose(-1, -2) + mask[i:j, :j], -1)
                             @ v[:, :, :j])
            a = torch.cat(parts, 2)
        a = a.transpose(1, 2).reshape(b, t, w)
        r = h + self.proj(a)
        return r + self.fc2(F.gelu(self.fc1(self.norm2(r))))


class Transformer(torch.nn.Module):
    def __init__(self, dims, layers=2, width=64, heads=4, chunk=0):
        super().__init__()
        self.start = torch.nn.Parameter(torch.randn(width) * 0.02)
        self.zero = torch.nn.Parameter(torch.randn(width) * 0.02)
        self.one_minus_zero = torch.nn.Parameter(torch.randn(width) * 0.02)
        self.blocks = torch.nn.ModuleList(Block(width, heads, chunk or dims) for _ in range(layers))
        self.norm, self.out = torch.nn.LayerNorm(width), torch.nn.Linear(width, 1)
        hw = width // heads
        angle = torch.arange(dims, dtype=torch.float64)[:, None] * 10000.0 ** (-2.0 * torch.arange(hw // 2) / hw)
        self.register_buffer("cos", angle.cos().float())
        self.register_buffer("sin", angle.sin().float())
        self.register_buffer("mask", torch.full((dims, dims), float("-inf")).triu(1))

    def logits(self, x):
        b = x.shape[0]
        h = torch.cat([self.start.expand(b, 1, -1), x[:, :-1, None] * self.one_minus_zero + self.zero], 1)
        for block in self.blocks:
            h = block(h, self.cos, self.sin, self.mask)
        return self.out(self.norm(h)).squeeze(-1)


def log_prob(model, x):
    l = model.logits(x)
    return (x * l - F.softplus(l)).sum(1)


def main():
    size, threads, steps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    test_images = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    train = torch.from_numpy(idx_images("train-images-idx3-ubyte", size))
    test = torch.from_numpy(idx_images("t10k-images-idx3-ubyte", size))[:test_images]
    model = Transformer(train.shape[1], chunk=chunk)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=2e-3)
    warmup = min(100, steps - 1)

    def lr_at(s):
        if s < warmup:
            return 2e-3 * (s + 1) / warmup
        return 0.5 * 2e-3 * (1 + math.cos(math.pi * min(1.0, (s - warmup) / (steps - warmup))))

    seconds, perm, nxt, batch = [], None, 0, 32
    for s in range(steps):
        if perm is None or nxt + batch > len(perm):
            perm, nxt = torch.randperm(train.shape[0]), 0
        x = train[perm[nxt:nxt + batch]]
        nxt += batch
        t0 = time.perf_counter()
        loss = -log_prob(model, x).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for g in opt.param_groups:
            g["lr"] = lr_at(s)
        opt.step()
        seconds.append(time.perf_counter() - t0)
    nll = 0.0
    if len(test):
        with torch.no_grad():
            nll = float(-sum(log_prob(model, test[i:i + 250]).sum() for i in range(0, len(test), 250)) / len(test))
    print(json.dumps({"bench": "transformer", "impl": "torch " + torch.__version__, "size": size, "seed": seed, "threads": threads,
                      "steps": steps, "chunk": chunk, "parameters": sum(p.numel() for p in model.parameters()),
                      "median_step_s": round(statistics.median(seconds), 5), "test_nll": round(nll, 3)}))


if __name__ == "__main__":
    main()
