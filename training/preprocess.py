"""Preprocessing "spectrum-grid-v1" exactly as artifacts/README.md specifies (float64, cast to float32 at the end).

The TypeScript side (src/preprocess/spectrum.ts) implements the same steps; golden files prove they agree.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import savgol_coeffs

KIND = "spectrum-grid-v1"
WMIN, WMAX = 3850.0, 9000.0
LENGTH = 1024
SCALE_LOW, SCALE_HIGH = 5.0, 95.0
SG_WINDOW, SG_ORDER = 7, 3
SG_COEFFS = savgol_coeffs(SG_WINDOW, SG_ORDER, deriv=1, use="dot").astype(np.float64)
MIN_POINTS = 20
MIN_COVERAGE = 0.3
CHANNELS = ["flux", "dflux", "valid"]
META = ["redshift", "redshift_valid", "phase", "phase_valid"]


def grid(length=LENGTH, wmin=WMIN, wmax=WMAX):
    return wmin + np.arange(length, dtype=np.float64) * (wmax - wmin) / (length - 1)


GRID = grid()


class Rejected(ValueError):
    pass


def card_block():
    return {
        "kind": KIND,
        "wavelengthMin": WMIN,
        "wavelengthMax": WMAX,
        "length": LENGTH,
        "scale": {"low": SCALE_LOW, "high": SCALE_HIGH},
        "derivative": {"window": SG_WINDOW, "order": SG_ORDER, "edge": "nearest",
                       "coefficients": [float(c) for c in SG_COEFFS]},
        "channels": CHANNELS,
        "meta": META,
        "limits": {"minPoints": MIN_POINTS, "minCoverage": MIN_COVERAGE},
    }


def preprocess(wavelengths, fluxes, redshift=None, phase=None, check=True):
    """Returns (x float32 [3, L], meta float32 [4]). Raises Rejected when the input layer would reject."""
    w = np.asarray(wavelengths, dtype=np.float64)
    f = np.asarray(fluxes, dtype=np.float64)
    ok = np.isfinite(w) & np.isfinite(f)
    w, f = w[ok], f[ok]
    o = np.argsort(w, kind="stable")
    w, f = w[o], f[o]
    if check:
        if len(w) < MIN_POINTS:
            raise Rejected("too few points")
        if np.any(np.diff(w) == 0):
            raise Rejected("duplicated wavelengths")
    g = GRID
    valid = (g >= w[0]) & (g <= w[-1])
    if check and valid.mean() < MIN_COVERAGE:
        raise Rejected("coverage")
    flux = np.zeros_like(g)
    flux[valid] = np.interp(g[valid], w, f)
    p5, p95 = np.percentile(flux[valid], [SCALE_LOW, SCALE_HIGH])
    if p95 - p5 <= 0:
        raise Rejected("flat")
    fs = np.where(valid, (flux - p5) / (p95 - p5), 0.0)
    h = (SG_WINDOW - 1) // 2
    L = len(g)
    d = np.zeros(L)
    for j in range(SG_WINDOW):
        idx = np.clip(np.arange(L) - h + j, 0, L - 1)
        d += SG_COEFFS[j] * fs[idx]
    d = np.where(valid, d, 0.0)
    x = np.stack([fs, d, valid.astype(np.float64)]).astype(np.float32)
    meta = np.array([redshift if redshift is not None else 0.0, 1.0 if redshift is not None else 0.0,
                     phase if phase is not None else 0.0, 1.0 if phase is not None else 0.0], dtype=np.float32)
    return x, meta
