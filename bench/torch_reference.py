#!/usr/bin/python3
"""PyTorch reference for bench_nets: the same `mamba` and `transformer` training step
(d 16 -> 17 input features, N 40 interleaved so T = 81 tokens, batch 64, D 64, L 2; mamba
E 128, n 16, conv 4; transformer H 4, GELU MLP) on one thread, float32, next to the same
run of build/bin/bench_nets, and the ratio of the two (CPU time per step of each).

The mamba scan is written as PyTorch users write it without a fused kernel: a loop over
time with unbind. Debian's python3-torch (1.13) is the reference build, with OpenBLAS as
libblas.so.3 (apt-get install -y python3-torch libopenblas0-pthread; the script says which
BLAS it loaded: the netlib reference BLAS is several times slower) and
OPENBLAS_NUM_THREADS=1.

    /usr/bin/python3 bench/torch_reference.py [build/bin/bench_nets] [steps]
"""
import math
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402 (after the thread setting)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

D_IN, T, BATCH, D, L, E, NS, K, H = 17, 81, 64, 64, 2, 128, 16, 4, 4


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.weight


class Mixer(nn.Module):
    def __init__(self):
        super().__init__()
        self.in_proj = nn.Linear(D, 2 * E, bias=False)
        self.conv = nn.Conv1d(E, E, K, groups=E, padding=K - 1)
        self.dt = nn.Linear(E, E)
        self.B = nn.Linear(E, NS, bias=False)
        self.C = nn.Linear(E, NS, bias=False)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, NS + 1).float()).repeat(E, 1))
        self.Dskip = nn.Parameter(torch.ones(E))
        self.out_proj = nn.Linear(E, D, bias=False)

    def forward(self, u):  # (batch, T, D)
        a, z = self.in_proj(u).chunk(2, dim=-1)
        a = F.silu(self.conv(a.transpose(1, 2))[..., :T].transpose(1, 2))
        delta = F.softplus(self.dt(a))
        Bm, Cm = self.B(a), self.C(a)
        A = -torch.exp(self.A_log)  # (E, n)
        dA = torch.exp(delta.unsqueeze(-1) * A)  # (batch, T, E, n)
        dBu = (delta * a).unsqueeze(-1) * Bm.unsqueeze(2)
        s = torch.zeros(u.shape[0], E, NS)
        ys = []
        for dA_t, dBu_t, C_t in zip(dA.unbind(1), dBu.unbind(1), Cm.unbind(1)):
            s = dA_t * s + dBu_t
            ys.append(torch.bmm(s, C_t.unsqueeze(-1)).squeeze(-1))
        y = torch.stack(ys, dim=1) + a * self.Dskip
        return self.out_proj(y * F.silu(z))


class Mamba(nn.Module):
    def __init__(self):
        super().__init__()
        self.read_in = nn.Linear(D_IN, D)
        self.norms = nn.ModuleList(RMSNorm(D) for _ in range(L))
        self.mixers = nn.ModuleList(Mixer() for _ in range(L))
        self.norm_f = RMSNorm(D)
        self.readout = nn.Linear(D, 1)

    def forward(self, x):
        h = self.read_in(x)
        for norm, mixer in zip(self.norms, self.mixers):
            h = h + mixer(norm(h))
        return self.readout(self.norm_f(h)).squeeze(-1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc, self.fc_out = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), 1))

    def forward(self, x):
        b = x.shape[0]
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=-1)
        q, k, v = (t.view(b, T, H, D // H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // H) + self.mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, T, D)
        x = x + self.proj(y)
        return x + self.fc_out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.read_in = nn.Linear(D_IN, D)
        self.pos = nn.Parameter(torch.zeros(T, D))
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.ln_f = nn.LayerNorm(D)
        self.readout = nn.Linear(D, 1)

    def forward(self, x):
        h = self.read_in(x) + self.pos
        for block in self.blocks:
            h = block(h)
        return self.readout(self.ln_f(h)).squeeze(-1)


def cpu_ms_per_step(model, steps):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, target = torch.randn(BATCH, T, D_IN), torch.randn(BATCH, T)

    def step():
        opt.zero_grad()
        loss = F.mse_loss(model(x), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(2):  # warm-up
        step()
    t0 = time.process_time()
    for _ in range(steps):
        step()
    return 1e3 * (time.process_time() - t0) / steps


def main():
    bench = sys.argv[1] if len(sys.argv) > 1 else "build/bin/bench_nets"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ours = {}
    for name in ("mamba", "transformer"):
        out = subprocess.run([bench, "10", name], capture_output=True, text=True, check=True).stdout
        ours[name] = float(re.search(r"threads 1:\s+([0-9.]+) ms/step CPU", out).group(1))
    theirs = {"mamba": cpu_ms_per_step(Mamba(), steps),
              "transformer": cpu_ms_per_step(Transformer(), 2 * steps)}
    with open("/proc/self/maps") as maps:  # which libblas.so.3 the alternatives gave us
        blas = "OpenBLAS" if "openblas" in maps.read() else "not OpenBLAS (netlib?)"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, BLAS: {blas}")
    for name in ("mamba", "transformer"):
        print(f"{name:12s} sweep {ours[name]:7.1f} ms/step CPU   torch {theirs[name]:7.1f} "
              f"ms/step CPU   torch / sweep = {theirs[name] / ours[name]:.1f}x")


if __name__ == "__main__":
    main()
