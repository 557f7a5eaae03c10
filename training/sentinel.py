"""ASTRANet-Sentinel v0.1: the 16 anomaly scores of the paper's Appendix C (numpy reference + plain
ONNX math), rank normalisation against an in-distribution validation reference, and an XGBoost
combiner exported by our own converter to ai.onnx.ml TreeEnsembleRegressor + Sigmoid.

Convention: higher = more anomalous. Inputs are the classifier outputs; p = member-mean fine
softmax, pc = member-mean coarse softmax, z = member-mean fine logits, e = member-mean embedding. For
spectrum-astranet these are the outputs of the outlier-exposure copies of the members (INPUTS_OE: oe_fine_probs ...);
the light-curve model feeds the plain ones (INPUTS).
"""
from __future__ import annotations

import json
import os
import pickle

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .model import FINE_TO_COARSE

SCORES = [
    ("msp", "uncertainty"), ("entropy", "uncertainty"), ("energy", "uncertainty"), ("odin", "uncertainty"),
    ("mahal_global", "distance"), ("mahal_class", "distance"), ("mahal_within", "distance"),
    ("knn", "distance"), ("cosine", "distance"), ("typicality", "distance"),
    ("gmm", "density"), ("iforest", "density"), ("lof", "density"), ("pca_recon", "density"),
    ("hec", "hybrid"), ("mrs", "hybrid"),
]
SCORE_NAMES = [s for s, _ in SCORES]
ODIN_T = 1.5
KNN_K = 10
LOF_K = 20
PCA_K = 8
MRS_K = 12
GMM_J = 2
N_REF_KNN = 2048
HEC_W = (1.0, 0.5, 1.0)
INPUTS = ("fine_probs", "coarse_probs", "embedding", "fine_logits")
INPUTS_OE = tuple("oe_" + n for n in INPUTS)


def inputs_of(o, names):
    """The classifier outputs in `o` (a dict by output name) that the Sentinel reads, in its input order."""
    return tuple(o[n] for n in names)


# ----------------------------------------------------------------------------------------- fitting
def _chol_prec(cov):
    """L with L L^T = cov^-1 (so (x-mu)^T cov^-1 (x-mu) = ||(x-mu) L||^2)."""
    prec = np.linalg.inv(cov)
    prec = (prec + prec.T) / 2
    return np.linalg.cholesky(prec)


def fit(E, Y, K, seed=0):
    """Fit every score's parameters on training embeddings E [N, D] with labels Y."""
    from sklearn.covariance import LedoitWolf
    from sklearn.ensemble import IsolationForest
    from sklearn.mixture import GaussianMixture
    from sklearn.neighbors import LocalOutlierFactor
    rng = np.random.default_rng(seed)
    E = E.astype(np.float64)
    D = E.shape[1]
    P = {"K": K, "D": D}
    mu = E.mean(0)
    P["mu"] = mu
    P["Lg"] = _chol_prec(LedoitWolf().fit(E).covariance_)
    P["mu_k"] = np.stack([E[Y == k].mean(0) for k in range(K)])
    P["L_k"] = np.stack([_chol_prec(LedoitWolf().fit(E[Y == k]).covariance_) for k in range(K)])
    ref = E[rng.choice(len(E), min(N_REF_KNN, len(E)), replace=False)]
    P["ref"] = ref
    # typicality radius: 95th percentile of ||e - mu_k|| over training samples of class k
    P["R_k"] = np.array([np.percentile(np.linalg.norm(E[Y == k] - P["mu_k"][k], axis=1), 95) for k in range(K)])
    # per-class GMMs
    gm_mu, gm_L, gm_c = [], [], []
    for k in range(K):
        g = GaussianMixture(GMM_J, covariance_type="full", reg_covar=1e-3, random_state=seed).fit(E[Y == k])
        for j in range(GMM_J):
            L = g.precisions_cholesky_[j]
            gm_mu.append(g.means_[j]); gm_L.append(L)
            gm_c.append(np.log(g.weights_[j]) - 0.5 * D * np.log(2 * np.pi) + np.sum(np.log(np.diag(L))))
    P["gm_mu"], P["gm_L"], P["gm_c"] = np.stack(gm_mu), np.stack(gm_L), np.array(gm_c)
    # isolation forest -> explicit trees, leaf value = -(depth + c(n_leaf))
    iso = IsolationForest(n_estimators=100, max_samples=256, random_state=seed).fit(E.astype(np.float32))
    P["iforest"] = _iforest_trees(iso)
    # LOF against the same reference set
    lof = LocalOutlierFactor(n_neighbors=LOF_K, novelty=True).fit(ref)
    P["lof_kdist"] = lof._distances_fit_X_[:, LOF_K - 1].astype(np.float64)
    P["lof_lrd"] = lof._lrd.astype(np.float64)
    # PCA subspaces
    P["pca_P"] = np.stack([np.linalg.svd(E[Y == k], full_matrices=False)[2][:PCA_K].T for k in range(K)])
    P["mrs_Q"] = np.stack([np.linalg.svd(E[Y == k] - P["mu_k"][k], full_matrices=False)[2][:MRS_K].T
                           for k in range(K)])
    P["parent"] = np.array(FINE_TO_COARSE)
    return P


