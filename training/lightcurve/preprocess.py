"""lightcurve-grid-v1: canonical light curve (src/inputs/lightcurve.ts) -> x [24, 96], meta [4].
Plain float64 Python loops in input order, so that src/preprocess/lightcurve.ts reproduces it exactly;
cast to float32 at the end. The spec is in artifacts/README.md."""
from __future__ import annotations

import math

import numpy as np

KIND = "lightcurve-grid-v1"
SLOTS = ["g", "r", "i", "u", "z", "y"]
# The model is trained on ZTF and LSST bands; Pan-STARRS1 grizy and SDSS ugriz are close enough to the LSST filters
# to share their slots (an approximation, stated in the card). Other bands (e.g. 2MASS) have no slot and are ignored.
BAND_SLOT = {"ztfg": 0, "lsstg": 0, "ztfr": 1, "lsstr": 1, "ztfi": 2, "lssti": 2, "lsstu": 3, "lsstz": 4, "lssty": 5,
             "ps1::g": 0, "ps1::r": 1, "ps1::i": 2, "ps1::z": 4, "ps1::y": 5,
             "sdssg": 0, "sdssr": 1, "sdssi": 2, "sdssu": 3, "sdssz": 4}
BIN_DAYS = 2.0
PRE_DAYS = 40.0
LENGTH = 96
CHANNELS = ["flux", "err", "mask", "ulim"]
T0_SNR = 3.0
CLIP = 10.0
ZP = 23.9


class PreprocessError(ValueError):
    pass


def card_block():
    return {
        "kind": KIND,
        "bands": {s: [b for b, k in BAND_SLOT.items() if k == i] for i, s in enumerate(SLOTS)},
        "slots": SLOTS,
        "channelsPerSlot": CHANNELS,
        "binDays": BIN_DAYS,
        "preDays": PRE_DAYS,
        "length": LENGTH,
        "t0SnrFallback": T0_SNR,
        "clip": CLIP,
        "zeroPoint": ZP,
        "meta": ["log10(peak)", "hostRedshift or 0", "hostRedshift given", "(last - first detection MJD)/100"],
        "limits": {"minPoints": 1, "minCoverage": 0.0},
    }


def _fin(v):
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def _usable(p):
    return (p["kind"] in ("detection", "forced") and _fin(p.get("mjd")) and _fin(p.get("flux"))
            and _fin(p.get("fluxErr")) and p["fluxErr"] > 0 and p.get("band") in BAND_SLOT)


def _clip(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


def preprocess(content):
    """content = {"points": [...], "context": {...}} -> (x float32 [24, 96], meta float32 [4], coverage)."""
    pts = content["points"]
    ctx = content.get("context") or {}
    usable = [p for p in pts if _usable(p)]
    det = [p for p in usable if p["kind"] == "detection"]
    if det:
        t0 = min(p["mjd"] for p in det)
    else:
        strong = [p for p in usable if p["flux"] / p["fluxErr"] >= T0_SNR]
        if not strong:
            raise PreprocessError("no detection and no measurement with flux/fluxErr >= 3")
        t0 = min(p["mjd"] for p in strong)
    peak = max((p["flux"] for p in det), default=0.0)
    if peak <= 0:
        peak = max((abs(p["flux"]) for p in usable), default=0.0)
        if peak <= 0:
            peak = 1.0
    start = t0 - PRE_DAYS
    S, L = len(SLOTS), LENGTH
    sw = [[0.0] * L for _ in range(S)]
    swf = [[0.0] * L for _ in range(S)]
    ul = [[math.inf] * L for _ in range(S)]
    for p in pts:
        if p.get("band") not in BAND_SLOT or not _fin(p.get("mjd")):
            continue
        b = math.floor((p["mjd"] - start) / BIN_DAYS)
        if b < 0 or b >= L:
            continue
        s = BAND_SLOT[p["band"]]
        if _usable(p):
            w = 1.0 / (p["fluxErr"] * p["fluxErr"])
            sw[s][b] += w
            swf[s][b] += w * p["flux"]
        elif p["kind"] == "upperlimit" and _fin(p.get("limitingMag")):
            f = 10.0 ** ((ZP - p["limitingMag"]) / 2.5)
            if f < ul[s][b]:
                ul[s][b] = f
    x = np.zeros((S * 4, L), np.float64)
    covered = 0
    for b in range(L):
        any_obs = False
        for s in range(S):
            if sw[s][b] > 0:
                any_obs = True
                x[4 * s, b] = _clip(swf[s][b] / sw[s][b] / peak, -CLIP, CLIP)
                x[4 * s + 1, b] = _clip(1.0 / math.sqrt(sw[s][b]) / peak, 0.0, CLIP)
                x[4 * s + 2, b] = 1.0
            if ul[s][b] != math.inf:
                x[4 * s + 3, b] = _clip(ul[s][b] / peak, 0.0, CLIP)
        covered += any_obs
    if covered == 0:
        raise PreprocessError("no usable measurement inside the time grid")
    z = ctx.get("hostRedshift")
    zg = _fin(z)
    dur = (max(p["mjd"] for p in det) - min(p["mjd"] for p in det)) / 100.0 if det else 0.0
    meta = np.array([math.log10(peak), z if zg else 0.0, 1.0 if zg else 0.0, dur], np.float64)
    return x.astype(np.float32), meta.astype(np.float32), covered / L
