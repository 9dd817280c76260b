"""Golden trajectories for tests/core/test_optim.cpp, from PyTorch's optimizers.

Run with Debian's interpreter: /usr/bin/python3 tests/core/golden/make_optim_golden.py
The objective is loss(p) = sum(c * (p - t)^2) + 0.1 * sum(p^4), four steps each.
"""
import torch

torch.set_printoptions(precision=10)
P0 = [0.5, -1.0, 2.0, 0.1, -0.3, 0.8]
T = [1.0, 0.5, -0.5, 0.0, 0.2, -1.0]
C = [1.0, 2.0, 0.5, 3.0, 1.5, 0.25]

CASES = {
    "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: torch.optim.Adam([p], lr=0.1, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.1, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.5),
}

for name, make in CASES.items():
    p = torch.tensor(P0, dtype=torch.float32).reshape(2, 3).requires_grad_()
    t = torch.tensor(T).reshape(2, 3)
    c = torch.tensor(C).reshape(2, 3)
    opt = make(p)
    rows = []
    for _ in range(4):
        opt.zero_grad()
        loss = (c * (p - t) ** 2).sum() + 0.1 * (p ** 4).sum()
        loss.backward()
        opt.step()
        rows.append(", ".join(f"{v:.9g}f" for v in p.detach().flatten().tolist()))
    print(f"// {name}")
    print("{" + "},\n {".join(rows) + "}")