def _c(n):
    n = np.asarray(n, dtype=np.float64)
    out = np.where(n > 2, 2 * (np.log(np.maximum(n - 1, 1)) + np.euler_gamma) - 2 * (n - 1) / np.maximum(n, 1), 0.0)
    return np.where(n == 2, 1.0, out)


def _iforest_trees(iso):
    trees = []
    for est, feats in zip(iso.estimators_, iso.estimators_features_):
        t = est.tree_
        depth = np.zeros(t.node_count)
        for i in range(t.node_count):
            for ch in (t.children_left[i], t.children_right[i]):
                if ch >= 0:
                    depth[ch] = depth[i] + 1
        leaf = t.children_left < 0
        val = -(depth + _c(t.n_node_samples))
        trees.append({
            "left": t.children_left.astype(np.int64), "right": t.children_right.astype(np.int64),
            "feature": np.where(leaf, 0, np.asarray(feats)[np.maximum(t.feature, 0)]).astype(np.int64),
            "threshold": t.threshold.astype(np.float32), "leaf": leaf, "value": val,
            "mode": "BRANCH_LEQ",
        })
    return trees


def eval_trees(trees, X, agg="AVERAGE"):
    """Numpy evaluation of explicit trees exactly as TreeEnsembleRegressor does (float32 compares)."""
    X = np.asarray(X, dtype=np.float32)
    out = np.zeros(len(X))
    for t in trees:
        node = np.zeros(len(X), dtype=np.int64)
        for _ in range(64):
            leaf = t["leaf"][node]
            if leaf.all():
                break
            xv = X[np.arange(len(X)), t["feature"][node]]
            thr = t["threshold"][node]
            go = xv <= thr if t["mode"] == "BRANCH_LEQ" else xv < thr
            nxt = np.where(go, t["left"][node], t["right"][node])
            node = np.where(leaf, node, nxt)
        out += t["value"][node]
    return out / len(trees) if agg == "AVERAGE" else out


# ------------------------------------------------------------------------------------ numpy scores
def _ent(p):
    return -np.sum(p * np.log(np.clip(p, 1e-30, None)), axis=-1)


