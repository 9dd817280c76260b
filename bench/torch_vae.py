"""PyTorch peer of `bench_vae`: the same VAE (784-H-Z MLPs with ReLU, Bernoulli decoder;
Gaussian latents with the reparameterization trick, or 20 x 10 categorical latents with
straight-through Gumbel-Softmax, tau = max(0.5, exp(-3e-4 step)), KL to the uniform
prior), the same data (Debian's Fashion-MNIST, all 60,000 training images shuffled per
epoch, threshold 0.5 or a fresh Bernoulli draw per epoch), batch 128 (the last partial
batch kept), Adam 1e-3; the test negative ELBO and IWAE NLL computed the same way.
Prints one JSON line.

Usage: /usr/bin/python3 bench/torch_vae.py LATENT THREADS EPOCHS REPORT(1,10) [IWAE_K] [IWAE_EXAMPLES]
       [BINARIZE static|dynamic] [HELD_OUT threshold|sample] [SEED]
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


def idx_gray(name):
    with gzip.open(f"{DIR}/{name}.gz", "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(3))
    return (np.frombuffer(raw, np.uint8, offset=16).reshape(n, h * w) / 255.0).astype(np.float32)


def mlp(i, h, o):
    return torch.nn.Sequential(torch.nn.Linear(i, h), torch.nn.ReLU(), torch.nn.Linear(h, o))


class VAE(torch.nn.Module):
    def __init__(self, latent, d=784, h=400, z=20, k=10):
        super().__init__()
        self.latent, self.z, self.k = latent, z, k
        width = z * k if latent == "categorical" else z
        self.enc = mlp(d, h, width if latent == "categorical" else 2 * z)
        self.dec = mlp(width, h, d)

    def log_lik(self, x, logits):
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)

    def kl(self, q):
        if self.latent == "categorical":
            logq = F.log_softmax(q, -1)
            return (logq.exp() * logq).sum((-1, -2)) + self.z * math.log(self.k)
        mu, lv = q
        return 0.5 * (mu ** 2 + lv.exp() - lv - 1).sum(-1)

    def encode(self, x):
        h = self.enc(x)
        if self.latent == "categorical":
            return h.view(-1, self.z, self.k)
        return h[:, :self.z], h[:, self.z:]

    def loss(self, x, tau):
        q = self.encode(x)
        if self.latent == "categorical":
            zs = F.gumbel_softmax(q, tau=tau, hard=True).view(x.shape[0], -1)
        else:
            mu, lv = q
            zs = mu + (0.5 * lv).exp() * torch.randn_like(mu)
        return (self.kl(q) - self.log_lik(x, self.dec(zs))).mean()

    def draw_exact(self, q, reps):
        """reps exact latent draws per row (sample-major) with log q and log p."""
        if self.latent == "categorical":
            logits = q.repeat(reps, 1, 1)
            logq_all = F.log_softmax(logits, -1)
            idx = torch.distributions.Categorical(logits=logits).sample()
            onehot = F.one_hot(idx, self.k).float()
            logq = (onehot * logq_all).sum((-1, -2))
            logp = torch.full_like(logq, -self.z * math.log(self.k))
            return onehot.view(onehot.shape[0], -1), logq, logp
        mu, lv = (t.repeat(reps, 1) for t in q)
        eps = torch.randn_like(mu)
        z = mu + (0.5 * lv).exp() * eps
        c = 0.5 * math.log(2 * math.pi)
        logq = (-0.5 * eps ** 2 - 0.5 * lv - c).sum(-1)
        logp = (-0.5 * z ** 2 - c).sum(-1)
        return z, logq, logp

    @torch.inference_mode()
    def neg_elbo(self, x):
        q = self.encode(x)
        z, _, _ = self.draw_exact(q, 1)
        return -(self.log_lik(x, self.dec(z)) - self.kl(q))

    @torch.inference_mode()
    def iwae_nll(self, x, k, max_rows=16384):
        b = x.shape[0]
        q = self.encode(x)
        chunk = max(1, max_rows // b)
        logw = []
        for s0 in range(0, k, chunk):
            cs = min(chunk, k - s0)
            z, logq, logp = self.draw_exact(q, cs)
            w = self.log_lik(x.repeat(cs, 1), self.dec(z)) + logp - logq
            logw.append(w.view(cs, b))
        return -(torch.logsumexp(torch.cat(logw, 0), 0) - math.log(k))


def main():
    latent, threads, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    report = [int(e) for e in sys.argv[4].split(",")]
    iwae_k = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    iwae_examples = int(sys.argv[6]) if len(sys.argv) > 6 else 1000
    binarize = sys.argv[7] if len(sys.argv) > 7 else "static"
    held_out = sys.argv[8] if len(sys.argv) > 8 else "threshold"
    seed = int(sys.argv[9]) if len(sys.argv) > 9 else 0
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    train = torch.from_numpy(idx_gray("train-images-idx3-ubyte"))
    test_gray = torch.from_numpy(idx_gray("t10k-images-idx3-ubyte"))
    test = torch.bernoulli(test_gray) if held_out == "sample" else (test_gray > 0.5).float()
    static = (train > 0.5).float()
    model = VAE(latent)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds, results, step = [], {}, 0
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(train.shape[0])
        t0 = time.perf_counter()
        for i in range(0, train.shape[0], 128):
            idx = perm[i:i + 128]
            x = torch.bernoulli(train[idx]) if binarize == "dynamic" else static[idx]
            tau = max(0.5, math.exp(-3e-4 * step))
            loss = model.loss(x, tau)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        seconds.append(time.perf_counter() - t0)
        if epoch in report:
            elbo = torch.cat([model.neg_elbo(test[i:i + 1000]) for i in range(0, test.shape[0], 1000)]).mean()
            t1 = time.perf_counter()
            sub = test[:iwae_examples]
            iwae = torch.cat([model.iwae_nll(sub[i:i + 250], iwae_k) for i in range(0, sub.shape[0], 250)]).mean()
            results[str(epoch)] = {"neg_elbo": round(float(elbo), 3), "iwae_nll": round(float(iwae), 3),
                                   "iwae_s": round(time.perf_counter() - t1, 1)}
            print(f"epoch {epoch}: {results[str(epoch)]}", file=sys.stderr, flush=True)
    print(json.dumps({"bench": "vae", "impl": f"torch {torch.__version__}", "latent": latent, "seed": seed,
                      "threads": threads, "epochs": epochs, "median_epoch_s": round(statistics.median(seconds), 3),
                      "train_s": round(sum(seconds), 1), "test": results}))


if __name__ == "__main__":
    main()
