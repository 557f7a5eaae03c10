"""ELAsTiCC metrics of a previous artifact (e.g. the v0.1 build trained on simulation only), for the report's
before/after comparison. Needs the data stage's work/data.pkl and node with onnxruntime-node:

    git show <commit>:artifacts/lightcurve-astranet/0.1.0/{classifier.onnx,sentinel.onnx,calibration.json} -> DIR
    /usr/bin/python3 -m training.lightcurve.baseline DIR [--label TEXT]

writes training/lightcurve/elasticc_baseline.json (read by the 'elasticc' stage)."""
from __future__ import annotations

import argparse
import json
import os
import subprocess

import numpy as np

from .build import REPO, WORK, load_data
from .elasticc import elasticc_metrics
from .preprocess import LENGTH

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("artifact")
    ap.add_argument("--label", default="previous artifact")
    a = ap.parse_args(argv)
    D = load_data()
    names = ["test"] + [k for k in D["sets"] if k.startswith(("el_test_", "el_rareB_"))]
    inp = {"length": LENGTH, "sets": {k: {"n": len(D["sets"][k][0]), "x": D["sets"][k][0].ravel().tolist(),
                                          "meta": D["sets"][k][1].ravel().tolist()} for k in names}}
    fi, fo = os.path.join(WORK, "baseline_in.json"), os.path.join(WORK, "baseline_out.json")
    with open(fi, "w") as fh:
        json.dump(inp, fh)
    subprocess.run(["node", os.path.join(HERE, "ort_run.mjs"), a.artifact, fi, fo], check=True, cwd=REPO)
    raw = json.load(open(fo))
    O, S = {}, {}
    for k, v in raw.items():
        O[k] = {"fine_probs": np.array(v["fine_probs"], np.float64).reshape(v["dims"]["fine_probs"]),
                "coarse_probs": np.array(v["coarse_probs"], np.float64).reshape(v["dims"]["coarse_probs"])}
        S[k] = {"ad": np.array(v["ad_score"], np.float64)}
    cal = json.load(open(os.path.join(a.artifact, "calibration.json")))
    res = elasticc_metrics(O, S, D, cal)
    y = D["sets"]["test"][2]
    res["sim_test_accuracy"] = float(np.mean(O["test"]["fine_probs"].mean(1).argmax(1) == y))
    res["label"] = a.label
    res.pop("info", None)
    with open(os.path.join(HERE, "elasticc_baseline.json"), "w") as fh:
        json.dump(res, fh, indent=1)
    print(json.dumps({"sim_test_accuracy": res["sim_test_accuracy"],
                      "ib": {t: v["accuracy_Ibc"] for t, v in res["ib_test"].items()},
                      "rare": {t: {c: (round(x["auroc_vs_sim_test"], 3), round(x["recall_at_1pct_far_sim_test"], 3))
                                   for c, x in e.items()} for t, e in res["rare_B"].items()}}))


if __name__ == "__main__":
    main()
