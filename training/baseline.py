"""Template-matching baseline, as a SNID / DASH user would classify: nearest template by normalised
cross-correlation over redshift.

- Templates: every in-taxonomy spectrum of the TRAINING split (rest frame, SNID log grid, 1024 bins
  2500-10000 A). Raw-flux templates are flattened (flux / smooth continuum - 1) like SNID's .lnw files.
- Query: the model's own preprocessed tensor (spectrum-grid-v1: scaled flux + validity on the linear
  3850-9000 A observer grid), moved to the same log grid in the observer frame. So both methods see exactly
  the same pixels.
- Both sides: high-pass (minus a Gaussian-smoothed copy, sigma = 25 log bins ~ 8 %), cosine taper of the
  valid range edges, zero outside the valid range.
- Redshift: when the request carries one (meta validity bit), only that shift; otherwise every shift for
  0 <= z <= 0.5 (the training range), as SNID does when z is free. Normalised correlation
  r(s) = sum t f / sqrt(sum_overlap t^2 * sum_overlap f^2), with at least half of the query's valid bins
  overlapping the template.
- Class = class of the best-correlating template; anomaly score = 1 - best r (a poor best match is how
  SNID / DASH users notice "nothing in my library looks like this").
"""
from __future__ import annotations

import os
import pickle
import time

import numpy as np
from scipy import fft as sfft
from scipy.ndimage import gaussian_filter1d

from .data import DWLOG, FINE, LOGWAVE, NW
from .preprocess import GRID

HP_SIGMA = 25.0
ZMAX = 0.5
NFFT = 2048
MIN_OVERLAP = 0.5


def _taper(m, frac=0.05):
    """Cosine taper over the first / last `frac` of each valid run."""
    w = m.astype(np.float64).copy()
    idx = np.nonzero(m)[0]
    if len(idx) < 4:
        return w
    lo, hi = idx[0], idx[-1]
    n = max(2, int(frac * (hi - lo + 1)))
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))
    w[lo:lo + n] *= ramp
    w[hi - n + 1:hi + 1] *= ramp[::-1]
    return w


def _highpass(f, m):
    """f - smooth(f) over the valid pixels (normalised convolution so the edges are not biased)."""
    mf = m.astype(np.float64)
    num = gaussian_filter1d(f * mf, HP_SIGMA, mode="constant")
    den = gaussian_filter1d(mf, HP_SIGMA, mode="constant")
    s = np.where(den > 1e-6, num / np.maximum(den, 1e-6), 0.0)
    return (f - s) * mf


def _norm(g, m):
    g = _highpass(g, m) * _taper(m)
    sd = np.sqrt(np.sum(g ** 2) / max(1, m.sum()))
    return g / sd if sd > 0 else g


def template_vectors(bank, idx):
    T, Mk = [], []
    for i in idx:
        lo, hi = int(bank.lo[i]), int(bank.hi[i])
        m = np.zeros(NW, bool)
        m[lo:hi + 1] = True
        f = np.asarray(bank.flux[i], np.float64).copy()
        if bank.kind[i] == "raw":
            mf = m.astype(float)
            cont = gaussian_filter1d(f * mf, 40.0, mode="constant") / np.maximum(
                gaussian_filter1d(mf, 40.0, mode="constant"), 1e-6)
            f = np.where(m, f / np.where(np.abs(cont) > 1e-30, cont, 1.0) - 1.0, 0.0)
        T.append(_norm(np.where(m, f, 0.0), m))
        Mk.append(m)
    return np.array(T), np.array(Mk, dtype=np.float64)


def query_vector(x):
    """x [3, L] preprocessed tensor -> flux and mask on the observer-frame log grid (LOGWAVE bins)."""
    f, v = x[0].astype(np.float64), x[2] > 0.5
    inside = (LOGWAVE >= GRID[0]) & (LOGWAVE <= GRID[-1])
    fi = np.interp(LOGWAVE, GRID, f)
    vi = np.interp(LOGWAVE, GRID, v.astype(float)) > 0.999
    m = inside & vi
    return _norm(np.where(m, fi, 0.0), m), m.astype(np.float64)


