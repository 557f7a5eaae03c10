"""Train one ensemble member (fixed seed) with the paper's recipe (Appendix B, Table XI weights), then, for the
Sentinel, its outlier-exposure copy (Sec. IV D b).

  L = 1.5 focal(fine; label smoothing 0.05, gamma 2, TDE 3) + 0.3 CE(coarse; smoothing 0.05)
      + 0.03 SupCon(fine) + 0.05 SupCon(coarse)   (tau 0.07, l2-normalised projection heads, not on MixUp batches)
      + 0.5 confusion penalty {(TDE->Ia, 0.5), (SLSN->Ibc, 0.3), (II->Ibc, 0.8)}  (quadratic in p(b|x), class a)
      - 0.01 attention entropy

Class-balanced pool (class -> object -> spectrum uniform; the paper's effective-number over-sampling with
beta = 0.9999 is practically class-uniform at these counts), MixUp (p = 0.5, lambda = max(l, 1 - l),
l ~ Beta(0.3, 0.3)), extra random metadata masking, AdamW, 1 epoch of linear warm-up then cosine decay to 5 % of the
peak (12 epochs: the 2-hour CPU budget does not allow the paper's 200 epochs with warm restarts), EMA of the weights
(decay 0.996) used for every evaluation. Two checkpoints per seed, as the paper: the EMA weights of the best epoch
by validation macro recall, and an SWA average (equal weights) of the EMA weights at the end of the last third of
the epochs (low learning rate).

Outlier exposure (outlier_exposure_finetune): each checkpoint is fine-tuned on the training set plus the rare
objects of fold A; the fine-tuned copies feed only the Sentinel."""
from __future__ import annotations

import copy
import time

import numpy as np
import torch
import torch.nn.functional as F

from .model import FINE_TO_COARSE, SpecNet

W_FOCAL, W_COARSE, W_SC_F, W_SC_C, W_CONF, W_ATT = 1.5, 0.3, 0.03, 0.05, 0.5, 0.01
GAMMA = [2.0, 2.0, 2.0, 2.0, 3.0]          # Ia, Ibc, II, SLSN, TDE
CONFUSION = [(4, 0, 0.5), (3, 1, 0.3), (2, 1, 0.8)]  # (true a, predicted b, weight)
EMA_DECAY = 0.996
MIXUP_P, MIXUP_ALPHA = 0.5, 0.3
SUPCON_T = 0.07
EPS = 0.05
WARMUP_EPOCHS, LR_FLOOR = 1, 0.05
W_OE, W_EMB, OE_STEPS, OE_LR = 1.0, 1.0, 200, 3e-4     # outlier exposure: lambda_OE = lambda_emb = 1


def soft_targets(y, k, eps=EPS):
    return F.one_hot(y, k).float() * (1 - eps) + eps / k


def focal_loss(logits, t, gamma):
    """t: soft targets [B,K]; gamma: per-class [K] (per-sample gamma = sum_k t_k gamma_k)."""
    logp = F.log_softmax(logits, dim=1)
    p = logp.exp()
    g = (t * gamma[None]).sum(1, keepdim=True)
    return (-(t * (1 - p) ** g * logp).sum(1)).mean()


def soft_ce(logits, t):
    return (-(t * F.log_softmax(logits, dim=1)).sum(1)).mean()


def supcon(z, y, tau=SUPCON_T):
    """Supervised contrastive loss (Khosla+2020) on l2-normalised z [B,d]."""
    z = F.normalize(z, dim=1)
    sim = z @ z.t() / tau
    B = z.shape[0]
    eye = torch.eye(B, dtype=torch.bool)
    sim = sim.masked_fill(eye, -1e9)
    logprob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    pos = (y[:, None] == y[None, :]) & ~eye
    npos = pos.sum(1)
    ok = npos > 0
    if not ok.any():
        return z.sum() * 0
    return -((logprob * pos).sum(1)[ok] / npos[ok]).mean()


def confusion_penalty(logits, y):
    p = torch.softmax(logits, dim=1)
    tot = logits.sum() * 0
    for a, b, w in CONFUSION:
        sel = y == a
        if sel.any():
            tot = tot + w * (p[sel, b] ** 2).mean()
    return tot


def attention_entropy(a):
    """a [B,H,T] softmax over T -> mean over batch and heads of the entropy."""
    return (-(a * torch.log(a.clamp_min(1e-12))).sum(-1)).mean()


