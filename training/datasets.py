"""Object-level splits and the augmented tensor sets (train / val-ref / val-comb / cal / test / rare)."""
from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np

from .augment import render
from .data import FINE
from .preprocess import Rejected, preprocess

SPLIT_FRAC = {"val": 0.13, "cal": 0.14, "test": 0.13}


def _stable_order(objs, seed):
    # order objects by a seeded hash: independent of file-system order
    return sorted(objs, key=lambda o: hashlib.sha256(f"{seed}:{o}".encode()).hexdigest())


def make_splits(bank, seed):
    """Returns obj -> split. ID classes: train/val/cal/test by object, stratified by class.
    Rare classes: objects alternate between 'rareB' (evaluation) and 'rareA' (outlier exposure for
    the Sentinel combiner), so the evaluated rare objects never train the combiner."""
    by_label = defaultdict(set)
    for o, l in zip(bank.obj, bank.label):
        by_label[l].add(o)
    split = {}
    for l in sorted(by_label):
        objs = _stable_order(sorted(by_label[l]), seed)
        if l in FINE:
            n = len(objs)
            nv = max(1, round(SPLIT_FRAC["val"] * n))
            nc = max(1, round(SPLIT_FRAC["cal"] * n))
            nt = max(1, round(SPLIT_FRAC["test"] * n))
            for i, o in enumerate(objs):
                split[o] = "val" if i < nv else "cal" if i < nv + nc else "test" if i < nv + nc + nt else "train"
        else:
            for i, o in enumerate(objs):
                split[o] = "rareB" if i % 2 == 0 else "rareA"
    return split


def spectra_of(bank, split, name):
    return np.array([i for i, o in enumerate(bank.obj) if split[o] == name])


def draw_set(bank, gals, idx_list, rng, meta_p=(0.5, 0.3)):
    """Render + preprocess the given bank indices (one draw each; failed draws are re-drawn from the
    same spectrum up to 5 times, then skipped)."""
    X, M, Y, R, IDS = [], [], [], [], []
    for j, i in enumerate(idx_list):
        for _ in range(5):
            r = render(bank, i, rng, gals)
            if r is None:
                continue
            zg = rng.random() < meta_p[0]
            pg = (rng.random() < meta_p[1]) and np.isfinite(bank.phase[i])
            try:
                x, m = preprocess(r["w"], r["f"], redshift=r["z"] if zg else None,
                                  phase=float(bank.phase[i]) if pg else None)
            except Rejected:
                continue
            X.append(x); M.append(m)
            Y.append(FINE.index(bank.label[i]) if bank.label[i] in FINE else -1)
            R.append(i)
            IDS.append(f"{bank.source[i]}@{j}")
            break
    return (np.stack(X), np.stack(M), np.array(Y, dtype=np.int64), np.array(R, dtype=np.int64), IDS)


def object_balanced_indices(bank, split, name, per_object, rng):
    """Calibration / evaluation design in which the OBJECT is the unit: every in-taxonomy object of the split
    gets `per_object` draws (its spectra without replacement, cycled when it has fewer), so each object
    weighs the same whatever the number of template spectra it happens to have (SN 1994D has 81, most
    objects 1-10). The split itself is by object and stratified by class, so two such sets drawn from
    different splits are exchangeable at the object level; the spectrum-level sets are not (their class mix
    follows how many spectra a few objects have)."""
    by = defaultdict(list)
    for i, o in enumerate(bank.obj):
        if split[o] == name and bank.label[i] in FINE:
            by[o].append(i)
    out = []
    for o in sorted(by):
        sp = np.array(sorted(by[o]))
        reps = int(np.ceil(per_object / len(sp)))
        pick = np.concatenate([rng.permutation(sp) for _ in range(reps)])[:per_object]
        out.extend(int(i) for i in pick)
    return np.array(out)


def balanced_indices(bank, idx, n_per_class, rng):
    """Class-balanced sampling: class uniform, then object uniform, then spectrum uniform."""
    by = defaultdict(lambda: defaultdict(list))
    for i in idx:
        by[bank.label[i]][bank.obj[i]].append(i)
    out = []
    for l in FINE:
        objs = sorted(by[l])
        for _ in range(n_per_class):
            o = objs[rng.integers(len(objs))]
            sp = by[l][o]
            out.append(sp[rng.integers(len(sp))])
    out = np.array(out)
    rng.shuffle(out)
    return out


def build_sets(bank, gals, split, seed, n_train_per_class=6000, n_ref=1024, n_comb=2048, n_rareA=3000,
               rareB_draws=4):
    rng = np.random.default_rng(seed)
    sets = {}
    tr = spectra_of(bank, split, "train")
    sets["train"] = draw_set(bank, gals, balanced_indices(bank, tr, n_train_per_class, rng), rng)
    va = spectra_of(bank, split, "val")
    sets["val_ref"] = draw_set(bank, gals, rng.choice(va, n_ref + 64, replace=True), rng)
    sets["val_comb"] = draw_set(bank, gals, rng.choice(va, n_comb, replace=True), rng)
    sets["train_fit"] = draw_set(bank, gals, rng.choice(tr, 4096, replace=True), rng)
    sets["cal"] = draw_set(bank, gals, spectra_of(bank, split, "cal"), rng)
    sets["test"] = draw_set(bank, gals, spectra_of(bank, split, "test"), rng)
    ra = spectra_of(bank, split, "rareA")
    sets["rareA"] = draw_set(bank, gals, rng.choice(ra, n_rareA, replace=True), rng)
    rb = spectra_of(bank, split, "rareB")
    sets["rareB"] = draw_set(bank, gals, np.repeat(rb, rareB_draws), rng)
    # exactly n_ref reference spectra (a power of two keeps the ranks k/n exact in float32)
    X, M, Y, R, IDS = sets["val_ref"]
    sets["val_ref"] = (X[:n_ref], M[:n_ref], Y[:n_ref], R[:n_ref], IDS[:n_ref])
    return sets


def build_object_sets(bank, gals, split, seed, per_object=16):
    """Object-balanced renders of the calibration and test objects (own RNG stream, so the sets of
    build_sets are unchanged): cal_obj is what calibration.json is built from; test_obj is the matching
    evaluation set (same design, disjoint objects)."""
    rng = np.random.default_rng(seed)
    return {f"{n}_obj": draw_set(bank, gals, object_balanced_indices(bank, split, n, per_object, rng), rng)
            for n in ("cal", "test")}
