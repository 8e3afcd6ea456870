#!/usr/bin/env python3
"""In-context ridge regression on the project's task distribution, as an exec job.

A program for `model: exec` (docs/exec.md), standard library only. It reads its job on
stdin ({"protocol": 1, "config": {...}}), draws eval_tasks prompts of the task
distribution of docs/science.md section 1 (x ~ N(0, I_d), beta = U v with |v| = 1 on the
r-dimensional subspace, y = g(<beta, x>) + zeta with zeta = +-tau), fits ridge regression
on the first n context examples of each prompt for every n in eval_lengths and predicts
the query label. It prints JSON lines on stdout: progress, then the error curve (mse and
its standard error per n; the worker fills in nmse from E[y^2]).

Its own parameters (`params.NAME` in a sweep file):
  features  "linear" (1, x) or "quadratic" (1, x, x_i x_j): quadratic features can fit
            an even link such as h2 in context, linear ones cannot.   default "linear"
  lam       ridge penalty, > 0.                                        default 0.01

Random numbers come from Python's random.Random seeded with the job's seed: the same job
gives the same numbers on every machine, but not the draws of the built-in models.
"""
import json
import math
import random
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")


def parse_link(text):
    """'0.6*h1+0.8*h3' -> {1: 0.6, 3: 0.8} (the worker already validated it)."""
    coef = {}
    for term in text.replace("-", "+-").split("+"):
        if not term:
            continue
        c, _, h = term.rpartition("*")
        if not c:
            c = "1"
        elif c == "-":
            c = "-1"
        if h.startswith("-h"):
            c, h = "-" + c, h[1:]
        k = int(h[1:])
        coef[k] = coef.get(k, 0.0) + float(c)
    return coef


def hermite(coef, z):
    """sum_k c_k He_k(z) / sqrt(k!) with He_{k+1} = z He_k - k He_{k-1}."""
    total, prev, cur = 0.0, 0.0, 1.0  # He_{-1} (unused), He_0
    for k in range(max(coef) + 1):
        if k in coef:
            total += coef[k] * cur / math.sqrt(math.factorial(k))
        prev, cur = cur, z * cur - k * prev
    return total


def subspace(rng, d, r, kind):
    """Columns of U: e_1..e_r, or an orthonormal random d x r basis (Gram-Schmidt)."""
    if kind == "aligned":
        return [[1.0 if i == j else 0.0 for i in range(d)] for j in range(r)]
    cols = []
    while len(cols) < r:
        v = [rng.gauss(0, 1) for _ in range(d)]
        for u in cols:
            dot = sum(a * b for a, b in zip(u, v))
            v = [a - dot * b for a, b in zip(v, u)]
        norm = math.sqrt(sum(a * a for a in v))
        if norm > 1e-8:
            cols.append([a / norm for a in v])
    return cols


def features(x, kind):
    phi = [1.0] + list(x)
    if kind == "quadratic":
        phi += [x[i] * x[j] for i in range(len(x)) for j in range(i, len(x))]
    return phi


def solve_ridge(gram, rhs, lam):
    """(gram + lam I) w = rhs by Cholesky; gram is symmetric positive semidefinite."""
    p = len(rhs)
    a = [[gram[i][j] + (lam if i == j else 0.0) for j in range(p)] for i in range(p)]
    low = [[0.0] * p for _ in range(p)]
    for i in range(p):
        for j in range(i + 1):
            s = a[i][j] - sum(low[i][k] * low[j][k] for k in range(j))
            low[i][j] = math.sqrt(max(s, 1e-300)) if i == j else s / low[j][j]
    y = [0.0] * p
    for i in range(p):
        y[i] = (rhs[i] - sum(low[i][k] * y[k] for k in range(i))) / low[i][i]
    w = [0.0] * p
    for i in reversed(range(p)):
        w[i] = (y[i] - sum(low[k][i] * w[k] for k in range(i + 1, p))) / low[i][i]
    return w


def main():
    job = json.load(sys.stdin)
    if job.get("protocol") != 1:
        sys.exit("icl_ridge.py: protocol %r is not 1" % job.get("protocol"))
    cfg = job["config"]
    params = cfg.get("params", {})
    kind = params.get("features", "linear")
    lam = float(params.get("lam", 0.01))
    if kind not in ("linear", "quadratic") or not lam > 0:
        sys.exit("icl_ridge.py: params.features must be linear or quadratic and "
                 "params.lam > 0 (got %r, %r)" % (kind, lam))
    d, r, tau = cfg["d"], cfg["r"], cfg["tau"]
    lengths, tasks = cfg["eval_lengths"], cfg["eval_tasks"]
    n_max = max(lengths)
    coef = parse_link(cfg["link"])
    rng = random.Random(cfg["seed"])
    basis = subspace(rng, d, r, cfg["subspace"])
    emit({"version": 1})

    sq = {n: [] for n in lengths}
    for t in range(tasks):
        v = [rng.gauss(0, 1) for _ in range(r)]
        norm = math.sqrt(sum(a * a for a in v))
        beta = [sum(v[j] / norm * basis[j][i] for j in range(r)) for i in range(d)]

        def example():
            x = [rng.gauss(0, 1) for _ in range(d)]
            z = sum(a * b for a, b in zip(beta, x))
            return x, hermite(coef, z) + rng.choice((-tau, tau))

        context = [example() for _ in range(n_max)]
        xq, yq = example()
        phi_q = features(xq, kind)
        p = len(phi_q)
        gram = [[0.0] * p for _ in range(p)]
        rhs = [0.0] * p
        for n in range(n_max + 1):
            if n in sq:
                pred = 0.0 if n == 0 else sum(
                    a * b for a, b in zip(solve_ridge(gram, rhs, lam), phi_q))
                sq[n].append((pred - yq) ** 2)
            if n < n_max:  # add example n to the normal equations
                x, y = context[n]
                phi = features(x, kind)
                for i in range(p):
                    rhs[i] += phi[i] * y
                    for j in range(p):
                        gram[i][j] += phi[i] * phi[j]
        if (t + 1) % max(1, tasks // 10) == 0 or t + 1 == tasks:
            emit({"progress": {"step": t + 1, "total": tasks}})

    curve = []
    for n in lengths:
        errs = sq[n]
        mean = sum(errs) / len(errs)
        var = sum((e - mean) ** 2 for e in errs) / max(1, len(errs) - 1)
        curve.append({"n": n, "mse": mean, "se": math.sqrt(var / len(errs))})
    emit({"curve": curve})


if __name__ == "__main__":
    main()
