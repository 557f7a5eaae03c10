"""ELAsTiCC2 training excerpt (../shared/data/schemas/tom_desc/tests/elasticc2_alert_test_data.tar.bz2; LSST DESC,
licence none stated (challenge training data); SNANA simulations of LSST WFD ugrizY difference-image light
curves): SN Ib (SNIb-Templates, gentype 20, ELAsTiCC class 2223), kilonova (KN_K17, 2232), M-dwarf flare (2233).

- extraction: training/lightcurve/snana.py -> canonical light curves (lsstu..lssty, PHOTFLAG & 4096 ->
  detection, all other epochs -> forced photometry, FLUXCAL (ZP 27.5) -> µJy, hostRedshift = REDSHIFT_FINAL as
  the service reads diaObject.z_final); cached in work/elasticc_objects.pkl.
- object-level splits (seed SPLIT_SEED, SNIDs sorted then permuted): SN Ib -> train 55% (classifier, as Ibc) /
  val 15% (in-distribution side of the Sentinel combiner) / test 30% (reported); KN and M-dwarf flare -> fold A
  (every other object after the permutation: outlier exposure of the combiner) / fold B (evaluation only).
- windows: training and combiner sets use the simulator's rule (75% cut at t_first_det + 150 d * U^2, 25% full),
  several draws per object; evaluation uses full light curves and cuts at 10 / 30 days after the first detection."""
from __future__ import annotations

import hashlib
import json
import os
import pickle

import numpy as np

from .preprocess import PreprocessError, preprocess
from .snana import read_elasticc_tarball

SPLIT_SEED = 20261125
WINDOW_SEED = 4242
TRAIN_DRAWS = 6     # windowed draws per SN Ib training object
COMB_DRAWS = 4      # per SN Ib val / rare fold-A object (combiner)
EVAL_WINDOWS = (None, 10.0, 30.0)
LICENCE = "none stated (challenge training data)"
REL_PATH = os.path.join("schemas", "tom_desc", "tests", "elasticc2_alert_test_data.tar.bz2")


def data_root(repo):
    return os.environ.get("CANDELA_DATA") or os.path.normpath(os.path.join(repo, "..", "shared", "data"))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_objects(repo, work):
    """All ELAsTiCC objects (cached; the cache is keyed on the tarball's SHA-256)."""
    path = os.path.join(data_root(repo), REL_PATH)
    digest = sha256_file(path)
    cache = os.path.join(work, "elasticc_objects.pkl")
    if os.path.exists(cache):
        with open(cache, "rb") as fh:
            c = pickle.load(fh)
        if c.get("sha256") == digest:
            return c
    objs = read_elasticc_tarball(path)
    c = {"sha256": digest, "path": os.path.join("shared", "data", REL_PATH), "objects": objs}
    with open(cache, "wb") as fh:
        pickle.dump(c, fh, protocol=4)
    return c


def split(objs):
    """label -> {fold: [objects]} (object-level, deterministic)."""
    rng = np.random.default_rng(SPLIT_SEED)
    out = {}
    for lab in ("Ibc", "KN", "Mdwarf-flare"):
        xs = sorted((o for o in objs if o["label"] == lab), key=lambda o: int(o["id"]) if o["id"].isdigit() else o["id"])
        xs = [xs[i] for i in rng.permutation(len(xs))]
        if lab == "Ibc":
            a, b = int(round(0.55 * len(xs))), int(round(0.70 * len(xs)))
            out[lab] = {"train": xs[:a], "val": xs[a:b], "test": xs[b:]}
        else:
            out[lab] = {"A": xs[0::2], "B": xs[1::2]}
    return out


def truncate(lc, days):
    det = [p["mjd"] for p in lc["points"] if p["kind"] == "detection"]
    if days is None or not det:
        return lc
    return {"points": [p for p in lc["points"] if p["mjd"] <= min(det) + days], "context": lc["context"]}


def random_window(rng, lc):
    """The simulator's windowing rule (simulate.py): 75% cut at t_first + 150 d * U^2, else the full curve."""
    det = [p["mjd"] for p in lc["points"] if p["kind"] == "detection"]
    if rng.random() < 0.75 and det:
        cut = min(det) + (rng.random() ** 2) * 150.0
        return {"points": [p for p in lc["points"] if p["mjd"] <= cut], "context": lc["context"]}
    return lc


