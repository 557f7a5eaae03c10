"""Golden files for the TypeScript tests: raw request -> tensor -> classifier -> sentinel -> confidence,
all computed in Python (torch classifier, numpy Sentinel / conformal layer), independently of ONNX.
Also writes training/work/check_inputs.json (64 test tensors + torch outputs) for check_onnx.mjs."""
from __future__ import annotations

import json
import os
import pickle

import numpy as np
import torch

from .augment import render
from .calibrate import confidence
from .data import FINE, load_all, load_galaxies
from .export_onnx import load_ensemble, run_ensemble
from .preprocess import preprocess
from . import sentinel as sn

CASES = [  # (wanted label, split, instrument, redshift given)
    ("Ia", "test", "sedm", True),
    ("II", "test", "lowres", False),
    ("SLSN", "test", "sedm", True),
    ("AGN", "rareB", "sedm", False),
]


def _f(a):
    return [float(v) for v in np.asarray(a).ravel()]


def make_case(bank, gals, split, label, where, instrument, zgiven, seed, ens, P, cal):
    cands = sorted(i for i in range(len(bank)) if bank.label[i] == label and split[bank.obj[i]] == where)
    if not cands:
        cands = sorted(i for i in range(len(bank)) if split[bank.obj[i]] == where)
    best = (-1.0, None)
    for attempt, i in enumerate(cands[:40]):
        rng = np.random.default_rng(seed + attempt)
        z = round(float(rng.uniform(0.02, 0.15)), 4)
        r = render(bank, i, rng, gals, z=z, instrument=instrument, snr=20.0, mask_p=0.0, noise_seed=seed)
        if r is None:
            continue
        w = np.round(r["w"], 3)
        if np.any(np.diff(w) <= 0):
            continue
        f = r["f"]
        e = r["e"]
        req = {"obj_id": f"golden-{label.lower().replace('/', '-')}-{bank.obj[i]}",
               "wavelengths": _f(w), "fluxes": _f(f), "errors": _f(e)}
        if zgiven:
            req["redshift"] = z
        x, meta = preprocess(req["wavelengths"], req["fluxes"], redshift=req.get("redshift"))
        o = run_ensemble(ens, x[None], meta[None])
        raw, ranks, ad = sn.full(P, *sn.inputs_of(o, sn.INPUTS_OE))
        # keep only cases whose raw scores are not within float32 noise of a reference value (a rank step
        # there would make ORT (float32) and numpy (float64) differ by 1/1024)
        gap = np.min(np.abs(P["ref_sorted"] - raw[0][:, None]), axis=1)
        prob_based = np.array([fam == "uncertainty" or n == "hec" for n, fam in sn.SCORES])
        need = np.where(prob_based, 5e-6 + 1e-6 * np.abs(raw[0]), 5e-5 * np.maximum(1.0, np.abs(raw[0])))
        ratio = float(np.min(gap / need))
        if ratio < 1.0 and ratio <= best[0]:
            continue
        conf = {str(a): confidence(cal, o["fine_probs"][0], o["coarse_probs"][0], float(ad[0]), a) for a in (0.05, 0.1)}
        case = {
            "name": f"{label} ({where} split) {bank.obj[i]}",
            "source": f"{bank.source[i]}, z={z}, noise seed={seed}, instrument={instrument}, snr=20, "
                      f"host fraction={r['host']:.3f}",
            "label": label,
            "request": req,
            "tensor": {"x": _f(x), "meta": _f(meta)},
            "classifier": {k: _f(v[0]) for k, v in o.items()},
            "sentinel": {"ad_scores": _f(ranks[0]), "ad_score": float(ad[0]), "raw_scores": _f(raw[0])},
            "confidence": {"0.05": conf["0.05"], "0.1": conf["0.1"]},
        }
        if ratio >= 1.0:
            return case
        best = (ratio, case)
    if best[1] is not None:
        return best[1]
    raise RuntimeError(f"no golden case for {label}")


