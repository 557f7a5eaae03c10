"""Stage `real`: the served artifact (onnxruntime-node) on the real spectra of the shared data, SkyPortal's demo
data: SN 2021gvm (SN II, LT/SPRAT; the one real SN spectrum with a label), the two demo spectra SkyPortal attaches
to its variable stars (outside the taxonomy: the useful answer is a small p-value or ALERT) and SN 2021zac
(UH88/SNIFS, no type given). Four spectra are an anecdote, not a measurement: they show what the model does on
real reductions, which none of the template-derived numbers can."""
from __future__ import annotations

import json
import os

import numpy as np

from .calibrate import confidence
from .infer import run_served
from .preprocess import preprocess

SKYPORTAL = "lightcurves/skyportal/data"
REAL = [  # (file, what, label in the taxonomy or None)
    ("ZTF21aaqjmps_spec.csv", "SN 2021gvm (LT/SPRAT)", "II"),
    ("spec1.csv", "SkyPortal demo spectrum of a variable star", "Star"),
    ("spec2.csv", "SkyPortal demo spectrum of a variable star", "Star"),
    ("zac_spec.dat", "SN 2021zac (UH88/SNIFS)", None),
]
ALPHA = 0.1


def read_spectrum(path):
    """Two or three columns; a CSV with a header line or whitespace columns behind '#' comments."""
    if path.endswith(".csv"):
        a = np.loadtxt(path, delimiter=",", skiprows=1)
    else:
        a = np.loadtxt(path, comments="#")
    return a[:, 0], a[:, 1]


def stage_real(root, work, outdir, log):
    X, M = [], []
    for f, _, _ in REAL:
        x, m = preprocess(*read_spectrum(os.path.join(root, SKYPORTAL, f)))
        X.append(x)
        M.append(m)
    out, _ = run_served(outdir, os.path.join(work, "ort"), {"real": (np.stack(X), np.stack(M))})
    o = out["real"]
    with open(os.path.join(outdir, "calibration.json")) as fh:
        cal = json.load(fh)
    rows = []
    for i, (f, what, label) in enumerate(REAL):
        c = confidence(cal, o["fine_probs"][i], o["coarse_probs"][i], float(o["ad"][i]), ALPHA)
        rows.append({"file": f"{SKYPORTAL}/{f}", "what": what, "label": label, "predicted": c["predicted"],
                     "top1": c["top1"], "predictionSet": c["predictionSet"], "pValue": c["pValue"],
                     "adScore": float(o["ad"][i]), "decision": c["decision"]})
    with open(os.path.join(work, "real.json"), "w") as fh:
        json.dump({"alpha": ALPHA, "spectra": rows}, fh, indent=1)
    log("real: " + "; ".join(f"{r['what']} -> {r['predicted']} {r['top1']:.2f} {r['decision']}" for r in rows))