def tensors(items):
    """[(id, y, label, lc)] -> (X, M, Y, LAB, IDS) like build.make_set; skips light curves that do not
    preprocess (none expected: every ELAsTiCC object has a detection)."""
    X, M, Y, LAB, IDS = [], [], [], [], []
    for ident, y, lab, lc in items:
        try:
            x, m, _ = preprocess(lc)
        except PreprocessError:
            continue
        X.append(x); M.append(m); Y.append(y); LAB.append(lab); IDS.append(ident)
    return (np.stack(X), np.stack(M), np.array(Y), LAB, IDS)


def make_sets(repo, work, fine, rare):
    """ELAsTiCC sets for build.stage_data. Returns (sets, info)."""
    c = load_objects(repo, work)
    sp = split(c["objects"])
    rng = np.random.default_rng(WINDOW_SEED)
    ibc = fine.index("Ibc")
    sets = {}

    def drawn(objs, y_of, draws, prefix):
        items = []
        for o in objs:
            for d in range(draws):
                lc = o["lc"] if d == 0 else random_window(rng, o["lc"])  # draw 0: the full light curve
                items.append((f"{prefix}-{o['label']}-{o['id']}-{d}", y_of(o), o["label"], lc))
        return tensors(items)

    sets["el_train"] = drawn(sp["Ibc"]["train"], lambda o: ibc, TRAIN_DRAWS, "el_train")
    sets["el_val"] = drawn(sp["Ibc"]["val"], lambda o: ibc, COMB_DRAWS, "el_val")
    rA = sp["KN"]["A"] + sp["Mdwarf-flare"]["A"]
    rB = sp["KN"]["B"] + sp["Mdwarf-flare"]["B"]
    sets["el_rareA"] = drawn(rA, lambda o: rare.index(o["label"]), COMB_DRAWS, "el_rareA")
    for w in EVAL_WINDOWS:
        tag = "full" if w is None else f"w{int(w)}"
        sets[f"el_test_{tag}"] = tensors([(f"el_test-{o['id']}-{tag}", ibc, "Ibc", truncate(o["lc"], w))
                                          for o in sp["Ibc"]["test"]])
        sets[f"el_rareB_{tag}"] = tensors([(f"el_rareB-{o['label']}-{o['id']}-{tag}", rare.index(o["label"]),
                                            o["label"], truncate(o["lc"], w)) for o in rB])
    counts = {lab: {k: len(v) for k, v in folds.items()} for lab, folds in sp.items()}
    ndet = {lab: float(np.median([sum(p["kind"] == "detection" for p in o["lc"]["points"])
                                  for o in c["objects"] if o["label"] == lab])) for lab in sp}
    npts = {lab: float(np.median([len(o["lc"]["points"]) for o in c["objects"] if o["label"] == lab])) for lab in sp}
    info = {"path": c["path"], "sha256": c["sha256"], "licence": LICENCE,
            "objects": {lab: sum(v.values()) for lab, v in counts.items()}, "splits": counts,
            "medianDetections": ndet, "medianPoints": npts,
            "ids": {lab: {k: [o["id"] for o in v] for k, v in folds.items()} for lab, folds in sp.items()}}
    return sets, info


def stage_elasticc_eval():
    """Metrics on the held-out ELAsTiCC sets (work/elasticc_eval.json), from the outputs of export/sentinel."""
    from .build import OUTDIR, WORK, load_data, log
    with open(os.path.join(WORK, "outputs.pkl"), "rb") as fh:
        O = pickle.load(fh)
    with open(os.path.join(WORK, "sentinel_out.pkl"), "rb") as fh:
        S = pickle.load(fh)
    D = load_data()
    cal = json.load(open(os.path.join(OUTDIR, "calibration.json")))
    res = elasticc_metrics(O, S, D, cal)
    baseline = os.path.join(os.path.dirname(os.path.abspath(__file__)), "elasticc_baseline.json")
    if os.path.exists(baseline):  # the previous artifact (trained without ELAsTiCC) on the same sets
        res["previous"] = json.load(open(baseline))
    with open(os.path.join(WORK, "elasticc_eval.json"), "w") as fh:
        json.dump(res, fh, indent=1)
    log("elasticc: Ib test acc " + json.dumps({t: round(v["accuracy_Ibc"], 3) for t, v in res["ib_test"].items()}) +
        " | rareB (AUROC, recall@1%FAR) " +
        json.dumps({t: {c: (round(v["auroc_vs_sim_test"], 3), round(v["recall_at_1pct_far_sim_test"], 3))
                        for c, v in e.items()} for t, e in res["rare_B"].items()}))
    return res