class Matcher:
    def __init__(self, T, Mt, labels):
        self.T, self.Mt, self.labels = T, Mt, np.asarray(labels)
        self.FT = sfft.rfft(T, NFFT, axis=1)
        self.FT2 = sfft.rfft(T ** 2, NFFT, axis=1)
        self.FM = sfft.rfft(Mt, NFFT, axis=1)
        self.smax = int(np.ceil(np.log(1 + ZMAX) / DWLOG))

    def match(self, f, m, z=None):
        """Best (template index, r, z) for one query. Rest-frame bin i of the template meets observer bin
        i + s of the query, s = ln(1+z)/dlog."""
        Ff, Ff2, Fm = sfft.rfft(f, NFFT), sfft.rfft(f ** 2, NFFT), sfft.rfft(m, NFFT)
        # correlation c[s] = sum_i a[i] b[i+s]  -> irfft(conj(A) * B)
        num = sfft.irfft(np.conj(self.FT) * Ff[None], NFFT, axis=1, workers=2)
        tt = sfft.irfft(np.conj(self.FT2) * Fm[None], NFFT, axis=1, workers=2)
        ff = sfft.irfft(np.conj(self.FM) * Ff2[None], NFFT, axis=1, workers=2)
        nn = sfft.irfft(np.conj(self.FM) * Fm[None], NFFT, axis=1, workers=2)
        if z is not None:
            s0 = int(round(np.log(1 + z) / DWLOG))
            sl = np.arange(max(0, s0 - 1), min(self.smax, s0 + 1) + 1)
        else:
            sl = np.arange(0, self.smax + 1)
        num, tt, ff, nn = num[:, sl], tt[:, sl], ff[:, sl], nn[:, sl]
        r = num / np.sqrt(np.maximum(tt * ff, 1e-12))
        r[nn < MIN_OVERLAP * m.sum()] = -1.0
        j = np.unravel_index(np.argmax(r), r.shape)
        return int(j[0]), float(r[j]), float(np.exp(sl[j[1]] * DWLOG) - 1)


def run(bank, split, sets, names=("test", "rareB"), log=print):
    tr = [i for i, o in enumerate(bank.obj) if split[o] == "train" and bank.label[i] in FINE]
    T, Mt = template_vectors(bank, tr)
    mt = Matcher(T, Mt, [FINE.index(bank.label[i]) for i in tr])
    out = {"n_templates": len(tr), "n_template_objects": len({bank.obj[i] for i in tr})}
    t_all = time.time()
    for name in names:
        X, M = sets[name][0], sets[name][1]
        t0 = time.time()
        pred, best_r, zs, tid = [], [], [], []
        for k in range(len(X)):
            f, m = query_vector(X[k])
            z = float(M[k, 0]) if M[k, 1] > 0.5 else None
            j, r, zz = mt.match(f, m, z)
            tid.append(tr[j]); pred.append(mt.labels[j]); best_r.append(r); zs.append(zz)
        out[name] = {"pred": np.array(pred), "r": np.array(best_r), "z": np.array(zs), "template": np.array(tid)}
        log(f"baseline: {name} {len(X)} spectra in {time.time() - t0:.0f}s")
    out["seconds"] = round(time.time() - t_all, 1)
    return out


def stage_baseline(root, work, log):
    """Cached like the trained members: the baseline does not depend on the model (delete work/baseline.pkl to
    recompute)."""
    from .data import load_all
    if os.path.exists(os.path.join(work, "baseline.pkl")):
        log("baseline: cached")
        return
    with open(os.path.join(work, "data.pkl"), "rb") as fh:
        D = pickle.load(fh)
    bank = load_all(root)
    res = run(bank, D["split"], D["sets"], log=log)
    with open(os.path.join(work, "baseline.pkl"), "wb") as fh:
        pickle.dump(res, fh, protocol=4)