def _softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def raw_scores(P, fine_probs, coarse_probs, emb, fine_logits):
    p = np.asarray(fine_probs, np.float64).mean(1)
    pc = np.asarray(coarse_probs, np.float64).mean(1)
    e = np.asarray(emb, np.float64)
    z = np.asarray(fine_logits, np.float64)
    B = len(e)
    yhat = p.argmax(1)
    r = np.arange(B)
    s = {}
    s["msp"] = -p.max(1)
    s["entropy"] = _ent(p)
    zm = z.max(1)
    s["energy"] = -(zm + np.log(np.exp(z - zm[:, None]).sum(1)))
    s["odin"] = -_softmax(z / ODIN_T).max(1)
    s["mahal_global"] = np.sqrt(np.sum(((e - P["mu"]) @ P["Lg"]) ** 2, 1))
    dk = np.sqrt(np.stack([np.sum(((e - P["mu_k"][k]) @ P["L_k"][k]) ** 2, 1) for k in range(P["K"])], 1))
    s["mahal_class"] = dk.min(1)
    s["mahal_within"] = dk[r, yhat]
    d = np.sqrt(np.clip((e ** 2).sum(1)[:, None] - 2 * e @ P["ref"].T + (P["ref"] ** 2).sum(1)[None], 0, None))
    dsort = np.sort(d, 1)
    s["knn"] = dsort[:, :KNN_K].mean(1)
    cos = (e @ P["mu_k"].T) / (np.linalg.norm(e, axis=1)[:, None] * np.linalg.norm(P["mu_k"], axis=1)[None] + 1e-12)
    s["cosine"] = 1 - cos.max(1)
    dc = np.linalg.norm(e[:, None, :] - P["mu_k"][None], axis=2)
    s["typicality"] = (dc / P["R_k"][None])[r, yhat]
    q = np.stack([np.sum(((e - P["gm_mu"][j]) @ P["gm_L"][j]) ** 2, 1) for j in range(len(P["gm_mu"]))], 1)
    ll = (P["gm_c"][None] - 0.5 * q).reshape(B, P["K"], GMM_J)
    llm = ll.max(2, keepdims=True)
    llk = (llm + np.log(np.exp(ll - llm).sum(2, keepdims=True)))[:, :, 0]
    s["gmm"] = -llk.max(1)
    s["iforest"] = eval_trees(P["iforest"], e.astype(np.float32))     # = -mean path length
    idx = np.argsort(d, 1, kind="stable")[:, :LOF_K]
    dn = np.take_along_axis(d, idx, 1)
    reach = np.maximum(P["lof_kdist"][idx], dn).mean(1) + 1e-10
    s["lof"] = P["lof_lrd"][idx].mean(1) * reach
    n2 = (e ** 2).sum(1)
    pr = np.stack([np.sum((e @ P["pca_P"][k]) ** 2, 1) for k in range(P["K"])], 1)
    s["pca_recon"] = np.sqrt(np.clip(n2[:, None] - pr, 0, None)).min(1)
    par = pc[:, P["parent"]]                               # [B, K] parent prob of every fine class
    a, b, g = HEC_W
    s["hec"] = a * _ent(p) + b * _ent(pc) + g * (1 - par[r, yhat])
    res = []
    for k in range(P["K"]):
        dd = e - P["mu_k"][k]
        res.append(np.clip((dd ** 2).sum(1) - np.sum((dd @ P["mrs_Q"][k]) ** 2, 1), 0, None))
    s["mrs"] = np.sqrt(np.stack(res, 1)).min(1)
    return np.stack([s[n] for n in SCORE_NAMES], 1)


def rank_normalise(ref_sorted, S):
    """rank_j = #{reference_j <= s_j} / n_ref (n_ref = 1024, so k/n is exact in float32)."""
    out = np.zeros_like(S, dtype=np.float64)
    for j in range(S.shape[1]):
        out[:, j] = np.searchsorted(ref_sorted[j], S[:, j], side="right") / ref_sorted.shape[1]
    return out


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def full(P, fine_probs, coarse_probs, emb, fine_logits):
    raw = raw_scores(P, fine_probs, coarse_probs, emb, fine_logits)
    ranks = rank_normalise(P["ref_sorted"], raw)
    margin = eval_trees(P["xgb_trees"], ranks.astype(np.float32), agg="SUM") + P["xgb_base"]
    return raw, ranks, sigmoid(margin)


