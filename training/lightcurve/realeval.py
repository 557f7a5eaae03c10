"""Evaluation on the few real light curves in ../shared/data (work/real_eval.json):
ALeRCE 30 ZTF SNe (alert detections + upper limits; classALeRCE labels, noisy) and SkyPortal photometry
(SN 2021gvm SN II, iPTF14gqr SN Ic, ZTFe028h94k RR Lyr (absolute, not difference, fluxes), AT2017gfo kilonova
(PS1 bands mapped to the LSST slots, an approximation))."""
from __future__ import annotations

import csv
import json
import math
import os
import pickle
from collections import defaultdict

import numpy as np

from .. import sentinel as sn
from ..export_onnx import run_ensemble
from .preprocess import PreprocessError, preprocess
from .simulate import FINE

ALERCE = {"SNIa": "Ia", "SNIbc": "Ibc", "SNII": "II", "SLSN": "SLSN"}
SP_BANDS = {"ztfg": "ztfg", "ztfr": "ztfr", "ztfi": "ztfi", "ps1::g": "lsstg", "ps1::r": "lsstr", "ps1::i": "lssti",
            "ps1::z": "lsstz", "ps1::y": "lssty", "sdssu": "lsstu"}
SKYPORTAL = [("ZTF21aaqjmps_phot.csv", "SN 2021gvm", "II"), ("14gqr_phot.csv", "iPTF14gqr", "Ibc"),
             ("ZTFe028h94k_phot.csv", "ZTFe028h94k (RR Lyr)", "Periodic"), ("AT2017gfo_optical.csv", "AT2017gfo", "KN")]
ORDER = {"detection": 0, "forced": 1, "upperlimit": 2}


def _sort(pts):
    pts.sort(key=lambda p: (p["mjd"], ORDER[p["kind"]], p["band"]))
    return pts


def alerce(root):
    d = os.path.join(root, "lightcurves", "alerce-lc_classifier", "data_examples")
    labels = {r["objectId"]: r["classALeRCE"] for r in csv.DictReader(open(os.path.join(d, "30_sne_labels.csv")))}
    pts = defaultdict(list)
    for r in csv.DictReader(open(os.path.join(d, "30_sne_detections_corr.csv"))):
        m, s = float(r["magpsf"]), float(r["sigmapsf"])
        f = 10 ** ((23.9 - m) / 2.5)
        sign = -1.0 if r["isdiffpos"] in ("-1", "-1.0", "f", "0", "0.0") else 1.0
        pts[r["objectId"]].append({"mjd": float(r["mjd"]), "band": {"1": "ztfg", "2": "ztfr", "3": "ztfi"}[r["fid"]],
                                   "kind": "detection", "flux": sign * f, "fluxErr": f * s * math.log(10) / 2.5})
    for r in csv.DictReader(open(os.path.join(d, "30_sne_non_detections.csv"))):
        if not r["diffmaglim"]:
            continue
        pts[r["objectId"]].append({"mjd": float(r["jd"]) - 2400000.5, "band": {"1": "ztfg", "2": "ztfr", "3": "ztfi"}[r["fid"]],
                                   "kind": "upperlimit", "flux": None, "fluxErr": None, "limitingMag": float(r["diffmaglim"])})
    out = []
    for o, lab in sorted(labels.items()):
        out.append((o, ALERCE[lab], {"points": _sort(pts[o]), "context": {"survey": "ztf", "format": "alerce-csv", "objectId": o}}))
    return out


def skyportal(root):
    out = []
    for fn, name, lab in SKYPORTAL:
        pts = []
        for r in csv.DictReader(open(os.path.join(root, "lightcurves", "skyportal", "data", fn))):
            b = SP_BANDS.get(r["filter"])
            if b is None or not r["fluxerr"]:
                continue
            sc = 10 ** ((23.9 - float(r["zp"])) / 2.5)
            e = float(r["fluxerr"]) * sc
            if not r["flux"]:
                pts.append({"mjd": float(r["mjd"]), "band": b, "kind": "upperlimit", "flux": None, "fluxErr": e,
                            "limitingMag": 23.9 - 2.5 * math.log10(5 * e)})
            else:
                f = float(r["flux"]) * sc
                pts.append({"mjd": float(r["mjd"]), "band": b, "kind": "detection" if f / e >= 5 else "forced",
                            "flux": f, "fluxErr": e})
        out.append((name, lab, {"points": _sort(pts), "context": {"survey": "skyportal", "format": "skyportal-csv", "objectId": name}}))
    return out


def truncate(lc, days):
    det = [p["mjd"] for p in lc["points"] if p["kind"] == "detection"]
    if not det:
        return lc
    return {"points": [p for p in lc["points"] if p["mjd"] <= min(det) + days], "context": lc["context"]}


def stage_real():
    from .build import WORK, load_ensemble, log
    from .. import calibrate as C
    root = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
    with open(os.path.join(WORK, "sentinel.pkl"), "rb") as fh:
        P = pickle.load(fh)
    cal = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "artifacts", "lightcurve-astranet", "0.1.0", "calibration.json")))
    ens = load_ensemble()
    res = {"items": []}
    for src, items in [("alerce", alerce(root)), ("skyportal", skyportal(root))]:
        for name, lab, lc in items:
            for window in (None, 10.0, 30.0):
                l2 = lc if window is None else truncate(lc, window)
                try:
                    x, m, cov = preprocess(l2)
                except PreprocessError as e:
                    res["items"].append({"source": src, "name": name, "label": lab, "window": window, "error": str(e)})
                    continue
                o = run_ensemble(ens, x[None], m[None])
                _, _, ad = sn.full(P, o["fine_probs"], o["coarse_probs"], o["embedding"], o["fine_logits"])
                c = C.confidence(cal, o["fine_probs"][0], o["coarse_probs"][0], float(ad[0]), 0.1)
                res["items"].append({"source": src, "name": name, "label": lab, "window": window,
                                     "points": len(l2["points"]),
                                     "detections": sum(p["kind"] == "detection" for p in l2["points"]),
                                     "predicted": c["predicted"], "coarse": c["coarse"], "top1": round(c["top1"], 3),
                                     "adScore": round(float(ad[0]), 3), "decision": c["decision"],
                                     "set": c["predictionSet"]})
    summ = {}
    for w in (None, 10.0, 30.0):
        it = [r for r in res["items"] if r["source"] == "alerce" and r["window"] == w and "predicted" in r]
        summ[f"alerce_window_{w or 'full'}"] = {
            "n": len(it), "accuracy": float(np.mean([r["predicted"] == r["label"] for r in it])) if it else None,
            "coarse_accuracy": float(np.mean([r["coarse"] == ("SN-Thermonuclear" if r["label"] == "Ia" else "SN-CC") for r in it])) if it else None,
            "set_coverage_alpha_0.1": float(np.mean([r["label"] in r["set"] for r in it])) if it else None,
            "predicted": {k: sum(r["predicted"] == k for r in it) for k in FINE},
        }
    res["summary"] = summ
    with open(os.path.join(WORK, "real_eval.json"), "w") as fh:
        json.dump(res, fh, indent=1)
    log("real: " + json.dumps(summ) + " | skyportal: " + "; ".join(
        f"{r['name']} w={r['window']}: {r.get('predicted')} ad={r.get('adScore')} {r.get('decision')}"
        for r in res["items"] if r["source"] == "skyportal"))
