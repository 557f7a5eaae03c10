"""One entry point: rebuild the spectrum-astranet artifact from ../shared/data with fixed seeds.

    /usr/bin/python3 -m training.build [--data ../shared/data] [--stages all|data,train,export,sentinel,calibrate,golden,card]

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
NAME, VERSION = "spectrum-astranet", "0.1.0"
OUTDIR = os.environ.get("CANDELA_OUT") or os.path.join(REPO, "artifacts", NAME, VERSION)
GOLDEN_DIR = os.environ.get("CANDELA_GOLDEN_DIR") or os.path.join(REPO, "test", "golden")
SPLIT_SEED = 20261123
DATA_SEED = 1234
MEMBER_SEEDS = [11, 22, 33]
EPOCHS = 7
PER_OBJECT = 16   # object-balanced renders per calibration / test object (cal_obj, test_obj)
STAGES = ["data", "train", "export", "sentinel", "infer", "baseline", "calibrate", "golden", "check", "card"]


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


def stage_train(recipe="v0.1"):
    """recipe 'v0.1': the recipe of the shipped members (one checkpoint per seed); 'astranet': paper Appendix B
    (SupCon, confusion penalty, attention entropy, MixUp, EMA, best + SWA checkpoints: 2 members per seed)."""
    from .train import train_member, train_member_astranet
    d = load_data()
    sets = d["sets"]
    hist = {}
    t = time.time()
    for s in MEMBER_SEEDS:
        path = os.path.join(WORK, f"member_{s}.pt")
        if os.path.exists(path):
            log(f"member {s}: cached")
            continue
        if recipe == "astranet":
            m, m2, h = train_member_astranet(s, sets["train"], sets["val_comb"], epochs=EPOCHS, log=log)
            torch.save({"state": m.state_dict(), "state_swa": m2.state_dict(), "hist": h, "recipe": recipe}, path)
        else:
            m, h = train_member(s, sets["train"], sets["val_comb"], epochs=EPOCHS, log=log)
            torch.save({"state": m.state_dict(), "hist": h, "recipe": recipe}, path)
        hist[s] = h
    log(f"train: done ({time.time() - t:.0f}s)")


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
    ap.add_argument("--recipe", default="v0.1", choices=["v0.1", "astranet"],
                    help="training recipe (v0.1 = the shipped members; astranet = paper Appendix B, 6 members)")
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
            stage_train(a.recipe)
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