# --------------------------------------------------------------------------------------- xgboost
def train_combiner(Xid, Xood, seed):
    import xgboost as xgb
    X = np.concatenate([Xid, Xood]).astype(np.float32)
    y = np.concatenate([np.zeros(len(Xid)), np.ones(len(Xood))])
    w = np.where(y == 1, len(Xid) / len(Xood), 1.0)
    clf = xgb.XGBClassifier(n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.8,
                            colsample_bytree=0.8, tree_method="hist", random_state=seed, n_jobs=2,
                            base_score=0.5)
    clf.fit(X, y, sample_weight=w)
    return clf


def xgb_to_trees(booster):
    m = json.loads(booster.save_raw(raw_format="json"))
    learner = m["learner"]
    base = float(learner["learner_model_param"]["base_score"])
    trees = []
    for t in learner["gradient_booster"]["model"]["trees"]:
        left = np.array(t["left_children"], dtype=np.int64)
        right = np.array(t["right_children"], dtype=np.int64)
        leaf = left < 0
        cond = np.array(t["split_conditions"], dtype=np.float32)
        trees.append({"left": left, "right": right, "feature": np.array(t["split_indices"], dtype=np.int64),
                      "threshold": cond, "leaf": leaf, "value": cond.astype(np.float64), "mode": "BRANCH_LT"})
    return trees, float(np.log(base / (1 - base)))


# ------------------------------------------------------------------------------------------- ONNX
class G:
    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, p="t"):
        self.n += 1
        return f"{p}_{self.n}"

    def const(self, arr, dtype=np.float32, p="c"):
        nm = self.name(p)
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), nm))
        return nm

    def op(self, op, inputs, domain=None, outputs=None, **attrs):
        out = outputs or [self.name(op.lower())]
        self.nodes.append(helper.make_node(op, inputs, out, domain=domain, **attrs))
        return out[0] if len(out) == 1 else out

    def axes(self, *a):
        return self.const(np.array(a, dtype=np.int64), np.int64, "axes")


def _tree_attrs(trees, target_scale=1.0):
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                         "target_treeids", "target_nodeids", "target_ids", "target_weights"]}
    for ti, t in enumerate(trees):
        for i in range(len(t["left"])):
            a["nodes_treeids"].append(ti); a["nodes_nodeids"].append(i)
            if t["leaf"][i]:
                a["nodes_featureids"].append(0); a["nodes_values"].append(0.0); a["nodes_modes"].append("LEAF")
                a["nodes_truenodeids"].append(0); a["nodes_falsenodeids"].append(0)
                a["nodes_missing_value_tracks_true"].append(0)
                a["target_treeids"].append(ti); a["target_nodeids"].append(i); a["target_ids"].append(0)
                a["target_weights"].append(float(t["value"][i]) * target_scale)
            else:
                a["nodes_featureids"].append(int(t["feature"][i])); a["nodes_values"].append(float(t["threshold"][i]))
                a["nodes_modes"].append(t["mode"])
                a["nodes_truenodeids"].append(int(t["left"][i])); a["nodes_falsenodeids"].append(int(t["right"][i]))
                a["nodes_missing_value_tracks_true"].append(0)
    return a