def macro_recall(y, pred, k):
    r = [np.mean(pred[y == c] == c) for c in range(k) if np.any(y == c)]
    return float(np.mean(r))


def predict_member(model, X, M, bs=512):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(X), bs):
            zf, zc, e = model(torch.from_numpy(X[i:i + bs]), torch.from_numpy(M[i:i + bs]))
            out.append(zf.numpy())
    return np.concatenate(out)


def lr_factor(step, total, warmup, floor=LR_FLOOR):
    """Linear warm-up, then one cosine decay to floor x peak (the paper's warm-restart schedule with T_0 longer
    than the remaining epochs: a 200-epoch budget with restarts does not fit a 2-core CPU)."""
    if step < warmup:
        return (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * t))


def _masked_meta(M, ix, rng):
    """Metadata of a batch with extra random masking of redshift and phase (on top of the draw-time masking)."""
    m = torch.from_numpy(M[ix]).clone()
    m[torch.from_numpy(rng.random(len(ix)) < 0.3), 0:2] = 0
    m[torch.from_numpy(rng.random(len(ix)) < 0.3), 2:4] = 0
    return m


def optimiser_step(model, opt, sched, loss):
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()


def classification_loss(model, zf, zc, y, tf, tc, gamma):
    return W_FOCAL * focal_loss(zf, tf, gamma) + W_COARSE * soft_ce(zc, tc) \
        + W_CONF * confusion_penalty(zf, y) - W_ATT * attention_entropy(model.last_attention)


