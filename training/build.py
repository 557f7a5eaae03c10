"""One entry point: rebuild the spectrum-astranet artifact from ../shared/data with fixed seeds.

    /usr/bin/python3 -m training.build [--data ../shared/data] [--stages all|data,train,oe,export,sentinel,...,card]

The data root may also come from $CANDELA_DATA. Intermediate results are cached under training/work/
(git-ignored); delete it for a clean rebuild.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.environ.get("CANDELA_WORK") or os.path.join(HERE, "work")
NAME, VERSION = "spectrum-astranet", "0.2.0"
OUTDIR = os.environ.get("CANDELA_OUT") or os.path.join(REPO, "artifacts", NAME, VERSION)
GOLDEN_DIR = os.environ.get("CANDELA_GOLDEN_DIR") or os.path.join(REPO, "test", "golden")
SPLIT_SEED = 20261123
DATA_SEED = 1234
MEMBER_SEEDS = [11, 22, 33]
EPOCHS = 12
PER_OBJECT = 16   # object-balanced renders per calibration / test object (cal_obj, test_obj)
STAGES = ["data", "train", "oe", "export", "sentinel", "infer", "baseline", "calibrate", "real", "golden", "check",
          "card"]


def log(msg):
    line = f"[{time.strftime('%H:%M:%S', time.gmtime())}] {msg}"
    print(line, flush=True)
    with open(os.path.join(WORK, "build.log"), "a") as fh:
        fh.write(line + "\n")


def status(msg):
    with open(os.path.join(HERE, "STATUS.md"), "a") as fh:
        fh.write(f"- {time.strftime('%H:%M', time.gmtime())} {msg}\n")


def data_root(arg):
    root = arg or os.environ.get("CANDELA_DATA") or os.path.join(REPO, "..", "shared", "data")
    return os.path.normpath(root)


def stage_data(root):
    from .data import load_all, load_galaxies
    from .datasets import build_object_sets, build_sets, make_splits
    t = time.time()
    bank = load_all(root)
    gals = load_galaxies(root)
    split = make_splits(bank, SPLIT_SEED)
    sets = build_sets(bank, gals, split, DATA_SEED)
    sets.update(build_object_sets(bank, gals, split, DATA_SEED + 1, per_object=PER_OBJECT))
    with open(os.path.join(WORK, "data.pkl"), "wb") as fh:
        pickle.dump({"split": split, "sets": sets}, fh, protocol=4)
    log(f"data: {len(bank)} spectra, sets " + ", ".join(f"{k}={len(v[0])}" for k, v in sets.items())
        + f" ({time.time() - t:.0f}s)")


def load_data():
    with open(os.path.join(WORK, "data.pkl"), "rb") as fh:
        return pickle.load(fh)


def uncached_members(suffix):
    """(seed, work/member_<seed><suffix>.pt) for the seeds whose file is not there yet."""
    for s in MEMBER_SEEDS:
        path = os.path.join(WORK, f"member_{s}{suffix}.pt")
        if os.path.exists(path):
            log(f"{os.path.basename(path)}: cached")
        else:
            yield s, path


def stage_train():
    """Paper Appendix B recipe (train.train_member): per seed the best-validation EMA weights and the SWA of the
    EMA weights of the last third of the epochs, i.e. 2 checkpoints per seed."""
    from .train import train_member
    sets = load_data()["sets"]
    t = time.time()
    for s, path in uncached_members(""):
        m, m2, h = train_member(s, sets["train"], sets["val_comb"], epochs=EPOCHS, log=log)
        torch.save({"state": m.state_dict(), "state_swa": m2.state_dict(), "hist": h}, path)
    log(f"train: done ({time.time() - t:.0f}s)")


def stage_oe():
    """Outlier-exposure copies of both checkpoints of every seed (train.outlier_exposure_finetune, rare fold A
    only), for the Sentinel; the checkpoints as trained stay the classifier."""
    from .train import OE_STEPS, evaluate_member, outlier_exposure_finetune
    from .export_onnx import CHECKPOINTS, load_checkpoints
    sets = load_data()["sets"]
    t = time.time()
    for s, path in uncached_members("_oe"):
        out, hist = {}, []
        for name, member in zip(CHECKPOINTS, load_checkpoints(os.path.join(WORK, f"member_{s}.pt"))):
            outlier_exposure_finetune(member, sets["train"], sets["rareA"], s, log=log)
            acc, mr = evaluate_member(member, sets["val_comb"])
            hist.append({"checkpoint": name, "oe_steps": OE_STEPS, "val_acc": acc, "val_macro_recall": mr})
            log(f"seed {s} {name} after outlier exposure: val acc {acc:.3f} macro recall {mr:.3f}")
            out[name] = member.state_dict()
        torch.save({**out, "hist": hist}, path)
    log(f"oe: done ({time.time() - t:.0f}s)")


def stage_check():
    """ONNX Runtime (node, onnxruntime-node) vs the Python outputs; writes work/ort_check.json."""
    import subprocess
    golden = os.path.join(GOLDEN_DIR, f"{NAME}-{VERSION}.json")
    cmd = ["node", os.path.join(HERE, "check_onnx.mjs"), OUTDIR, golden, os.path.join(WORK, "check_inputs.json"),
           os.path.join(WORK, "ort_check.json")]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    log("check: " + (r.stdout[-3000:] + r.stderr[-2000:]).strip())
    if r.returncode != 0:
        raise SystemExit("ONNX Runtime check failed")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None, help="data root (default $CANDELA_DATA or ../shared/data)")
    ap.add_argument("--stages", default="all")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(OUTDIR, exist_ok=True)
    root = data_root(a.data)
    stages = STAGES if a.stages == "all" else a.stages.split(",")
    t0 = time.time()
    for st in stages:
        ts = time.time()
        if st == "data":
            stage_data(root)
        elif st == "train":
            stage_train()
        elif st == "oe":
            stage_oe()
        elif st == "export":
            from .export_onnx import stage_export
            stage_export(WORK, OUTDIR, MEMBER_SEEDS, log)
        elif st == "sentinel":
            from .sentinel import stage_sentinel
            stage_sentinel(WORK, OUTDIR, log)
        elif st == "infer":
            from .infer import stage_infer
            stage_infer(WORK, OUTDIR, log)
        elif st == "baseline":
            from .baseline import stage_baseline
            stage_baseline(root, WORK, log)
        elif st == "calibrate":
            from .calibrate import stage_calibrate_spectrum
            stage_calibrate_spectrum(root, WORK, OUTDIR, log)
        elif st == "real":
            from .real import stage_real
            stage_real(root, WORK, OUTDIR, log)
        elif st == "golden":
            from .golden import stage_golden
            stage_golden(root, WORK, OUTDIR, GOLDEN_DIR, log)
        elif st == "check":
            stage_check()
        elif st == "card":
            from .card import stage_card
            stage_card(root, WORK, OUTDIR, log)
        else:
            raise SystemExit(f"unknown stage {st}")
        with open(os.path.join(WORK, f"stage_{st}.time"), "w") as fh:
            fh.write(str(time.time() - ts))
        status(f"stage {st} finished ({time.time() - ts:.0f}s)")
    log(f"build: {','.join(stages)} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
