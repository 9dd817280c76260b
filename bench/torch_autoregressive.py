"""PyTorch peer of `bench_autoregressive`: the same models (MADE one hidden layer with
natural order and one mask, NADE with the incremental pass, FVSBN), the same data
(Debian's Fashion-MNIST IDX files, threshold 0.5, all 60,000 training images shuffled
per epoch), batch 100, Adam 1e-3. Prints one JSON line.

Usage: /usr/bin/python3 bench/torch_autoregressive.py ARCH THREADS EPOCHS REPORT(1,5,20) [HIDDEN]
"""
import gzip
import json
import statistics
import sys
import time

import numpy as np
import torch

DIR = "/usr/share/datasets/fashion-mnist"


def idx_images(name):
    with gzip.open(f"{DIR}/{name}.gz", "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(3))
    return (np.frombuffer(raw, np.uint8, offset=16).reshape(n, h * w) / 255.0 > 0.5).astype(np.float32)


class MADE(torch.nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(d, h), torch.nn.Linear(h, d)
        deg = torch.arange(1, d + 1)
        m = torch.randint(1, d, (h,))  # m(k) in {1..D-1}
        self.register_buffer("m1", (m[:, None] >= deg[None, :]).float())
        self.register_buffer("m2", (deg[:, None] > m[None, :]).float())

    def logits(self, x):
        h = torch.relu(torch.nn.functional.linear(x, self.fc1.weight * self.m1, self.fc1.bias))
        return torch.nn.functional.linear(h, self.fc2.weight * self.m2, self.fc2.bias)


class FVSBN(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = torch.nn.Linear(d, d)
        self.register_buffer("mask", torch.tril(torch.ones(d, d), -1))

    def logits(self, x):
        return torch.nn.functional.linear(x, self.fc.weight * self.mask, self.fc.bias)


class NADE(torch.nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.W = torch.nn.Parameter(torch.empty(h, d).uniform_(-d ** -0.5, d ** -0.5))
        self.c = torch.nn.Parameter(torch.zeros(h))
        self.V = torch.nn.Parameter(torch.empty(d, h).uniform_(-h ** -0.5, h ** -0.5))
        self.b = torch.nn.Parameter(torch.zeros(d))

    def logits(self, x, block=14):
        # The pre-activations a_i = c + sum_{j<i} x_j W[:, j] in blocks of `block`
        # dimensions: inside a block, an exclusive cumulative sum over a [B, block, H]
        # tensor; between blocks, a carried [B, H] sum. The textbook loop over i
        # (logits_loop) is the same model; per training batch of 100 on one thread it took
        # 0.30 s, blocks of 4 / 7 / 14 / 28 / 56 took 0.25 / 0.22 / 0.22 / 0.28 / 0.29 s, and all
        # D at once ([B, D, H], 157 MB per tensor) was memory-bound and slower still.
        a0 = self.c.expand(x.shape[0], -1)
        out = []
        for i0 in range(0, x.shape[1], block):
            i1 = min(x.shape[1], i0 + block)
            contrib = x[:, i0:i1, None] * self.W.t()[None, i0:i1]  # [B, block, H]
            cum = torch.cumsum(contrib, 1)
            a = a0[:, None] + cum - contrib
            out.append((torch.sigmoid(a) * self.V[None, i0:i1]).sum(-1) + self.b[i0:i1])
            a0 = a0 + cum[:, -1]
        return torch.cat(out, 1)

    def logits_loop(self, x):
        a = self.c.expand(x.shape[0], -1)
        out = []
        for i in range(x.shape[1]):
            out.append(torch.sigmoid(a) @ self.V[i] + self.b[i])
            a = a + x[:, i:i + 1] * self.W[:, i]
        return torch.stack(out, 1)


def log_prob(model, x):
    l = model.logits(x)
    return (x * l - torch.nn.functional.softplus(l)).sum(1)


def main():
    arch, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    report = [int(e) for e in sys.argv[4].split(",")]
    hidden = int(sys.argv[5]) if len(sys.argv) > 5 else 500
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    train = torch.from_numpy(idx_images("train-images-idx3-ubyte"))
    test = torch.from_numpy(idx_images("t10k-images-idx3-ubyte"))
    d = train.shape[1]
    model = MADE(d, hidden) if arch == "made" else NADE(d, hidden) if arch == "nade" else FVSBN(d)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds, nll = [], {}
    for e in range(1, epochs + 1):
        perm = torch.randperm(train.shape[0])
        t0 = time.perf_counter()
        for i in range(0, train.shape[0] - 99, 100):
            loss = -log_prob(model, train[perm[i:i + 100]]).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
        if e in report:
            with torch.no_grad():
                nll[str(e)] = round(float(-sum(log_prob(model, test[i:i + 1000]).sum() for i in range(0, len(test), 1000)) / len(test)), 3)
    print(json.dumps({"bench": "autoregressive", "impl": "torch " + torch.__version__, "arch": arch, "threads": threads,
                      "epochs": epochs, "median_epoch_s": round(statistics.median(seconds), 3), "test_nll": nll}))


if __name__ == "__main__":
    main()
