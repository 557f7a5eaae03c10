"""Render a rest-frame template into an observer-frame spectrum as a client would send it.

Steps: rebuild a continuum for SNID-flattened spectra (black body x smooth warp; raw-flux spectra
keep theirs), optional host-galaxy light, instrumental resolution (SEDM-like R~100 or R~300-1000),
redshift z ~ U(0, 0.5), pixel grid and wavelength range of the instrument, flux scale, noise
(SNR 5-50, log-uniform), random masked chunks (points dropped), optional redshift / phase metadata.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .data import DWLOG, LOGWAVE, NW
from .preprocess import GRID, MIN_COVERAGE, MIN_POINTS

H_C_K = 1.438777e8  # hc/k in A*K


def blackbody(w, T):
    x = np.clip(H_C_K / (w * T), 1e-6, 700)
    return w ** -5 / np.expm1(x)


def smooth_warp(rng, n, amp):
    """exp of a random low-order Legendre series on [-1, 1]."""
    t = np.linspace(-1, 1, n)
    c = rng.normal(0, amp, size=4)
    return np.exp(np.polynomial.legendre.legval(t, np.concatenate([[0.0], c])))


def rest_spectrum(bank, i, rng, gals, host_p=0.5):
    """Continuum-bearing rest-frame flux on the log grid and its valid index range."""
    lo, hi = int(bank.lo[i]), int(bank.hi[i])
    f = bank.flux[i].copy()
    seg = slice(lo, hi + 1)
    w = LOGWAVE[seg]
    if bank.kind[i] == "flat":
        base = np.clip(f[seg] + 1.0, 0.02, None)
        T = float(np.exp(rng.uniform(np.log(4000), np.log(25000))))
        cont = blackbody(w, T)
        cont = cont / np.mean(cont) * smooth_warp(rng, len(w), 0.15)
        s = base * cont
    else:
        s = np.clip(f[seg], 0, None) * smooth_warp(rng, len(w), 0.08)
    s = s / max(np.mean(s), 1e-30)
    host = 0.0
    if gals is not None and rng.random() < host_p:
        host = rng.uniform(0, 0.5)
        g = gals[rng.integers(len(gals))][seg]
        s = (1 - host) * s + host * g / np.mean(g)
    out = np.zeros(NW)
    out[seg] = s
    return out, lo, hi, host


def render(bank, i, rng, gals, z=None, instrument=None, snr=None, mask_p=0.3, noise_seed=None):
    """Returns dict(w, f, e, z, host, instrument, snr) or None when the draw fails the input limits."""
    rest, lo, hi, host = rest_spectrum(bank, i, rng, gals)
    if instrument is None:
        instrument = "sedm" if rng.random() < 0.6 else "lowres"
    if instrument == "sedm":
        R = rng.uniform(80, 130)
        ws, we = rng.uniform(3650, 4000), rng.uniform(8800, 9400)
        npix = int(rng.integers(250, 420))
    else:
        R = rng.uniform(300, 1000)
        ws, we = rng.uniform(3300, 5000), rng.uniform(7000, 10000)
        npix = int(rng.integers(600, 2000))
    sig_bins = 1.0 / (R * 2.3548 * DWLOG)
    seg = rest[lo:hi + 1]
    if sig_bins > 0.6:
        seg = gaussian_filter1d(seg, sig_bins, mode="nearest")
    wr_lo, wr_hi = LOGWAVE[lo], LOGWAVE[hi]
    for _ in range(8):
        zz = float(rng.uniform(0.0, 0.5)) if z is None else float(z)
        wobs = np.linspace(ws, we, npix) + rng.uniform(-0.5, 0.5) * (we - ws) / npix
        wrest = wobs / (1 + zz)
        keep = (wrest >= wr_lo) & (wrest <= wr_hi)
        if keep.sum() < MIN_POINTS:
            if z is not None:
                return None
            continue
        wk = wobs[keep]
        cov = ((GRID >= wk[0]) & (GRID <= wk[-1])).mean()
        if cov < MIN_COVERAGE:
            if z is not None:
                return None
            continue
        break
    else:
        return None
    f = np.interp(wrest[keep], LOGWAVE[lo:hi + 1], seg)
    w = wk
    scale = 10 ** rng.uniform(-17, -15)
    f = f * scale
    if snr is None:
        snr = float(np.exp(rng.uniform(np.log(5), np.log(50))))
    nrng = np.random.default_rng(noise_seed) if noise_seed is not None else rng
    t = (w - w[0]) / max(w[-1] - w[0], 1.0)
    edge = 1.0 + 1.5 * (np.abs(t - 0.5) * 2) ** 4       # noisier at the detector edges
    sigma = np.median(np.abs(f)) / snr * edge
    f = f + nrng.normal(0, 1, size=len(f)) * sigma
    if rng.random() < mask_p:
        for _ in range(int(rng.integers(1, 3))):
            n = len(w)
            ln = int(n * rng.uniform(0.03, 0.15))
            st = int(rng.integers(1, max(2, n - ln - 1)))
            sel = np.ones(n, bool)
            sel[st:st + ln] = False
            w, f, sigma = w[sel], f[sel], sigma[sel]
    if len(w) < MIN_POINTS:
        return None
    return {"w": w, "f": f, "e": sigma, "z": zz, "host": host, "instrument": instrument, "snr": snr}
