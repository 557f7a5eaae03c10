"""Train one ensemble member (fixed seed). Two recipes:

`v0.1` (train_member; the recipe of the shipped spectrum-astranet 0.1.0): focal loss (fine, gamma 2, label smoothing
0.05) + 0.3 CE (coarse), class-balanced pool, AdamW + one-cycle LR, random metadata masking, best epoch by validation
macro recall; one checkpoint per seed.

`astranet` (train_member_astranet; paper Appendix B, Table XI weights; selected by `--recipe astranet`):

  L = 1.5 focal(fine; label smoothing 0.05, gamma 2, TDE 3) + 0.3 CE(coarse; smoothing 0.05)
      + 0.03 SupCon(fine) + 0.05 SupCon(coarse)   (tau 0.07, l2-normalised projection heads, not on MixUp batches)
      + 0.5 confusion penalty {(TDE->Ia, 0.5), (SLSN->Ibc, 0.3), (II->Ibc, 0.8)}  (quadratic in p(b|x), class a)
      - 0.01 attention entropy

Class-balanced pool (class -> object -> spectrum uniform; the paper's effective-number over-sampling with
beta = 0.9999 is practically class-uniform at these counts), MixUp (p = 0.5, lambda = max(l, 1 - l),
l ~ Beta(0.3, 0.3)), extra random metadata masking, AdamW + one-cycle LR (7 epochs: the 2-hour CPU budget does not
allow the paper's 200 epochs with warm restarts), EMA of the weights (decay 0.996) used for every evaluation.
Two checkpoints per seed, as the paper: the EMA weights of the best epoch by validation macro recall, and an SWA
average (equal weights) of the EMA weights at the end of the second half of the epochs."""
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


def focal_loss_hard(logits, y, gamma=2.0, eps=0.05):
    k = logits.shape[1]
    logp = F.log_softmax(logits, dim=1)
    p = logp.exp()
    t = F.one_hot(y, k).float() * (1 - eps) + eps / k
    return (-(t * (1 - p) ** gamma * logp).sum(1)).mean()


def train_member(seed, train, val, epochs=7, bs=128, lr=3e-3, log=print):
    """Recipe v0.1 (unchanged: reproduces the shipped members). Returns (model, history)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    rng = np.random.default_rng(seed)
    X, M, Y = train[0], train[1], train[2]
    yc_map = torch.tensor(FINE_TO_COARSE)
    model = SpecNet()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * (len(X) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    best, best_state, hist = -1, None, []
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = rng.permutation(len(X))
        tot = 0.0
        for b in range(len(X) // bs):
            ix = perm[b * bs:(b + 1) * bs]
            x = torch.from_numpy(X[ix])
            m = torch.from_numpy(M[ix]).clone()
            # extra metadata masking on top of the draw-time masking
            drop_z = torch.from_numpy(rng.random(len(ix)) < 0.3)
            drop_p = torch.from_numpy(rng.random(len(ix)) < 0.3)
            m[drop_z, 0:2] = 0
            m[drop_p, 2:4] = 0
            y = torch.from_numpy(Y[ix])
            zf, zc, _ = model(x, m)
            loss = 1.5 * focal_loss_hard(zf, y) + 0.3 * F.cross_entropy(zc, yc_map[y], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tot += loss.item()
        zf = predict_member(model, val[0], val[1])
        pred = zf.argmax(1)
        acc = float(np.mean(pred == val[2]))
        mr = macro_recall(val[2], pred, zf.shape[1])
        hist.append({"epoch": ep + 1, "loss": tot / (len(X) // bs), "val_acc": acc, "val_macro_recall": mr,
                     "elapsed_s": round(time.time() - t0, 1)})
        log(f"seed {seed} epoch {ep + 1}: loss {hist[-1]['loss']:.4f} val acc {acc:.3f} macro recall {mr:.3f} "
            f"({time.time() - t0:.0f}s)")
        if mr > best:
            best = mr
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    return model, hist


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


def train_member_astranet(seed, train, val, epochs=7, bs=128, lr=3e-3, log=print):
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
    steps = epochs * (len(X) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    best, best_state, hist = -1, None, []
    swa_state, swa_n = None, 0
    swa_from = epochs // 2 + 1                      # epochs swa_from..epochs (1-based) are averaged
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = rng.permutation(len(X))
        tot = 0.0
        for b in range(len(X) // bs):
            ix = perm[b * bs:(b + 1) * bs]
            x = torch.from_numpy(X[ix])
            m = torch.from_numpy(M[ix]).clone()
            drop_z = torch.from_numpy(rng.random(len(ix)) < 0.3)
            drop_p = torch.from_numpy(rng.random(len(ix)) < 0.3)
            m[drop_z, 0:2] = 0
            m[drop_p, 2:4] = 0
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
            loss = W_FOCAL * focal_loss(zf, tf, gamma) + W_COARSE * soft_ce(zc, tc) \
                + W_CONF * confusion_penalty(zf, y) - W_ATT * attention_entropy(model.last_attention)
            if not mixed:
                loss = loss + W_SC_F * supcon(model.zproj_fine(e), y) + W_SC_C * supcon(model.zproj_coarse(e), yc)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(EMA_DECAY).add_(pm.detach(), alpha=1 - EMA_DECAY)
                for be, bm in zip(ema.buffers(), model.buffers()):
                    be.copy_(bm)
            tot += loss.item()
        zf = predict_member(ema, val[0], val[1])
        pred = zf.argmax(1)
        acc = float(np.mean(pred == val[2]))
        mr = macro_recall(val[2], pred, zf.shape[1])
        hist.append({"epoch": ep + 1, "loss": tot / (len(X) // bs), "val_acc": acc, "val_macro_recall": mr,
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
    zf = predict_member(swa_model, val[0], val[1])
    hist.append({"epoch": "swa", "val_acc": float(np.mean(zf.argmax(1) == val[2])),
                 "val_macro_recall": macro_recall(val[2], zf.argmax(1), zf.shape[1]),
                 "averaged_epochs": list(range(swa_from, epochs + 1))})
    log(f"seed {seed} SWA({swa_from}..{epochs}): val acc {hist[-1]['val_acc']:.3f} macro recall "
        f"{hist[-1]['val_macro_recall']:.3f}")
    return best_model, swa_model, hist