def train_member(seed, train, val, epochs=12, bs=128, lr=3e-3, log=print):
    """Returns (best-EMA model, SWA-of-EMA model, history)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    rng = np.random.default_rng(seed)
    X, M, Y = train[0], train[1], train[2]
    yc_map = torch.tensor(FINE_TO_COARSE)
    model = SpecNet(projection_heads=True)
    K = model.fine[-1].out_features
    Kc = model.coarse[-1].out_features
    gamma = torch.tensor(GAMMA)
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    per_epoch = len(X) // bs
    steps = epochs * per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: lr_factor(i, steps, WARMUP_EPOCHS * per_epoch))
    best, best_state, hist = -1, None, []
    swa_state, swa_n = None, 0
    swa_from = epochs - max(1, epochs // 3) + 1    # the last third (low learning rate) is averaged, 1-based
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = rng.permutation(len(X))
        tot = 0.0
        for b in range(per_epoch):
            ix = perm[b * bs:(b + 1) * bs]
            x = torch.from_numpy(X[ix])
            m = _masked_meta(M, ix, rng)
            y = torch.from_numpy(Y[ix])
            yc = yc_map[y]
            tf, tc = soft_targets(y, K), soft_targets(yc, Kc)
            mixed = rng.random() < MIXUP_P
            if mixed:
                lam = float(rng.beta(MIXUP_ALPHA, MIXUP_ALPHA))
                lam = max(lam, 1 - lam)
                j = torch.from_numpy(rng.permutation(len(ix)))
                x = lam * x + (1 - lam) * x[j]
                tf = lam * tf + (1 - lam) * tf[j]
                tc = lam * tc + (1 - lam) * tc[j]
                # metadata of the dominant spectrum (lam >= 0.5); its label drives the confusion penalty
            zf, zc, e = model(x, m)
            loss = classification_loss(model, zf, zc, y, tf, tc, gamma)
            if not mixed:
                loss = loss + W_SC_F * supcon(model.zproj_fine(e), y) + W_SC_C * supcon(model.zproj_coarse(e), yc)
            optimiser_step(model, opt, sched, loss)
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(EMA_DECAY).add_(pm.detach(), alpha=1 - EMA_DECAY)
                for be, bm in zip(ema.buffers(), model.buffers()):
                    be.copy_(bm)
            tot += loss.item()
        acc, mr = evaluate_member(ema, val)
        hist.append({"epoch": ep + 1, "loss": tot / per_epoch, "val_acc": acc, "val_macro_recall": mr,
                     "elapsed_s": round(time.time() - t0, 1)})
        log(f"seed {seed} epoch {ep + 1}: loss {hist[-1]['loss']:.4f} EMA val acc {acc:.3f} macro recall {mr:.3f} "
            f"({time.time() - t0:.0f}s)")
        if mr > best:
            best = mr
            best_state = {k: v.detach().clone() for k, v in ema.state_dict().items()}
        if ep + 1 >= swa_from:
            sd = ema.state_dict()
            if swa_state is None:
                swa_state = {k: v.detach().clone().float() for k, v in sd.items()}
            else:
                for k in swa_state:
                    swa_state[k] += (sd[k].float() - swa_state[k]) / (swa_n + 1)
            swa_n += 1
    best_model = SpecNet(projection_heads=True)
    best_model.load_state_dict(best_state)
    best_model.eval()
    swa_model = SpecNet(projection_heads=True)
    swa_model.load_state_dict(swa_state)
    swa_model.eval()
    acc, mr = evaluate_member(swa_model, val)
    hist.append({"epoch": "swa", "val_acc": acc, "val_macro_recall": mr,
                 "averaged_epochs": list(range(swa_from, epochs + 1))})
    log(f"seed {seed} SWA({swa_from}..{epochs}): val acc {acc:.3f} macro recall {mr:.3f}")
    return best_model, swa_model, hist


def evaluate_member(model, val):
    z = predict_member(model, val[0], val[1])
    pred = z.argmax(1)
    return float(np.mean(pred == val[2])), macro_recall(val[2], pred, z.shape[1])


def embed(model, X, M, bs=512):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(torch.from_numpy(X[i:i + bs]), torch.from_numpy(M[i:i + bs]))[2]
                          for i in range(0, len(X), bs)])


def outlier_exposure_finetune(model, train, exposure, seed, steps=OE_STEPS, bs=64, bs_out=64, lr=OE_LR, log=print):
    """Paper Sec. IV D b: fine-tune a trained member with the classification loss on the training set plus, on
    exposure anomalies (rare objects of fold A only; fold B, which scores the Sentinel, is never seen):
    (i) lambda_OE x cross-entropy to the uniform softmax and (ii) lambda_emb x a margin term that pushes their
    embeddings at least a class radius R_k (95th percentile of the training distances to centroid k) away from every
    class centroid, hinge relu(1 - d_k / R_k) averaged over classes. Centroids follow the training batches (running
    mean), radii are fixed at the start. Changes `model` in place and returns it (eval mode)."""
    rng = np.random.default_rng(seed + 1000)
    torch.manual_seed(seed + 1000)
    X, M, Y = train[0], train[1], train[2]
    Xo, Mo = exposure[0], exposure[1]
    yc_map = torch.tensor(FINE_TO_COARSE)
    K = model.fine[-1].out_features
    Kc = model.coarse[-1].out_features
    gamma = torch.tensor(GAMMA)
    fit = rng.choice(len(X), min(4096, len(X)), replace=False)
    E, Yf = embed(model, X[fit], M[fit]), torch.from_numpy(Y[fit])
    mu = torch.stack([E[Yf == k].mean(0) for k in range(K)])
    R = torch.stack([torch.quantile((E[Yf == k] - mu[k]).norm(dim=1), 0.95) for k in range(K)])
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: lr_factor(i, steps, 0, floor=0.0))
    model.train()
    tot_id = tot_oe = tot_emb = 0.0
    for _ in range(steps):
        ix = rng.choice(len(X), bs, replace=False)
        io = rng.choice(len(Xo), bs_out, replace=False)
        y = torch.from_numpy(Y[ix])
        x = torch.cat([torch.from_numpy(X[ix]), torch.from_numpy(Xo[io])])
        m = torch.cat([_masked_meta(M, ix, rng), _masked_meta(Mo, io, rng)])
        zf, zc, e = model(x, m)
        l_id = W_FOCAL * focal_loss(zf[:bs], soft_targets(y, K), gamma) \
            + W_COARSE * soft_ce(zc[:bs], soft_targets(yc_map[y], Kc))
        l_oe = -F.log_softmax(zf[bs:], dim=1).mean()
        l_emb = F.relu(1 - torch.cdist(e[bs:], mu) / R).mean()
        loss = l_id + W_OE * l_oe + W_EMB * l_emb
        optimiser_step(model, opt, sched, loss)
        with torch.no_grad():
            for k in range(K):
                sel = y == k
                if sel.any():
                    mu[k] = 0.9 * mu[k] + 0.1 * e[:bs][sel].mean(0)
        tot_id += l_id.item(); tot_oe += l_oe.item(); tot_emb += l_emb.item()
    model.eval()
    log(f"seed {seed} outlier exposure ({steps} steps): loss ID {tot_id / steps:.4f}, OE {tot_oe / steps:.4f} "
        f"(uniform = {np.log(K):.4f}), margin {tot_emb / steps:.4f}")
    return model