def refresh_confidence(outdir, gdir, log):
    """Recalibration only (classifier.onnx and sentinel.onnx unchanged, trained members not cached): keep every
    case's request, tensor, torch classifier outputs and numpy Sentinel outputs from the existing golden file and
    recompute only the confidence objects with the new calibration.json."""
    from .build import NAME, VERSION
    path = os.path.join(gdir, f"{NAME}-{VERSION}.json")
    with open(path) as fh:
        doc = json.load(fh)
    with open(os.path.join(outdir, "calibration.json")) as fh:
        cal = json.load(fh)
    K = len(cal["classes"])
    for c in doc["cases"]:
        fp = np.asarray(c["classifier"]["fine_probs"]).reshape(-1, K)
        cp = np.asarray(c["classifier"]["coarse_probs"]).reshape(fp.shape[0], -1)
        c["confidence"] = {str(a): confidence(cal, fp, cp, float(c["sentinel"]["ad_score"]), a) for a in (0.05, 0.1)}
    with open(path, "w") as fh:
        json.dump(doc, fh)
    log(f"golden: confidence recomputed with the new calibration.json in {path}: "
        + "; ".join(f"{c['name']} -> {c['confidence']['0.05']['predicted']} {c['confidence']['0.05']['decision']}"
                    for c in doc["cases"]))


def stage_golden(root, work, outdir, gdir, log):
    from .build import MEMBER_SEEDS, NAME, VERSION
    if not all(os.path.exists(os.path.join(work, f"member_{s}.pt")) for s in MEMBER_SEEDS) or \
            not os.path.exists(os.path.join(work, "sentinel.pkl")):
        return refresh_confidence(outdir, gdir, log)
    with open(os.path.join(work, "data.pkl"), "rb") as fh:
        D = pickle.load(fh)
    with open(os.path.join(work, "sentinel.pkl"), "rb") as fh:
        P = pickle.load(fh)
    with open(os.path.join(outdir, "calibration.json")) as fh:
        cal = json.load(fh)
    bank = load_all(root)
    gals = load_galaxies(root)
    ens = load_ensemble(work, MEMBER_SEEDS)
    cases = [make_case(bank, gals, D["split"], lab, where, inst, zg, 1000 + 17 * k, ens, P, cal)
             for k, (lab, where, inst, zg) in enumerate(CASES)]
    doc = {
        "model": NAME, "version": VERSION,
        "tolerance": 1e-5,
        "notes": "request -> tensor: preprocessing spectrum-grid-v1 (artifacts/README.md). classifier: torch, "
                 "batch of 1. sentinel: numpy float64 from the oe_* classifier outputs above (raw_scores are the "
                 "un-normalised scores, for debugging only). confidence: calibration.json of this version.",
        "cases": cases,
    }
    os.makedirs(gdir, exist_ok=True)
    path = os.path.join(gdir, f"{NAME}-{VERSION}.json")
    with open(path, "w") as fh:
        json.dump(doc, fh)
    log(f"golden: {path} ({os.path.getsize(path) / 1e6:.2f} MB): "
        + "; ".join(f"{c['name']} -> {c['confidence']['0.05']['predicted']} ad={c['sentinel']['ad_score']:.3f} "
                    f"{c['confidence']['0.05']['decision']}" for c in cases))
    # bigger check set for ORT vs torch/numpy
    ts = D["sets"]["test"]
    rb = D["sets"]["rareB"]
    X = np.concatenate([ts[0][:48], rb[0][:16]])
    M = np.concatenate([ts[1][:48], rb[1][:16]])
    o = run_ensemble(ens, X, M)
    raw, ranks, ad = sn.full(P, *sn.inputs_of(o, sn.INPUTS_OE))
    chk = {"n": int(len(X)), "L": int(X.shape[2]), "x": _f(X), "meta": _f(M),
           **{k: _f(o[k]) for k in o}, "ad_scores": _f(ranks), "ad_score": _f(ad)}
    with open(os.path.join(work, "check_inputs.json"), "w") as fh:
        json.dump(chk, fh)
