#!/usr/bin/env python3
"""Reference values of the matrix correlations for small fixed matrices, computed with NumPy from the
definitions in shared/spec/correlation.md (thesis section 3.3). Run once; the Swift tests compare
against reference.json without Python:

    python3 make_reference.py        # writes reference.json next to this file
"""
import json
import os

import numpy as np


def centre(m):
    return m - m.mean(axis=0, keepdims=True)


def procrustes(a, v, blocks_a=None, blocks_v=None):
    a, v = centre(a), centre(v)
    if blocks_a is not None:
        a = np.concatenate([a[:, lo:hi] / max(np.linalg.norm(a[:, lo:hi]), 1e-300) for lo, hi in blocks_a], axis=1)
        v = np.concatenate([v[:, lo:hi] / max(np.linalg.norm(v[:, lo:hi]), 1e-300) for lo, hi in blocks_v], axis=1)
    a = a / np.linalg.norm(a)
    v = v / np.linalg.norm(v)
    return float(np.linalg.svd(a.T @ v, compute_uv=False).sum())


def rv(a, v, adjusted=False):
    a, v = centre(a), centre(v)
    x, y = a @ a.T, v @ v.T
    if adjusted:
        np.fill_diagonal(x, 0)
        np.fill_diagonal(y, 0)
    value = np.trace(x @ y) / np.sqrt(np.trace(x @ x) * np.trace(y @ y))
    return float(abs(value) if adjusted else value)


def basis(m):
    u, s, _ = np.linalg.svd(m, full_matrices=False)
    rank = int((s > s[0] * max(m.shape) * 1e-12).sum())
    return u[:, :rank]


def smi(a, v):
    ua, uv = basis(centre(a)), basis(centre(v))
    r = min(ua.shape[1], uv.shape[1])
    s = np.linalg.svd(ua[:, :r].T @ uv[:, :r], compute_uv=False)
    return float((s ** 2).mean())


def pwcca(a, v):
    a, v = centre(a), centre(v)
    ua, uv = basis(a), basis(v)
    p, rho, _ = np.linalg.svd(ua.T @ uv, full_matrices=False)
    n = min(ua.shape[1], uv.shape[1])
    h = ua @ p[:, :n]                                   # canonical variates of A
    alpha = np.abs(h.T @ a).sum(axis=1)                 # how much of A each accounts for
    return float((alpha * np.minimum(rho[:n], 1)).sum() / alpha.sum())


def case(name, a, v, blocks_a, blocks_v):
    return {
        "name": name,
        "rows": a.shape[0], "audio_cols": a.shape[1], "video_cols": v.shape[1],
        "audio": a.flatten().tolist(), "video": v.flatten().tolist(),
        "audio_blocks": blocks_a, "video_blocks": blocks_v,
        "expected": {
            "op": procrustes(a, v),
            "op_balanced": procrustes(a, v, blocks_a, blocks_v),
            "rv": rv(a, v),
            "rv_adjusted": rv(a, v, adjusted=True),
            "smi": smi(a, v),
            "pwcca": pwcca(a, v),
        },
    }


def main():
    rng = np.random.default_rng(2022)
    cases = []
    # Independent noise.
    a = rng.normal(size=(40, 5)); v = rng.normal(size=(40, 7))
    cases.append(case("noise_40x5_40x7", a, v, [[0, 2], [2, 5]], [[0, 7]]))
    # Related: video is a noisy linear function of audio, with badly scaled blocks (balanced differs).
    a = rng.normal(size=(60, 6)); a[:, 3:] *= 50
    v = np.concatenate([a[:, :2] @ rng.normal(size=(2, 3)), rng.normal(size=(60, 2)) * 0.1], axis=1) + rng.normal(size=(60, 5)) * 0.3
    cases.append(case("related_60x6_60x5", a, v, [[0, 3], [3, 6]], [[0, 3], [3, 5]]))
    # More features than frames in the video (PWCCA still fine for audio-side T ≥ dims check below).
    a = rng.normal(size=(30, 4)); v = np.sin(np.outer(np.arange(30) / 5.0, np.arange(1, 9))) + rng.normal(size=(30, 8)) * 0.05
    cases.append(case("sines_30x4_30x8", a, v, [[0, 4]], [[0, 4], [4, 8]]))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(out, "w") as f:
        json.dump({"numpy_version": np.__version__, "cases": cases}, f)
    print("wrote", out)


if __name__ == "__main__":
    main()
