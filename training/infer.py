"""Stage `infer`: run the artifact exactly as served (onnxruntime-node on classifier.onnx + sentinel.onnx,
training/run_onnx.mjs) on every held-out set and keep the outputs in work/ort_outputs.pkl.

Calibration (calibrate.py) and every reported metric use these outputs, so they describe the bytes the service
loads, and the evaluation can be regenerated from the artifact alone (no cached torch members needed)."""
from __future__ import annotations

import json
import os
import pickle
import subprocess

import numpy as np

SETS = ["cal", "cal_obj", "test", "test_obj", "rareA", "rareB", "val_comb"]


def run_served(outdir, odir, sets):
    """Run classifier.onnx + sentinel.onnx of `outdir` with onnxruntime-node on {name: (X [N,3,L], M [N,4])};
    returns {name: {output: array}} with the Sentinel's outputs as `ad` [N] and `ranks` [N,S], and the runner's
    log line."""
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(odir, exist_ok=True)
    for s, (X, M) in sets.items():
        np.ascontiguousarray(X, np.float32).tofile(os.path.join(odir, f"{s}.x"))
        np.ascontiguousarray(M, np.float32).tofile(os.path.join(odir, f"{s}.meta"))
    r = subprocess.run(["node", os.path.join(here, "run_onnx.mjs"), outdir, odir, *sets],
                       cwd=os.path.dirname(here), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("run_onnx.mjs failed: " + r.stderr[-2000:])
    out = {}
    for s in sets:
        with open(os.path.join(odir, f"{s}.json")) as fh:
            meta = json.load(fh)
        out[s] = {k: np.fromfile(os.path.join(odir, f"{s}.{k}"), dtype=np.float32).reshape(meta["dims"][k])
                  for k in meta["dims"]}
        out[s]["ad"] = out[s].pop("ad_score")
        out[s]["ranks"] = out[s].pop("ad_scores")
        for ext in ("x", "meta"):
            os.remove(os.path.join(odir, f"{s}.{ext}"))
    return out, r.stdout.strip().replace("\n", "; ")


def stage_infer(work, outdir, log):
    with open(os.path.join(work, "data.pkl"), "rb") as fh:
        D = pickle.load(fh)
    sets = {s: (D["sets"][s][0], D["sets"][s][1]) for s in SETS if s in D["sets"]}
    out, line = run_served(outdir, os.path.join(work, "ort"), sets)
    with open(os.path.join(work, "ort_outputs.pkl"), "wb") as fh:
        pickle.dump(out, fh, protocol=4)
    log("infer: " + line)


def load(work):
    with open(os.path.join(work, "ort_outputs.pkl"), "rb") as fh:
        return pickle.load(fh)