def build_onnx(P, path, input_names=INPUTS):
    g = G()
    K, D = P["K"], P["D"]
    f32 = lambda a: np.asarray(a, np.float32)
    FP, CP, E, Z = input_names
    p = g.op("ReduceMean", [FP], axes=[1], keepdims=0)                       # [B,K]
    pc = g.op("ReduceMean", [CP], axes=[1], keepdims=0)                      # [B,Kc]
    yhat = g.op("ArgMax", [p], axis=1, keepdims=1)                           # [B,1] int64
    tiny = g.const(1e-30)

    def entropy(q):
        lq = g.op("Log", [g.op("Max", [q, tiny])])
        return g.op("Neg", [g.op("ReduceSum", [g.op("Mul", [q, lq]), g.axes(1)], keepdims=0)])

    def gather_pred(m):                                                      # m [B,K] -> [B]
        return g.op("Squeeze", [g.op("GatherElements", [m, yhat], axis=1), g.axes(1)])

    def sqnorm_rows(y, k, d):                                                # y [B,k*d] -> [B,k]
        y3 = g.op("Reshape", [y, g.const(np.array([-1, k, d], np.int64), np.int64)])
        return g.op("ReduceSum", [g.op("Mul", [y3, y3]), g.axes(2)], keepdims=0)

    def affine_sq(Ls, mus):                                                  # sum_j ||(e-mu_j) L_j||^2
        k = len(Ls)
        W = np.concatenate(list(Ls), axis=1)                                 # [D, k*D']
        b = np.concatenate([mus[j] @ Ls[j] for j in range(k)])
        y = g.op("Sub", [g.op("MatMul", [E, g.const(f32(W))]), g.const(f32(b))])
        return sqnorm_rows(y, k, Ls[0].shape[1])

    def cpos(x):
        return g.op("Max", [x, g.const(0.0)])

    out = {}
    out["msp"] = g.op("Neg", [g.op("ReduceMax", [p], axes=[1], keepdims=0)])
    out["entropy"] = entropy(p)
    out["energy"] = g.op("Neg", [g.op("ReduceLogSumExp", [Z], axes=[1], keepdims=0)])
    out["odin"] = g.op("Neg", [g.op("ReduceMax", [g.op("Softmax", [g.op("Div", [Z, g.const(ODIN_T)])], axis=1)],
                                    axes=[1], keepdims=0)])
    out["mahal_global"] = g.op("Sqrt", [g.op("Squeeze", [affine_sq([P["Lg"]], [P["mu"]]), g.axes(1)])])
    dk = g.op("Sqrt", [affine_sq(list(P["L_k"]), list(P["mu_k"]))])         # [B,K]
    out["mahal_class"] = g.op("ReduceMin", [dk], axes=[1], keepdims=0)
    out["mahal_within"] = gather_pred(dk)
    # distances to the reference set
    e2 = g.op("ReduceSum", [g.op("Mul", [E, E]), g.axes(1)], keepdims=1)    # [B,1]
    ref = P["ref"]
    cross = g.op("MatMul", [E, g.const(f32(ref.T))])                       # [B,N]
    d2 = g.op("Add", [g.op("Sub", [e2, g.op("Mul", [cross, g.const(2.0)])]), g.const(f32((ref ** 2).sum(1)[None]))])
    d = g.op("Sqrt", [cpos(d2)])
    kk = g.const(np.array([KNN_K], np.int64), np.int64)
    vk, _ = g.op("TopK", [d, kk], axis=1, largest=0, sorted=1, outputs=[g.name("knnv"), g.name("knni")])
    out["knn"] = g.op("ReduceMean", [vk], axes=[1], keepdims=0)
    # cosine to class centroids
    en = g.op("Sqrt", [e2])
    mun = np.linalg.norm(P["mu_k"], axis=1)[None]
    cos = g.op("Div", [g.op("MatMul", [E, g.const(f32(P["mu_k"].T))]),
                       g.op("Add", [g.op("Mul", [en, g.const(f32(mun))]), g.const(1e-12)])])
    out["cosine"] = g.op("Sub", [g.const(1.0), g.op("ReduceMax", [cos], axes=[1], keepdims=0)])
    # typicality
    mu_k = P["mu_k"]
    dc2 = g.op("Add", [g.op("Sub", [e2, g.op("Mul", [g.op("MatMul", [E, g.const(f32(mu_k.T))]), g.const(2.0)])]),
                       g.const(f32((mu_k ** 2).sum(1)[None]))])
    dc = g.op("Sqrt", [cpos(dc2)])
    out["typicality"] = gather_pred(g.op("Div", [dc, g.const(f32(P["R_k"][None]))]))
    # GMM
    q = affine_sq(list(P["gm_L"]), list(P["gm_mu"]))                         # [B,K*J]
    ll = g.op("Add", [g.op("Mul", [q, g.const(-0.5)]), g.const(f32(P["gm_c"][None]))])
    ll3 = g.op("Reshape", [ll, g.const(np.array([-1, K, GMM_J], np.int64), np.int64)])
    llk = g.op("ReduceLogSumExp", [ll3], axes=[2], keepdims=0)
    out["gmm"] = g.op("Neg", [g.op("ReduceMax", [llk], axes=[1], keepdims=0)])
    # isolation forest: leaves hold -(depth + c(n)), so the average is -(mean path length)
    ta = _tree_attrs(P["iforest"])
    itr = g.op("TreeEnsembleRegressor", [E], domain="ai.onnx.ml", n_targets=1, aggregate_function="AVERAGE",
               post_transform="NONE", **ta)
    out["iforest"] = g.op("Squeeze", [itr, g.axes(1)])                   # = -mean path length
    # LOF
    kl = g.const(np.array([LOF_K], np.int64), np.int64)
    vl, il = g.op("TopK", [d, kl], axis=1, largest=0, sorted=1, outputs=[g.name("lofv"), g.name("lofi")])
    kd = g.op("Gather", [g.const(f32(P["lof_kdist"])), il], axis=0)
    reach = g.op("Add", [g.op("ReduceMean", [g.op("Max", [kd, vl])], axes=[1], keepdims=0), g.const(1e-10)])
    lrdn = g.op("ReduceMean", [g.op("Gather", [g.const(f32(P["lof_lrd"])), il], axis=0)], axes=[1], keepdims=0)
    out["lof"] = g.op("Mul", [lrdn, reach])
    # PCA reconstruction (uncentred class subspaces)
    Wp = np.concatenate(list(P["pca_P"]), axis=1)
    pr = sqnorm_rows(g.op("MatMul", [E, g.const(f32(Wp))]), K, PCA_K)
    out["pca_recon"] = g.op("ReduceMin", [g.op("Sqrt", [cpos(g.op("Sub", [e2, pr]))])], axes=[1], keepdims=0)
    # HEC
    par = g.op("MatMul", [pc, g.const(f32(np.eye(pc_dim(P))[P["parent"]].T))])  # [B,K]
    a, b, gg = HEC_W
    out["hec"] = g.op("Add", [g.op("Add", [g.op("Mul", [entropy(p), g.const(a)]),
                                          g.op("Mul", [entropy(pc), g.const(b)])]),
                             g.op("Mul", [g.op("Sub", [g.const(1.0), gather_pred(par)]), g.const(gg)])])
    # MRS (centred class PCA, 12 components)
    Wq = np.concatenate(list(P["mrs_Q"]), axis=1)
    bq = np.concatenate([P["mu_k"][k] @ P["mrs_Q"][k] for k in range(K)])
    prq = sqnorm_rows(g.op("Sub", [g.op("MatMul", [E, g.const(f32(Wq))]), g.const(f32(bq))]), K, MRS_K)
    out["mrs"] = g.op("ReduceMin", [g.op("Sqrt", [cpos(g.op("Sub", [dc2, prq]))])], axes=[1], keepdims=0)
    # stack [B,S], rank-normalise
    raw = g.op("Concat", [g.op("Unsqueeze", [out[n], g.axes(1)]) for n in SCORE_NAMES], axis=1)
    le = g.op("LessOrEqual", [g.const(f32(P["ref_sorted"][None])), g.op("Unsqueeze", [raw, g.axes(2)])])
    g.op("ReduceMean", [g.op("Cast", [le], to=TensorProto.FLOAT)], axes=[2], keepdims=0, outputs=["ad_scores"])
    xa = _tree_attrs(P["xgb_trees"])
    m = g.op("TreeEnsembleRegressor", ["ad_scores"], domain="ai.onnx.ml", n_targets=1, aggregate_function="SUM",
             post_transform="NONE", base_values=[float(P["xgb_base"])], **xa)
    g.op("Reshape", [g.op("Sigmoid", [m]), g.const(np.array([-1], np.int64), np.int64)], outputs=["ad_score"])
    M = P["M"]
    Kc = pc_dim(P)
    inputs = [helper.make_tensor_value_info(FP, TensorProto.FLOAT, ["batch", M, K]),
              helper.make_tensor_value_info(CP, TensorProto.FLOAT, ["batch", M, Kc]),
              helper.make_tensor_value_info(E, TensorProto.FLOAT, ["batch", D]),
              helper.make_tensor_value_info(Z, TensorProto.FLOAT, ["batch", K])]
    outputs = [helper.make_tensor_value_info("ad_scores", TensorProto.FLOAT, ["batch", len(SCORE_NAMES)]),
               helper.make_tensor_value_info("ad_score", TensorProto.FLOAT, ["batch"])]
    graph = helper.make_graph(g.nodes, "spectrum_astranet_sentinel", inputs, outputs, initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
                              producer_name="candela-training")
    model.ir_version = 8
    model.doc_string = "ASTRANet-Sentinel v0.1: scores " + ",".join(SCORE_NAMES)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def pc_dim(P):
    return int(max(P["parent"]) + 1)


