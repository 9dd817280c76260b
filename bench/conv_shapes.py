"""The shapes bench/compare_ops.py measures, shared by its genlab and PyTorch sides:
the convolutions of a small image U-Net at batch 128 (28x28, 14x14, 7x7; 32 to 128
channels; 3x3 and 1x1 kernels), and attention at 196 and 784 tokens, 4 heads of 32."""

# name, (N, C, H, W), (O, kh, kw), stride, padding
CONVS = [
    ("28x28 1->32 3x3", (128, 1, 28, 28), (32, 3, 3), 1, 1),
    ("28x28 32->32 3x3", (128, 32, 28, 28), (32, 3, 3), 1, 1),
    ("28x28 32->64 3x3 s2", (128, 32, 28, 28), (64, 3, 3), 2, 1),
    ("14x14 64->64 3x3", (128, 64, 14, 14), (64, 3, 3), 1, 1),
    ("7x7 128->128 3x3", (128, 128, 7, 7), (128, 3, 3), 1, 1),
    ("28x28 32->64 1x1", (128, 32, 28, 28), (64, 1, 1), 1, 0),
    ("14x14 64->128 1x1", (128, 64, 14, 14), (128, 1, 1), 1, 0),
]

# name, (batch, heads, tokens, head_dim)
ATTENTION = [
    ("196 tokens", (8, 4, 196, 32)),
    ("784 tokens", (8, 4, 784, 32)),
]


def conv_macs(shape, kernel, stride, padding):
    n, c, h, w = shape
    o, kh, kw = kernel
    ho = (h + 2 * padding - kh) // stride + 1
    wo = (w + 2 * padding - kw) // stride + 1
    return n * o * ho * wo * c * kh * kw


def spec_args():
    """The shapes as command-line arguments for build/bench_ops."""
    args = []
    for name, (n, c, h, w), (o, kh, kw), s, p in CONVS:
        args.append(f"{n},{c},{h},{w},{o},{kh},{kw},{s},{p}")
    return args
