"""ASTRANet-CP: calibration.json (contract in artifacts/README.md) + the confidence-aware output
computed exactly as src/confidence/ does (used for metrics and golden files)."""
from __future__ import annotations

import hashlib
import json
import math
import os
import pickle

import numpy as np

from .data import FINE
from .model import FINE_TO_COARSE

COARSE = ["SN-Thermonuclear", "SN-CC", "Non-SN"]
MIN_CELL = 10
TAU_ABSTAIN_Q = 0.10
TAU_AD_Q = 0.95


def conformal_quantile(scores_sorted, alpha):
    """k = ceil((n+1)(1-alpha)); q = scores[k-1] if k <= n else 1."""
    n = len(scores_sorted)
    k = math.ceil((n + 1) * (1 - alpha) - 1e-12)
    return float(scores_sorted[k - 1]) if k <= n else 1.0


def build_calibration(cal_fine_probs, cal_y, cal_ad, cal_ids):
    p = cal_fine_probs.mean(1)
    yhat = p.argmax(1)
    n = len(p)
    mond = {c: sorted(float(s) for s in cal_ad[yhat == k]) for k, c in enumerate(FINE)}
    lac = sorted(float(1 - p[i, cal_y[i]]) for i in range(n))
    edges = [float(v) for v in np.percentile(cal_ad, [20, 40, 60, 80])]
    quint = np.array([sum(e <= s for e in edges) for s in cal_ad])
    sc = 1 - p[np.arange(n), yhat]
    class_scores = {c: sorted(float(v) for v in sc[yhat == k]) for k, c in enumerate(FINE)}
    cells = {c: [sorted(float(v) for v in sc[(yhat == k) & (quint == q)]) for q in range(5)]
             for k, c in enumerate(FINE)}
    ids_sorted = sorted(cal_ids)
    return {
        "format": 1,
        "size": int(n),
        "sha256": hashlib.sha256("\n".join(ids_sorted).encode()).hexdigest(),
        "split": "calibration (object-level split, one augmented observer-frame draw per spectrum)",
        "classes": FINE,
        "mondrian": mond,
        "aps": {"method": "lac", "scores": lac},
        "adMcp": {"edges": edges, "minCell": MIN_CELL, "score": "1 - p_fine(y_hat|x)",
                  "classScores": class_scores, "cells": cells},
        "thresholds": {"tauAbstain": float(np.percentile(p.max(1), 100 * TAU_ABSTAIN_Q)),
                       "tauAbstainQuantile": TAU_ABSTAIN_Q,
                       "tauAD": float(np.percentile(cal_ad, 100 * TAU_AD_Q)),
                       "tauADQuantile": TAU_AD_Q},
    }


def _entropy(q):
    q = np.asarray(q, np.float64)
    return float(-np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1)), 0.0)))


def confidence(cal, fine_probs_1, coarse_probs_1, s_ad, alpha):
    """fine_probs_1 [M,K], coarse_probs_1 [M,Kc] of one spectrum -> the confidence object."""
    fp = np.asarray(fine_probs_1, np.float64)
    cp = np.asarray(coarse_probs_1, np.float64)
    mean = fp.mean(0)
    std = fp.std(0, ddof=1) if fp.shape[0] > 1 else np.zeros_like(mean)
    k = int(mean.argmax())
    cls = FINE[k]
    top1 = float(mean[k])
    mond = cal["mondrian"][cls]
    pm = (sum(1 for v in mond if v >= s_ad) + 1) / (len(mond) + 1)
    qhat = conformal_quantile(cal["aps"]["scores"], alpha)
    pset = [c for j, c in enumerate(FINE) if mean[j] >= 1 - qhat]
    am = cal["adMcp"]
    quint = sum(1 for e in am["edges"] if e <= s_ad)
    cell = am["cells"][cls][quint]
    fallback = len(cell) < am["minCell"]
    scores = am["classScores"][cls] if fallback else cell
    tau = conformal_quantile(scores, alpha)
    fires = (1 - top1) > tau
    total = _entropy(mean)
    alea = float(np.mean([_entropy(fp[m]) for m in range(fp.shape[0])]))
    th = cal["thresholds"]
    decision = "ALERT" if s_ad >= th["tauAD"] else "ABSTAIN" if top1 < th["tauAbstain"] else "COMMIT"
    return {
        "predicted": cls,
        "coarse": COARSE[FINE_TO_COARSE[k]],
        "top1": top1,
        "pValue": pm,
        "adMcp": {"quintile": quint, "threshold": tau, "fires": bool(fires), "fallback": bool(fallback)},
        "qhat": qhat,
        "predictionSet": pset,
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
        "entropy": {"total": total, "aleatoric": alea, "epistemic": total - alea},
        "decision": decision,
    }


