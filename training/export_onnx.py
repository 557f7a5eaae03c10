"""Export all members as ONE ONNX graph (opset 17, dynamic batch) and save torch outputs on the
held-out sets for the later stages.

The spectrum graph holds each checkpoint twice: as trained (fine_probs ... fine_logits: classification, intervals,
uncertainty, conformal sets) and after outlier-exposure fine-tuning (oe_fine_probs ... oe_fine_logits: read only by
the Sentinel), as the paper fine-tunes the encoder "before scoring" (Sec. IV D b) and reports classification with the
ensemble as trained (Sec. V A)."""
from __future__ import annotations

import os
import pickle

import numpy as np
import onnx
import torch

from .model import Ensemble, SpecNet

INPUTS = ["x", "meta"]
OUTPUTS = ["fine_probs", "coarse_probs", "embedding", "fine_logits"]
OE_OUTPUTS = ["oe_" + n for n in OUTPUTS]

CHECKPOINTS = ["state", "state_swa"]   # per seed: best-validation EMA weights, SWA of the EMA weights


def load_checkpoints(path):
    ck = torch.load(path)
    out = []
    for name in CHECKPOINTS:
        m = SpecNet(projection_heads=any(k.startswith("zproj_") for k in ck[name]))
        m.load_state_dict(ck[name])
        m.eval()
        out.append(m)
    return out


def load_ensemble(work, seeds):
    """Members in graph order: seed-major, then checkpoint (best, swa); the same order again for the
    outlier-exposure copies (work/member_<seed>_oe.pt, written by the `oe` stage)."""
    members = [m for s in seeds for m in load_checkpoints(os.path.join(work, f"member_{s}.pt"))]
    oe = [m for s in seeds for m in load_checkpoints(os.path.join(work, f"member_{s}_oe.pt"))]
    ens = Ensemble(members, oe)
    ens.eval()
    return ens


def output_names(ens):
    return OUTPUTS + (OE_OUTPUTS if len(ens.oe_members) else [])


def run_ensemble(ens, X, M, bs=512):
    names = output_names(ens)
    outs = [[] for _ in names]
    with torch.no_grad():
        for i in range(0, len(X), bs):
            r = ens(torch.from_numpy(X[i:i + bs]), torch.from_numpy(M[i:i + bs]))
            for k in range(len(names)):
                outs[k].append(r[k].numpy())
    return {n: np.concatenate(o) for n, o in zip(names, outs)}


def export(ens, path, length):
    x = torch.zeros(2, 3, length)
    x[:, 2] = 1
    meta = torch.zeros(2, 4)
    names = output_names(ens)
    torch.onnx.export(ens, (x, meta), path, input_names=INPUTS, output_names=names, opset_version=17,
                      dynamic_axes={n: {0: "batch"} for n in INPUTS + names}, do_constant_folding=True)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    model.doc_string = "spectrum-astranet classifier: all ensemble members in one graph"
    onnx.save(model, path)


def stage_export(work, outdir, seeds, log):
    from .preprocess import LENGTH
    ens = load_ensemble(work, seeds)
    path = os.path.join(outdir, "classifier.onnx")
    export(ens, path, LENGTH)
    log(f"export: {path} ({os.path.getsize(path) / 1e6:.2f} MB)")
    with open(os.path.join(work, "data.pkl"), "rb") as fh:
        d = pickle.load(fh)
    outs = {}
    for name in ["val_ref", "val_comb", "train_fit", "cal", "test", "rareA", "rareB"]:
        X, M = d["sets"][name][0], d["sets"][name][1]
        outs[name] = run_ensemble(ens, X, M)
    with open(os.path.join(work, "outputs.pkl"), "wb") as fh:
        pickle.dump(outs, fh, protocol=4)
    log("export: ensemble outputs saved for " + ", ".join(outs))
