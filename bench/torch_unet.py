"""PyTorch peer of build/bench_unet: the same U-Net (genlab/models/diffusion/unet.cpp: residual
blocks with adaptive group norm, attention at 7x7, skips, 2x average pooling and nearest
upsampling + conv), EDM preconditioning and loss, Adam and an EMA, batch 128 of 1x28x28.
Attention is softmax(q k^T / sqrt(d)) v (torch 1.13 has no fused attention).

Usage: /usr/bin/python3 bench/torch_unet.py THREADS RUNS STEPS [channels_last]
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb, groups=8):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(min(groups, cin), cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.affine = nn.Linear(emb, 2 * cout)
        self.norm2, self.conv2 = nn.GroupNorm(min(groups, cout), cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None
        self.cout = cout

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.affine(e)[:, :, None, None].chunk(2, dim=1)
        h = F.silu(self.norm2(h) * (1 + scale) + shift)
        return (self.skip(x) if self.skip is not None else x) + self.conv2(h)


class Attention(nn.Module):
    def __init__(self, ch, heads=1, groups=8):
        super().__init__()
        self.norm, self.qkv, self.proj = nn.GroupNorm(min(groups, ch), ch), nn.Conv2d(ch, 3 * ch, 1), nn.Conv2d(ch, ch, 1)
        self.heads = heads

    def forward(self, x):
        b, c, h, w = x.shape
        d = c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(b, 3, self.heads, d, h * w).transpose(3, 4)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), -1) @ v
        return x + self.proj(a.transpose(2, 3).reshape(b, c, h, w))


class UNet(nn.Module):
    def __init__(self, ch=32, mult=(1, 2, 2), blocks=1, attn=(7,), side=28, emb_dim=64):
        super().__init__()
        emb = 4 * ch
        self.emb_dim = emb_dim
        self.embed1, self.embed2 = nn.Linear(emb_dim, emb), nn.Linear(emb, emb)
        self.input = nn.Conv2d(1, ch, 3, padding=1)
        self.enc, self.mid, self.dec = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        self.enc_kind, self.dec_kind = [], []
        skips, c = [ch], ch

        def block(cin, cout, s):
            m = nn.ModuleList([ResBlock(cin, cout, emb)])
            if s in attn:
                m.append(Attention(cout))
            return m

        for level, m in enumerate(mult):
            for _ in range(blocks):
                self.enc.append(block(c, ch * m, side)); self.enc_kind.append("block")
                c = ch * m; skips.append(c)
            if level + 1 < len(mult):
                self.enc.append(nn.ModuleList()); self.enc_kind.append("down")
                skips.append(c); side //= 2
        self.mid.append(block(c, c, side))
        if len(self.mid[0]) == 1:
            self.mid[0].append(Attention(c))
        self.mid.append(block(c, c, side))
        for level in reversed(range(len(mult))):
            for _ in range(blocks + 1):
                self.dec.append(block(c + skips.pop(), ch * mult[level], side)); self.dec_kind.append("block")
                c = ch * mult[level]
            if level > 0:
                self.dec.append(nn.ModuleList([nn.Conv2d(c, c, 3, padding=1)])); self.dec_kind.append("up")
                side *= 2
        self.out_norm, self.out = nn.GroupNorm(min(8, c), c), nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x, c_noise):
        half = self.emb_dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half) / half)
        arg = c_noise[:, None] * freqs[None]
        e = torch.cat([torch.cos(arg), torch.sin(arg)], 1)
        e = F.silu(self.embed2(F.silu(self.embed1(e))))

        def run(m, h):
            h = m[0](h, e)
            return m[1](h) if len(m) > 1 else h

        h = self.input(x)
        skips = [h]
        for kind, m in zip(self.enc_kind, self.enc):
            h = F.avg_pool2d(h, 2) if kind == "down" else run(m, h)
            skips.append(h)
        for m in self.mid:
            h = run(m, h)
        for kind, m in zip(self.dec_kind, self.dec):
            if kind == "up":
                h = m[0](F.interpolate(h, scale_factor=2, mode="nearest"))
            else:
                h = run(m, torch.cat([h, skips.pop()], 1))
        return self.out(F.silu(self.out_norm(h)))


def edm_loss(net, x0, sd=0.5):
    """EDM's loss on a batch: ln sigma ~ N(-1.2, 1.2^2), the preconditioned denoiser
    D = c_skip x + c_out F(c_in x; ln(sigma) / 4), weighted by lambda(sigma)."""
    sigma = torch.exp(torch.randn(x0.shape[0]) * 1.2 - 1.2)[:, None, None, None]
    eps = torch.randn_like(x0)
    c_skip = sd ** 2 / (sigma ** 2 + sd ** 2)
    c_out = sigma * sd / torch.sqrt(sigma ** 2 + sd ** 2)
    c_in = 1 / torch.sqrt(sigma ** 2 + sd ** 2)
    weight = (sigma ** 2 + sd ** 2) / (sigma * sd) ** 2
    x = x0 + sigma * eps
    d = c_skip * x + c_out * net(c_in * x, torch.log(sigma.flatten()) / 4)
    return (weight * (d - x0) ** 2).mean()


def train_step(net, ema, opt, x0, sd=0.5):
    """One step: EDM's loss, Adam, EMA 0.999 of the parameters (a list of tensors); the loss
    is read, as genlab's step reads it."""
    loss = edm_loss(net, x0, sd)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    with torch.no_grad():
        for e, p in zip(ema, net.parameters()):
            e.mul_(0.999).add_(p, alpha=0.001)
    return loss.item()


def main():
    threads, runs, steps = (int(a) for a in sys.argv[1:4])
    channels_last = len(sys.argv) > 4 and sys.argv[4] == "channels_last"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = UNet()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    net = net.to(memory_format=fmt)
    ema = [p.detach().clone() for p in net.parameters()]
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    x0 = (torch.rand(128, 1, 28, 28) * 2 - 1).contiguous(memory_format=fmt)
    sd = 0.5

    def step():
        return train_step(net, ema, opt, x0, sd)

    for _ in range(2):
        step()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = step()
        times.append((time.perf_counter() - t0) / steps)
    print(json.dumps({"bench": "unet_step", "impl": "torch " + torch.__version__, "threads": threads,
                      "layout": "channels_last" if channels_last else "NCHW",
                      "parameters": sum(p.numel() for p in net.parameters()),
                      "median_step_s": statistics.median(times), "loss": loss}))


if __name__ == "__main__":
    main()