def stage_calibrate(work, outdir, log):
    with open(os.path.join(work, "outputs.pkl"), "rb") as fh:
        O = pickle.load(fh)
    with open(os.path.join(work, "data.pkl"), "rb") as fh:
        D = pickle.load(fh)
    with open(os.path.join(work, "sentinel_out.pkl"), "rb") as fh:
        S = pickle.load(fh)
    cs = D["sets"]["cal"]
    cal = build_calibration(O["cal"]["fine_probs"], cs[2], S["cal"]["ad"], cs[4])
    with open(os.path.join(outdir, "calibration.json"), "w") as fh:
        json.dump(cal, fh, indent=1)
    log(f"calibrate: n={cal['size']} tauAbstain={cal['thresholds']['tauAbstain']:.4f} "
        f"tauAD={cal['thresholds']['tauAD']:.4f}")
    metrics = evaluate(cal, O, D, S)
    with open(os.path.join(work, "metrics.json"), "w") as fh:
        json.dump(metrics, fh, indent=1)
    log("calibrate: test metrics " + json.dumps({k: v for k, v in metrics.items() if not isinstance(v, (dict, list))}))


def evaluate(cal, O, D, S):
    from sklearn.metrics import roc_auc_score
    ts = D["sets"]["test"]
    y = ts[2]
    fp = O["test"]["fine_probs"]
    p = fp.mean(1)
    pred = p.argmax(1)
    K = len(FINE)
    conf = np.zeros((K, K), dtype=int)
    for a, b in zip(y, pred):
        conf[a, b] += 1
    rec = {c: (float(np.mean(pred[y == k] == k)) if np.any(y == k) else None) for k, c in enumerate(FINE)}
    m = {
        "test_size": int(len(y)),
        "test_per_class": {c: int(np.sum(y == k)) for k, c in enumerate(FINE)},
        "accuracy": float(np.mean(pred == y)),
        "macro_recall": float(np.mean([v for v in rec.values() if v is not None])),
        "per_class_recall": rec,
        "coarse_accuracy": float(np.mean(np.array(FINE_TO_COARSE)[pred] == np.array(FINE_TO_COARSE)[y])),
        "confusion_matrix": {"rows_true_cols_pred": FINE, "counts": conf.tolist()},
    }
    ad_test = S["test"]["ad"]
    for alpha in (0.05, 0.1):
        qh = conformal_quantile(cal["aps"]["scores"], alpha)
        sets = p >= 1 - qh
        cover = float(np.mean(sets[np.arange(len(y)), y]))
        admcp_cov = []
        for i in range(len(y)):
            c = confidence(cal, fp[i], O["test"]["coarse_probs"][i], float(ad_test[i]), alpha)
            admcp_cov.append(not c["adMcp"]["fires"] if c["predicted"] == FINE[y[i]] else c["adMcp"]["fires"])
        m[f"alpha_{alpha}"] = {"qhat": qh, "marginal_coverage": cover, "mean_set_size": float(sets.sum(1).mean()),
                               "empty_set_rate": float(np.mean(sets.sum(1) == 0)),
                               "admcp_correct_flag_rate": float(np.mean(admcp_cov))}
    rb = S["rareB"]["ad"]
    yy = np.concatenate([np.zeros(len(ad_test)), np.ones(len(rb))])
    m["rare_auroc_ad_score"] = float(roc_auc_score(yy, np.concatenate([ad_test, rb])))
    thr = float(np.quantile(ad_test, 0.99))
    m["rare_recall_at_1pct_far"] = float(np.mean(rb > thr))
    m["rare_recall_at_tauAD"] = float(np.mean(rb >= cal["thresholds"]["tauAD"]))
    m["id_alert_rate_at_tauAD"] = float(np.mean(ad_test >= cal["thresholds"]["tauAD"]))
    from .sentinel import SCORE_NAMES
    m["rare_auroc_per_score"] = {n: float(roc_auc_score(yy, np.concatenate([S["test"]["ranks"][:, j],
                                                                             S["rareB"]["ranks"][:, j]])))
                                 for j, n in enumerate(SCORE_NAMES)}
    rare_lab = [D["sets"]["rareB"][3][i] for i in range(len(rb))]
    m["rareB_size"] = int(len(rb))
    m["rareA_size"] = int(len(S["rareA"]["ad"]))
    # decisions on test ID
    dec = np.where(ad_test >= cal["thresholds"]["tauAD"], "ALERT",
                   np.where(p.max(1) < cal["thresholds"]["tauAbstain"], "ABSTAIN", "COMMIT"))
    m["test_decisions"] = {d: int(np.sum(dec == d)) for d in ["COMMIT", "ABSTAIN", "ALERT"]}
    com = dec == "COMMIT"
    m["selective_accuracy_commit"] = float(np.mean(pred[com] == y[com])) if com.any() else None
    return m