# ------------------------------------------------------------------------------------------ stage
def auroc(neg, pos):
    from sklearn.metrics import roc_auc_score
    y = np.concatenate([np.zeros(len(neg)), np.ones(len(pos))])
    return float(roc_auc_score(y, np.concatenate([neg, pos])))


def stage_sentinel(work, outdir, log, seed=7):
    with open(os.path.join(work, "outputs.pkl"), "rb") as fh:
        O = pickle.load(fh)
    with open(os.path.join(work, "data.pkl"), "rb") as fh:
        D = pickle.load(fh)
    fp, _, emb, z = inputs_of(O["train_fit"], INPUTS_OE)
    P = fit(emb, D["sets"]["train_fit"][2], z.shape[1], seed=seed)
    P["M"] = fp.shape[1]

    def raw(name):
        return raw_scores(P, *inputs_of(O[name], INPUTS_OE))

    ref = raw("val_ref")
    assert ref.shape[0] == 1024
    P["ref_sorted"] = np.sort(ref, axis=0).T.copy()                     # [S, 1024]
    # combiner: validation ID (draws disjoint from the rank reference) vs rare fold A
    Rid = rank_normalise(P["ref_sorted"], raw("val_comb"))
    Rood = rank_normalise(P["ref_sorted"], raw("rareA"))
    clf = train_combiner(Rid, Rood, seed)
    P["xgb_trees"], P["xgb_base"] = xgb_to_trees(clf.get_booster())
    chk = clf.get_booster().predict(__import__("xgboost").DMatrix(Rid.astype(np.float32)), output_margin=True)
    mine = eval_trees(P["xgb_trees"], Rid.astype(np.float32), agg="SUM") + P["xgb_base"]
    log(f"sentinel: xgboost converter max |margin diff| = {np.abs(chk - mine).max():.2e}")
    assert np.abs(chk - mine).max() < 1e-4
    build_onnx(P, os.path.join(outdir, "sentinel.onnx"), INPUTS_OE)
    with open(os.path.join(work, "sentinel.pkl"), "wb") as fh:
        pickle.dump(P, fh, protocol=4)
    # evaluation on held-out test ID vs rare fold B (never seen by the combiner)
    res = {}
    for name in ["val_comb", "cal", "test", "rareA", "rareB"]:
        r, rk, ad = full(P, *inputs_of(O[name], INPUTS_OE))
        res[name] = {"raw": r, "ranks": rk, "ad": ad}
    with open(os.path.join(work, "sentinel_out.pkl"), "wb") as fh:
        pickle.dump(res, fh, protocol=4)
    per = {n: auroc(res["test"]["ranks"][:, j], res["rareB"]["ranks"][:, j]) for j, n in enumerate(SCORE_NAMES)}
    log("sentinel: test-vs-rareB AUROC per score " + json.dumps({k: round(v, 3) for k, v in per.items()}))
    log(f"sentinel: combined AUROC test-vs-rareB {auroc(res['test']['ad'], res['rareB']['ad']):.3f}, "
        f"val_comb-vs-rareA (in-sample) {auroc(res['val_comb']['ad'], res['rareA']['ad']):.3f}")
