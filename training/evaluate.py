"""Evaluation of the spectrum artifact as served (ONNX Runtime outputs from stage `infer`), on the object-level
held-out test split, with the template-matching baseline on the same spectra. Produces metrics.json (the card's
`metrics`) and everything REPORT.md shows: classification, conformal coverage at four alpha (marginal,
Mondrian, per-class, per-AD-quintile, AD-MCP), selective accuracy, Sentinel per score / family / rare class.

Evaluation views of the in-distribution test objects (the objects are the same, never seen before calibration):
- `test`      every spectrum of every test object, one render each (the split as defined; spectrum-weighted,
              so an object with 71 template spectra counts 71 times);
- `test_objw` the same renders weighted 1 / (spectra of the object): every object counts once;
- `test_obj`  16 fresh renders per test object (the design calibration.json is built from: exchangeable
              with it at the object level).
The conformal procedure itself is also checked by object-level cross-validation over the calibration and test
objects (both unseen by training), as the paper does for Table IX.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from .calibrate import FINE, conformal_quantile
from .model import FINE_TO_COARSE

ALPHAS = (0.01, 0.025, 0.05, 0.1)
CV_REPEATS = 200
CV_SEED = 99


def _auroc(neg, pos):
    from sklearn.metrics import roc_auc_score
    y = np.concatenate([np.zeros(len(neg)), np.ones(len(pos))])
    return float(roc_auc_score(y, np.concatenate([neg, pos])))


def _recall_at_far(neg, pos, far=0.01):
    thr = float(np.quantile(neg, 1 - far))
    return float(np.mean(pos > thr)), thr


def _wmean(v, w):
    return float(np.sum(np.asarray(v, float) * w) / np.sum(w))


def classification(y, pred, w=None):
    K = len(FINE)
    w = np.ones(len(y)) if w is None else w
    conf = np.zeros((K, K), dtype=int)
    for a, b in zip(y, pred):
        conf[a, b] += 1
    rec = {c: (_wmean(pred[y == k] == k, w[y == k]) if np.any(y == k) else None) for k, c in enumerate(FINE)}
    f2c = np.array(FINE_TO_COARSE)
    return {
        "accuracy": _wmean(pred == y, w),
        "macro_recall": float(np.mean([v for v in rec.values() if v is not None])),
        "per_class_recall": rec,
        "coarse_accuracy": _wmean(f2c[pred] == f2c[y], w),
        "confusion_matrix": {"rows_true_cols_pred": FINE, "counts": conf.tolist()},
    }


def _pvals(ref_sorted, s):
    """(#{ref >= s} + 1) / (n + 1) for every s (ref ascending)."""
    ref = np.asarray(ref_sorted, float)
    return (len(ref) - np.searchsorted(ref, s, side="left") + 1) / (len(ref) + 1)


def mondrian_misses(cal, p, tset, ad, bank, alpha):
    """Where Mondrian p-values of s_AD reject ID spectra (p_M < alpha): coverage per true class and the objects
    with the most rejected renders (which objects a coverage shortfall comes from)."""
    pred = p.argmax(1)
    pv = np.empty(len(pred))
    for k, c in enumerate(FINE):
        sel = pred == k
        pv[sel] = _pvals(np.sort(cal["mondrian"][c]), ad[sel])
    miss = pv < alpha
    objs = np.array([bank.obj[i] for i in tset[3]])
    labs = np.array([bank.label[i] for i in tset[3]])
    per_obj = Counter((o, l) for o, l, x in zip(objs, labs, miss) if x)
    return {"alpha": alpha, "coverage": float(1 - miss.mean()),
            "coverage_per_true_class": {c: float(1 - miss[labs == c].mean()) for c in FINE if np.any(labs == c)},
            "objects_with_misses": len(per_obj), "objects": int(len(set(objs))),
            "most_missed": [[o, l, n] for (o, l), n in per_obj.most_common(6)]}


def conformal_view(cal, p, y, ad, w, alpha):
    """All coverages of one view at one alpha. Coverage = fraction (weighted) of ID spectra that the
    procedure does NOT reject: true class in the LAC set; p >= alpha for the AD p-values; AD-MCP not firing."""
    n = len(y)
    pred = p.argmax(1)
    qh = conformal_quantile(cal["aps"]["scores"], alpha)
    sets = p >= 1 - qh
    lac = sets[np.arange(n), y]
    pm = np.empty(n)
    for k, c in enumerate(FINE):
        sel = pred == k
        pm[sel] = _pvals(cal["mondrian"][c], ad[sel])
    pooled = np.sort(np.concatenate([np.asarray(v, float) for v in cal["mondrian"].values()]))
    pmarg = _pvals(pooled, ad)
    am = cal["adMcp"]
    quint = np.array([int(np.sum(np.asarray(am["edges"]) <= s)) for s in ad])
    s_clf = 1 - p[np.arange(n), pred]
    tau_cell, tau_cls = np.empty(n), np.empty(n)
    for i in range(n):
        c = FINE[pred[i]]
        cell = am["cells"][c][quint[i]]
        tau_cell[i] = conformal_quantile(am["classScores"][c] if len(cell) < am["minCell"] else cell, alpha)
        tau_cls[i] = conformal_quantile(am["classScores"][c], alpha)
    admcp = s_clf <= tau_cell
    clsthr = s_clf <= tau_cls
    per_q = {}
    for name, v in (("mondrian_ad", pm >= alpha), ("class_threshold", clsthr), ("admcp", admcp), ("lac", lac)):
        vals = [(_wmean(v[quint == q], w[quint == q]) if np.any(quint == q) else None) for q in range(5)]
        good = [x for x in vals if x is not None]
        per_q[name] = {"coverage": vals, "std": float(np.std(good)), "max_abs_dev": float(np.max(np.abs(np.array(good) - (1 - alpha))))}
    per_q["n"] = [int(np.sum(quint == q)) for q in range(5)]
    return {
        "qhat": qh,
        "lac_coverage": _wmean(lac, w),
        "lac_per_class": {c: (_wmean(lac[y == k], w[y == k]) if np.any(y == k) else None) for k, c in enumerate(FINE)},
        "mean_set_size": _wmean(sets.sum(1), w),
        "singleton_rate": _wmean(sets.sum(1) == 1, w),
        "empty_set_rate": _wmean(sets.sum(1) == 0, w),
        "marginal_ad_coverage": _wmean(pmarg >= alpha, w),
        "mondrian_coverage": _wmean(pm >= alpha, w),
        "mondrian_per_pred_class": {c: {"n_cal": len(cal["mondrian"][c]), "n": int(np.sum(pred == k)),
                                        "coverage": (_wmean((pm >= alpha)[pred == k], w[pred == k])
                                                     if np.any(pred == k) else None)}
                                    for k, c in enumerate(FINE)},
        "admcp_coverage": _wmean(admcp, w),
        "class_threshold_coverage": _wmean(clsthr, w),
        "per_quintile": per_q,
    }


def cv_check(fp, y, ad, obj, alphas=ALPHAS, repeats=CV_REPEATS, seed=CV_SEED):
    """Object-level cross-validation of the calibration PROCEDURE on a pool of object-balanced renders
    (calibration + test objects): random class-stratified halves of the objects, calibrate on one half,
    measure on the other. Mean = what the procedure delivers; sd = how far one split of ~60 objects moves."""
    from .calibrate import build_calibration
    labels = {o: int(l) for o, l in zip(obj, y)}
    byc = defaultdict(list)
    for o in sorted(labels):
        byc[labels[o]].append(o)
    rng = np.random.default_rng(seed)
    acc = defaultdict(list)
    p = fp.mean(1)
    for _ in range(repeats):
        A = set()
        for k in sorted(byc):
            os_ = list(rng.permutation(byc[k]))
            A.update(os_[:len(os_) // 2 + int(rng.random() < 0.5) * (len(os_) % 2)])
        ia = np.array([o in A for o in obj])
        ib = ~ia
        cal = build_calibration(fp[ia], y[ia], ad[ia], [str(i) for i in np.nonzero(ia)[0]])
        for a in alphas:
            v = conformal_view(cal, p[ib], y[ib], ad[ib], np.ones(int(ib.sum())), a)
            for key in ("lac_coverage", "marginal_ad_coverage", "mondrian_coverage", "admcp_coverage"):
                acc[(a, key)].append(v[key])
            for key in ("mondrian_ad", "admcp", "class_threshold"):
                acc[(a, "q_" + key)].append(v["per_quintile"][key]["coverage"])
    out = {}
    for a in alphas:
        r = {}
        for key in ("lac_coverage", "marginal_ad_coverage", "mondrian_coverage", "admcp_coverage"):
            v = np.array(acc[(a, key)])
            r[key] = {"mean": float(v.mean()), "sd": float(v.std()), "p5": float(np.percentile(v, 5)),
                      "p95": float(np.percentile(v, 95))}
        for key in ("mondrian_ad", "admcp", "class_threshold"):
            q = np.array([[np.nan if x is None else x for x in row] for row in acc[(a, "q_" + key)]])
            mq = np.nanmean(q, 0)
            r["per_quintile_" + key] = {"mean": [float(x) for x in mq], "std_across_quintiles": float(np.std(mq))}
        out[str(a)] = r
    out["repeats"] = repeats
    out["objects"] = len(labels)
    return out


def selective(p, y, ad, tau_ad, fractions=(1.0, 0.95, 0.9, 0.8, 0.7)):
    conf = p.max(1)
    order = np.argsort(-conf, kind="stable")
    pred = p.argmax(1)
    base = float(np.mean(pred == y))
    rows = []
    for f in fractions:
        k = int(round(f * len(y)))
        keep, rej = order[:k], order[k:]
        acc = float(np.mean(pred[keep] == y[keep]))
        rows.append({"coverage": f, "selective_accuracy": acc, "gain_pp": 100 * (acc - base),
                     "ad_low_rejected": (float(np.mean(ad[rej] < tau_ad)) if len(rej) else None)})
    return rows


def sentinel_metrics(cal, O, D, bank, score_families):
    ad_t, ad_r = O["test"]["ad"], O["rareB"]["ad"]
    rec, thr = _recall_at_far(ad_t, ad_r)
    m = {"rare_auroc_ad_score": _auroc(ad_t, ad_r), "rare_recall_at_1pct_far": rec, "threshold_1pct_far": thr,
         "rare_recall_at_tauAD": float(np.mean(ad_r >= cal["thresholds"]["tauAD"])),
         "id_alert_rate_at_tauAD": float(np.mean(ad_t >= cal["thresholds"]["tauAD"]))}
    names = [n for n, _ in score_families]
    Rt, Rr = O["test"]["ranks"], O["rareB"]["ranks"]
    m["rare_auroc_per_score"] = {n: _auroc(Rt[:, j], Rr[:, j]) for j, n in enumerate(names)}
    m["rare_recall_1pct_far_per_score"] = {n: _recall_at_far(Rt[:, j], Rr[:, j])[0] for j, n in enumerate(names)}
    fam = defaultdict(list)
    for j, (n, f) in enumerate(score_families):
        fam[f].append(j)
    m["per_family"] = {}
    for f, js in fam.items():
        st, sr = Rt[:, js].mean(1), Rr[:, js].mean(1)
        m["per_family"][f] = {"scores": len(js), "auroc": _auroc(st, sr), "recall_at_1pct_far": _recall_at_far(st, sr)[0]}
    labs = np.array([bank.label[i] for i in D["sets"]["rareB"][3]])
    m["per_rare_class"] = {}
    for lab in sorted(set(labs)):
        sel = labs == lab
        m["per_rare_class"][lab] = {"n": int(sel.sum()), "detected_at_1pct_far": int(np.sum(ad_r[sel] > thr)),
                                    "recall_at_1pct_far": float(np.mean(ad_r[sel] > thr)),
                                    "mean_ad_score": float(np.mean(ad_r[sel]))}
    # Mondrian detection rate (p_M < alpha) on the rare set (paper Table IV "Mond. det.")
    pr = O["rareB"]["fine_probs"].mean(1).argmax(1)
    m["mondrian_detection"] = {}
    for a in ALPHAS:
        pm = np.array([_pvals(cal["mondrian"][FINE[k]], np.array([s]))[0] for k, s in zip(pr, ad_r)])
        m["mondrian_detection"][str(a)] = float(np.mean(pm < a))
    # what the ID tail above the 1%-FAR threshold is made of (true class, predicted class, object)
    ts = D["sets"]["test"]
    pt = O["test"]["fine_probs"].mean(1).argmax(1)
    hi = np.nonzero(ad_t > thr)[0]
    m["id_tail_above_1pct_far"] = [{"object": bank.obj[ts[3][i]], "true": FINE[ts[2][i]], "pred": FINE[pt[i]],
                                    "ad_score": float(ad_t[i])} for i in hi[np.argsort(-ad_t[hi])]]
    m["ad_score_q99"] = {s: float(np.quantile(O[s]["ad"], 0.99)) for s in ("val_comb", "cal", "cal_obj", "test", "test_obj")
                         if s in O}
    m["rareB_size"] = int(len(ad_r))
    m["rareB_objects"] = int(len({bank.obj[i] for i in D["sets"]["rareB"][3]}))
    m["rareA_size"] = int(len(O["rareA"]["ad"]))
    return m


def kfold_outlier_exposure(O, D, bank, k=5, seed=7):
    """Leakage-free k-fold protocol of paper Sec. V D. The encoder was fine-tuned with outlier exposure on the rare
    objects of fold A (train.outlier_exposure_finetune), so only fold-B objects can be scored: they are split into
    k class-stratified object folds; for each fold a combiner (same XGBoost settings as the shipped one) is trained
    on the ID validation renders vs fold A plus the fold-B objects of the OTHER folds; its threshold is the 1%
    false-alarm point on the calibration objects (ID, never seen by any combiner); detections are counted on the
    held-out fold only. No scored object was seen by the encoder, by its combiner or by the threshold. The ID test
    split gives the realised false-alarm rate and the AUROC. Rare recall is per render and per object (each
    object's renders weighted equally)."""
    from .sentinel import train_combiner
    R_id = O["val_comb"]["ranks"]
    R_thr = O["cal_obj"]["ranks"] if "cal_obj" in O else O["cal"]["ranks"]
    R_test = O["test"]["ranks"]
    R_exp = O["rareA"]["ranks"]
    R_rare = O["rareB"]["ranks"]
    idx = D["sets"]["rareB"][3]
    objs = np.array([bank.obj[i] for i in idx])
    labs = np.array([bank.label[i] for i in idx])
    lab_of = {o: l for o, l in zip(objs, labs)}
    rng = np.random.default_rng(seed)
    fold_of = {}
    for lab in sorted(set(labs)):
        os_ = sorted({o for o in lab_of if lab_of[o] == lab})
        start = int(rng.integers(k))
        for j, o in enumerate(rng.permutation(os_)):
            fold_of[o] = (start + j) % k
    f_r = np.array([fold_of[o] for o in objs])
    s_rare = np.full(len(R_rare), np.nan)
    det = np.zeros(len(R_rare), bool)
    s_test = np.zeros(len(R_test))
    far = []
    for f in range(k):
        tr = f_r != f
        if not (~tr).any():
            continue
        clf = train_combiner(R_id, np.concatenate([R_exp, R_rare[tr]]), seed + f)
        thr = float(np.quantile(clf.predict_proba(R_thr.astype(np.float32))[:, 1], 0.99))
        st = clf.predict_proba(R_test.astype(np.float32))[:, 1]
        s_test += st
        far.append(float(np.mean(st > thr)))
        sr = clf.predict_proba(R_rare[~tr].astype(np.float32))[:, 1]
        s_rare[~tr] = sr
        det[~tr] = sr > thr
    s_test /= len(far)
    _, inv, cnt = np.unique(objs, return_inverse=True, return_counts=True)
    w = 1.0 / cnt[inv]
    per_class = {}
    for lab in sorted(set(labs)):
        sel = labs == lab
        per_class[lab] = {"objects": int(len(set(objs[sel]))), "renders": int(sel.sum()),
                          "recall_per_object": _wmean(det[sel], w[sel])}
    return {"k": k, "rare_objects": int(len(lab_of)), "rare_renders": int(len(R_rare)),
            "exposure_objects": int(len({bank.obj[i] for i in D["sets"]["rareA"][3]})),
            "auroc_vs_test": _auroc(s_test, s_rare),
            "recall_at_1pct_far_per_render": float(np.mean(det)),
            "recall_at_1pct_far_per_object": _wmean(det, w),
            "realised_test_far": float(np.mean(far)),
            "recall_at_1pct_test_far_per_object": _wmean(s_rare > np.quantile(s_test, 0.99), w),
            "per_class": per_class}


def baseline_metrics(B, D, O, w_obj):
    y = D["sets"]["test"][2]
    bt, br = B["test"], B["rareB"]
    m = {"test": classification(y, bt["pred"]), "test_objw": classification(y, bt["pred"], w_obj),
         "n_templates": B["n_templates"], "n_template_objects": B["n_template_objects"]}
    st, sr = 1 - bt["r"], 1 - br["r"]
    rec, _ = _recall_at_far(st, sr)
    m["rare_auroc"] = _auroc(st, sr)
    m["rare_recall_at_1pct_far"] = rec
    return m


def evaluate_all(cal, O, D, bank, B=None, log=print):
    from .sentinel import SCORES
    ts = D["sets"]["test"]
    y = ts[2]
    p = O["test"]["fine_probs"].mean(1)
    pred = p.argmax(1)
    obj = np.array([bank.obj[i] for i in ts[3]])
    _, inv, cnt = np.unique(obj, return_inverse=True, return_counts=True)
    w_obj = 1.0 / cnt[inv]
    m = {"test_size": int(len(y)), "test_objects": int(len(cnt)),
         "test_per_class": {c: int(np.sum(y == k)) for k, c in enumerate(FINE)}}
    m.update(classification(y, pred))
    m["test_objw"] = classification(y, pred, w_obj)
    if "val_comb" in O:  # validation split (the set the members' best epochs were chosen on): ship decisions use this
        yv = D["sets"]["val_comb"][2]
        m["validation"] = classification(yv, O["val_comb"]["fine_probs"].mean(1).argmax(1))
        m["validation"]["size"] = int(len(yv))
    if "test_obj" in O:
        yo = D["sets"]["test_obj"][2]
        m["test_obj"] = classification(yo, O["test_obj"]["fine_probs"].mean(1).argmax(1))
        m["test_obj"]["size"] = int(len(yo))
    # conformal, every view and alpha
    views = {"test": (p, y, O["test"]["ad"], np.ones(len(y))), "test_objw": (p, y, O["test"]["ad"], w_obj)}
    if "test_obj" in O:
        po = O["test_obj"]["fine_probs"].mean(1)
        views["test_obj"] = (po, D["sets"]["test_obj"][2], O["test_obj"]["ad"], np.ones(len(po)))
    m["conformal"] = {v: {str(a): conformal_view(cal, *args, a) for a in ALPHAS} for v, args in views.items()}
    if "test_obj" in O:
        m["mondrian_misses_test_obj"] = mondrian_misses(cal, po, D["sets"]["test_obj"], O["test_obj"]["ad"], bank, 0.1)
    for a in (0.05, 0.1):  # backwards-compatible summary keys
        r = m["conformal"]["test"][str(a)]
        m[f"alpha_{a}"] = {"qhat": r["qhat"], "marginal_coverage": r["lac_coverage"],
                           "mean_set_size": r["mean_set_size"], "empty_set_rate": r["empty_set_rate"],
                           "mondrian_coverage": r["mondrian_coverage"], "admcp_coverage": r["admcp_coverage"]}
    if "cal_obj" in O and "test_obj" in O:
        fp = np.concatenate([O["cal_obj"]["fine_probs"], O["test_obj"]["fine_probs"]])
        yy = np.concatenate([D["sets"]["cal_obj"][2], D["sets"]["test_obj"][2]])
        aa = np.concatenate([O["cal_obj"]["ad"], O["test_obj"]["ad"]])
        oo = np.array([bank.obj[i] for i in np.concatenate([D["sets"]["cal_obj"][3], D["sets"]["test_obj"][3]])])
        m["cv_procedure"] = cv_check(fp, yy, aa, oo)
        log("evaluate: cross-validated conformal procedure done")
    if "cal" in O:
        # the v0.1.0 design (calibration = every calibration spectrum once), for comparison only
        from .calibrate import build_calibration
        old = build_calibration(O["cal"]["fine_probs"], D["sets"]["cal"][2], O["cal"]["ad"], D["sets"]["cal"][4])
        m["spectrum_level_calibration"] = {
            v: {str(a): {k: conformal_view(old, *views[v], a)[k] for k in ("qhat", "lac_coverage", "mondrian_coverage",
                                                                          "marginal_ad_coverage", "admcp_coverage")}
                for a in (0.05, 0.1)} for v in views}
        m["spectrum_level_calibration"]["class_mix"] = {
            "cal": {c: int(np.sum(D["sets"]["cal"][2] == k)) for k, c in enumerate(FINE)},
            "test": {c: int(np.sum(y == k)) for k, c in enumerate(FINE)},
            "cal_obj": {c: int(np.sum(D["sets"]["cal_obj"][2] == k)) for k, c in enumerate(FINE)} if "cal_obj" in D["sets"] else None}
        fp = np.concatenate([O["cal"]["fine_probs"], O["test"]["fine_probs"]])
        yy = np.concatenate([D["sets"]["cal"][2], y])
        aa = np.concatenate([O["cal"]["ad"], O["test"]["ad"]])
        oo = np.array([bank.obj[i] for i in np.concatenate([D["sets"]["cal"][3], ts[3]])])
        m["spectrum_level_calibration"]["cv_procedure"] = cv_check(fp, yy, aa, oo, alphas=(0.05, 0.1))
    th = cal["thresholds"]
    m["selective"] = selective(p, y, O["test"]["ad"], th["tauAD"])
    dec = np.where(O["test"]["ad"] >= th["tauAD"], "ALERT", np.where(p.max(1) < th["tauAbstain"], "ABSTAIN", "COMMIT"))
    m["test_decisions"] = {d: int(np.sum(dec == d)) for d in ["COMMIT", "ABSTAIN", "ALERT"]}
    com = dec == "COMMIT"
    m["selective_accuracy_commit"] = float(np.mean(pred[com] == y[com])) if com.any() else None
    m["thresholds"] = {"tauAbstain": th["tauAbstain"], "tauAD": th["tauAD"]}
    m.update(sentinel_metrics(cal, O, D, bank, SCORES))
    if "val_comb" in O:
        m["kfold_outlier_exposure"] = kfold_outlier_exposure(O, D, bank)
        log("evaluate: k-fold outlier-exposure protocol done")
    if B is not None:
        m["baseline_template_matching"] = baseline_metrics(B, D, O, w_obj)
    return m