CAL_SET = "cal_obj"
CAL_SPLIT_NOTE = ("calibration objects (object-level split, never seen in training or validation), 16 augmented "
                  "observer-frame renders per object (object-balanced: every object weighs the same)")


def stage_calibrate_spectrum(root, work, outdir, log):
    """Spectrum build: calibration.json from the object-balanced calibration renders (`cal_obj`), using the
    served graphs' outputs (stage `infer`); then the full evaluation (training/evaluate.py) -> metrics.json.

    Why object-balanced: the split unit is the object, and the number of template spectra per object is an
    accident of the template libraries (SN 1994D: 81, most objects 1-10). Calibrating on 'every spectrum
    once' made q-hat depend on which few objects have many spectra (the old calibration set had 11.6 % SN II
    spectra, the test set 4.3 %), so LAC coverage on test was 0.978 at alpha = 0.05. With equal weight per
    object (pooled-CDF conformal for grouped data, Dunn, Wasserman & Ramdas 2022), calibration and any
    object-level evaluation sample the same population."""
    from .data import load_all
    from .evaluate import evaluate_all
    from .infer import load
    O = load(work)
    with open(os.path.join(work, "data.pkl"), "rb") as fh:
        D = pickle.load(fh)
    cs = D["sets"][CAL_SET]
    cal = build_calibration(O[CAL_SET]["fine_probs"], cs[2], O[CAL_SET]["ad"], cs[4])
    cal["split"] = CAL_SPLIT_NOTE
    with open(os.path.join(outdir, "calibration.json"), "w") as fh:
        json.dump(cal, fh, indent=1)
    log(f"calibrate: n={cal['size']} tauAbstain={cal['thresholds']['tauAbstain']:.4f} "
        f"tauAD={cal['thresholds']['tauAD']:.4f}")
    B = None
    if os.path.exists(os.path.join(work, "baseline.pkl")):
        with open(os.path.join(work, "baseline.pkl"), "rb") as fh:
            B = pickle.load(fh)
    bank = load_all(root)
    metrics = evaluate_all(cal, O, D, bank, B, log=log)
    metrics["calibration_set"] = {"set": CAL_SET, "size": cal["size"],
                                  "objects": int(len({bank.obj[i] for i in cs[3]}))}
    with open(os.path.join(work, "metrics.json"), "w") as fh:
        json.dump(metrics, fh, indent=1)
    log("calibrate: test metrics " + json.dumps({k: v for k, v in metrics.items() if not isinstance(v, (dict, list))}))
