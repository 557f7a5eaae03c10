"""One entry point: rebuild lightcurve-astranet 0.1.0 (simulated data + ELAsTiCC2 excerpt -> 3-member CNN ensemble -> ONNX ->
Sentinel -> calibration -> golden file -> card + report), fixed seeds.

    /usr/bin/python3 -m training.lightcurve.build [--stages all|data,train,export,sentinel,calibrate,elasticc,golden,real,card]

Intermediate results under training/lightcurve/work/ (delete for a clean rebuild)."""
from __future__ import annotations

import argparse
import json
import os
import pickle
import time

import numpy as np
import torch

from .. import calibrate as C
from .. import sentinel as sn
from .preprocess import LENGTH, preprocess
from .simulate import COARSE, FINE, FINE_TO_COARSE, RARE, simulate

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WORK = os.environ.get("CANDELA_LC_WORK") or os.path.join(HERE, "work")
NAME, VERSION = "lightcurve-astranet", "0.1.0"
OUTDIR = os.path.join(REPO, "artifacts", NAME, VERSION)
GOLDEN = os.path.join(REPO, "test", "golden", f"{NAME}-{VERSION}.json")
DATA_SEED = 20261123
MEMBER_SEEDS = [11, 22, 33]
EPOCHS = 20
SIZES = {"train": 2500, "val_comb": 100, "cal": 200, "test": 200}  # per class
RARE_SIZES = {"rareA": 150, "rareB": 150}  # per rare class
STAGES = ["data", "train", "export", "sentinel", "calibrate", "elasticc", "golden", "real", "card"]

# the shared calibration/confidence code reads these module globals; this process is light-curve only
C.FINE, C.COARSE, C.FINE_TO_COARSE = FINE, COARSE, FINE_TO_COARSE


def log(msg):
    line = f"[{time.strftime('%H:%M:%S', time.gmtime())}] {msg}"
    print(line, flush=True)
    with open(os.path.join(WORK, "build.log"), "a") as fh:
        fh.write(line + "\n")


def status(msg):
    with open(os.path.join(HERE, "STATUS.md"), "a") as fh:
        fh.write(f"- {time.strftime('%H:%M', time.gmtime())} {msg}\n")


def make_set(rng, classes, n_per, name):
    X, M, Y, LAB, IDS = [], [], [], [], []
    for ci, c in enumerate(classes):
        for j in range(n_per):
            lc = simulate(rng, c)
            x, m, _ = preprocess(lc)
            X.append(x); M.append(m); Y.append(ci); LAB.append(c); IDS.append(f"{name}-{c}-{j}")
    return (np.stack(X), np.stack(M), np.array(Y), LAB, IDS)