def elasticc_metrics(O, S, D, cal):
    """O[name]: classifier outputs, S[name]["ad"]: ad_score, for "test" (simulated ID) and the el_* sets."""
    from sklearn.metrics import roc_auc_score
    from .. import calibrate as C
    from .simulate import FINE, FINE_TO_COARSE, RARE
    tau = cal["thresholds"]["tauAD"]
    ad_sim = S["test"]["ad"]
    thr_sim = float(np.quantile(ad_sim, 0.99))
    res = {"info": {k: v for k, v in D["elasticc"].items() if k != "ids"},
           "threshold_1pct_far_sim_test": thr_sim, "tauAD": tau, "ib_test": {}, "rare_B": {}}
    ibc = FINE.index("Ibc")
    for w in EVAL_WINDOWS:
        tag = "full" if w is None else f"w{int(w)}"
        name = f"el_test_{tag}"
        o, s = O[name], S[name]
        p = o["fine_probs"].mean(1)
        pred = p.argmax(1)
        confs = {a: [C.confidence(cal, o["fine_probs"][i], o["coarse_probs"][i], float(s["ad"][i]), a)
                     for i in range(len(pred))] for a in (0.05, 0.1)}
        dec = [c["decision"] for c in confs[0.1]]
        res["ib_test"][tag] = {
            "n": int(len(pred)),
            "accuracy_Ibc": float(np.mean(pred == ibc)),
            "coarse_accuracy_SN-CC": float(np.mean(np.array(FINE_TO_COARSE)[pred] == FINE_TO_COARSE[ibc])),
            "set_coverage_alpha_0.05": float(np.mean(["Ibc" in c["predictionSet"] for c in confs[0.05]])),
            "set_coverage_alpha_0.1": float(np.mean(["Ibc" in c["predictionSet"] for c in confs[0.1]])),
            "mean_set_size_alpha_0.1": float(np.mean([len(c["predictionSet"]) for c in confs[0.1]])),
            "predicted": {k: int(np.sum(pred == j)) for j, k in enumerate(FINE)},
            "decisions": {d: dec.count(d) for d in ("COMMIT", "ABSTAIN", "ALERT")},
            "alert_rate_at_tauAD": float(np.mean(s["ad"] >= tau)),
            "rate_above_sim_1pct_far_threshold": float(np.mean(s["ad"] > thr_sim)),
        }
        nameB = f"el_rareB_{tag}"
        rb, labs = S[nameB]["ad"], D["sets"][nameB][3]
        ad_el = s["ad"]
        entry = {}
        for cls in ["all"] + RARE:
            sel = np.array([cls == "all" or l == cls for l in labs])
            r = rb[sel]
            pr = O[nameB]["fine_probs"][sel].mean(1).argmax(1)
            entry[cls] = {
                "n": int(sel.sum()),
                "auroc_vs_sim_test": float(roc_auc_score(np.r_[np.zeros(len(ad_sim)), np.ones(len(r))], np.r_[ad_sim, r])),
                "recall_at_1pct_far_sim_test": float(np.mean(r > thr_sim)),
                "auroc_vs_elasticc_ib_test": float(roc_auc_score(np.r_[np.zeros(len(ad_el)), np.ones(len(r))], np.r_[ad_el, r])),
                "recall_at_tauAD": float(np.mean(r >= tau)),
                "predicted": {k: int(np.sum(pr == j)) for j, k in enumerate(FINE)},
            }
        res["rare_B"][tag] = entry
    return res