def stage_data():
    rng = np.random.default_rng(DATA_SEED)
    sets = {k: make_set(rng, FINE, n, k) for k, n in SIZES.items()}
    ref = make_set(rng, FINE, 1024 // len(FINE) + 1, "val_ref")
    sel = np.random.default_rng(1).permutation(len(ref[0]))[:1024]
    sets["val_ref"] = (ref[0][sel], ref[1][sel], ref[2][sel], [ref[3][i] for i in sel], [ref[4][i] for i in sel])
    # ELAsTiCC2 excerpt (training/lightcurve/elasticc.py): SN Ib training draws replace as many simulated Ibc
    # training light curves (the last ones drawn), so the classes stay balanced; the other ELAsTiCC sets are
    # the combiner's ID (el_val) / outlier exposure (el_rareA) and the held-out evaluation (el_test_*, el_rareB_*)
    from .elasticc import make_sets
    el, el_info = make_sets(REPO, WORK, FINE, RARE)
    elt = el.pop("el_train")
    tr = sets["train"]
    ibc = FINE.index("Ibc")
    sim_ibc = np.flatnonzero(tr[2] == ibc)
    drop = set(sim_ibc[len(sim_ibc) - len(elt[0]):].tolist())
    keep = np.array([i for i in range(len(tr[0])) if i not in drop])
    tr = (np.concatenate([tr[0][keep], elt[0]]), np.concatenate([tr[1][keep], elt[1]]),
          np.concatenate([tr[2][keep], elt[2]]), [tr[3][i] for i in keep] + elt[3], [tr[4][i] for i in keep] + elt[4])
    sets["train"] = tr
    el_info["trainDraws"] = len(elt[0])
    el_info["simulatedIbcTrainReplaced"] = len(drop)
    sets.update(el)
    sel = np.random.default_rng(2).permutation(len(tr[0]))[:4000]
    sets["train_fit"] = (tr[0][sel], tr[1][sel], tr[2][sel], [tr[3][i] for i in sel], [tr[4][i] for i in sel])
    for k, n in RARE_SIZES.items():
        sets[k] = make_set(rng, RARE, n, k)
    with open(os.path.join(WORK, "data.pkl"), "wb") as fh:
        pickle.dump({"sets": sets, "elasticc": el_info}, fh, protocol=4)
    log("data: " + ", ".join(f"{k}={len(v[0])}" for k, v in sets.items()))


def load_data():
    with open(os.path.join(WORK, "data.pkl"), "rb") as fh:
        return pickle.load(fh)


def augment(xb, mb, g):
    """Drop whole bins at random (sparser sampling) and whole slots (fewer bands)."""
    B, Cc, L = xb.shape
    keep_bin = (torch.rand(B, 1, L, generator=g) > 0.15).float()
    keep_slot = (torch.rand(B, 6, 1, generator=g) > 0.1).float().repeat_interleave(4, 1)
    return xb * keep_bin * keep_slot, mb


def train_member(seed, train, val):
    from .model import LCNet
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    m = LCNet()
    X, M, Y = torch.from_numpy(train[0]), torch.from_numpy(train[1]), torch.from_numpy(train[2]).long()
    Yc = torch.tensor(FINE_TO_COARSE)[Y]
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=1e-3)
    n = len(X)
    steps = EPOCHS * ((n + 127) // 128)
    sch = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    hist = []
    for ep in range(EPOCHS):
        m.train()
        perm = torch.randperm(n, generator=g)
        tot = 0.0
        for i in range(0, n, 128):
            idx = perm[i:i + 128]
            xb, mb = augment(X[idx], M[idx], g)
            zf, zc, _ = m(xb, mb)
            loss = F_ce(zf, Y[idx]) + 0.5 * F_ce(zc, Yc[idx])
            opt.zero_grad(); loss.backward(); opt.step(); sch.step()
            tot += float(loss) * len(idx)
        m.eval()
        with torch.no_grad():
            zf, _, _ = m(torch.from_numpy(val[0]), torch.from_numpy(val[1]))
        acc = float((zf.argmax(1).numpy() == val[2]).mean())
        hist.append({"epoch": ep + 1, "loss": tot / n, "val_acc": acc})
        log(f"member {seed} epoch {ep + 1}: loss {tot / n:.3f} val acc {acc:.3f}")
    return m, hist


def F_ce(z, y):
    return torch.nn.functional.cross_entropy(z, y, label_smoothing=0.05)


def stage_train():
    d = load_data()
    for s in MEMBER_SEEDS:
        path = os.path.join(WORK, f"member_{s}.pt")
        if os.path.exists(path):
            continue
        m, h = train_member(s, d["sets"]["train"], d["sets"]["val_comb"])
        torch.save({"state": m.state_dict(), "hist": h}, path)


def load_ensemble():
    from ..model import Ensemble
    from .model import LCNet
    ms = []
    for s in MEMBER_SEEDS:
        m = LCNet()
        m.load_state_dict(torch.load(os.path.join(WORK, f"member_{s}.pt"))["state"])
        m.eval()
        ms.append(m)
    e = Ensemble(ms)
    e.eval()
    return e


def stage_export():
    import onnx
    from ..export_onnx import INPUTS, OUTPUTS, run_ensemble
    ens = load_ensemble()
    path = os.path.join(OUTDIR, "classifier.onnx")
    x = torch.zeros(2, 24, LENGTH)
    meta = torch.zeros(2, 4)
    torch.onnx.export(ens, (x, meta), path, input_names=INPUTS, output_names=OUTPUTS, opset_version=17,
                      dynamic_axes={n: {0: "batch"} for n in INPUTS + OUTPUTS}, do_constant_folding=True)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    model.doc_string = "lightcurve-astranet classifier: all ensemble members in one graph"
    onnx.save(model, path)
    d = load_data()
    outs = {k: run_ensemble(ens, v[0], v[1]) for k, v in d["sets"].items() if k != "train"}
    with open(os.path.join(WORK, "outputs.pkl"), "wb") as fh:
        pickle.dump(outs, fh, protocol=4)
    log(f"export: {path} ({os.path.getsize(path) / 1e6:.2f} MB)")


def stage_sentinel(seed=7):
    """As training/sentinel.stage_sentinel, with this model's fine->coarse parents."""
    with open(os.path.join(WORK, "outputs.pkl"), "rb") as fh:
        O = pickle.load(fh)
    D = load_data()
    tf = O["train_fit"]
    P = sn.fit(tf["embedding"], D["sets"]["train_fit"][2], len(FINE), seed=seed)
    P["parent"] = np.array(FINE_TO_COARSE)
    P["M"] = tf["fine_probs"].shape[1]

    def raw(name):
        o = O[name]
        return sn.raw_scores(P, o["fine_probs"], o["coarse_probs"], o["embedding"], o["fine_logits"])

    ref = raw("val_ref")
    assert ref.shape[0] == 1024
    P["ref_sorted"] = np.sort(ref, axis=0).T.copy()
    # combiner: ID = simulated val_comb + ELAsTiCC SN Ib val objects; outliers = simulated rare fold A +
    # ELAsTiCC KN / M-dwarf fold A (objects disjoint from the evaluation fold B)
    Rid = sn.rank_normalise(P["ref_sorted"], np.concatenate([raw("val_comb"), raw("el_val")]))
    Rood = sn.rank_normalise(P["ref_sorted"], np.concatenate([raw("rareA"), raw("el_rareA")]))
    clf = sn.train_combiner(Rid, Rood, seed)
    P["xgb_trees"], P["xgb_base"] = sn.xgb_to_trees(clf.get_booster())
    sn.build_onnx(P, os.path.join(OUTDIR, "sentinel.onnx"))
    with open(os.path.join(WORK, "sentinel.pkl"), "wb") as fh:
        pickle.dump(P, fh, protocol=4)
    res = {}
    for name in ["val_comb", "cal", "test", "rareA", "rareB"] + [k for k in O if k.startswith("el_")]:
        o = O[name]
        r, rk, ad = sn.full(P, o["fine_probs"], o["coarse_probs"], o["embedding"], o["fine_logits"])
        res[name] = {"raw": r, "ranks": rk, "ad": ad}
    with open(os.path.join(WORK, "sentinel_out.pkl"), "wb") as fh:
        pickle.dump(res, fh, protocol=4)
    log(f"sentinel: AUROC test-vs-rareB {sn.auroc(res['test']['ad'], res['rareB']['ad']):.3f}")


def stage_calibrate():
    C.stage_calibrate(WORK, OUTDIR, log)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", default="all")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(OUTDIR, exist_ok=True)
    stages = STAGES if a.stages == "all" else a.stages.split(",")
    for st in stages:
        ts = time.time()
        if st == "golden":
            from .golden import stage_golden
            stage_golden()
        elif st == "elasticc":
            from .elasticc import stage_elasticc_eval
            stage_elasticc_eval()
        elif st == "real":
            from .realeval import stage_real
            stage_real()
        elif st == "card":
            from .card import stage_card
            stage_card()
        else:
            globals()[f"stage_{st}"]()
        with open(os.path.join(WORK, f"stage_{st}.time"), "w") as fh:
            fh.write(str(time.time() - ts))
        status(f"stage {st} finished ({time.time() - ts:.0f}s)")


if __name__ == "__main__":
    main()
