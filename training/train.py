"""Train one ensemble member (fixed seed): focal loss (fine, label smoothing 0.05) + 0.3 CE (coarse),
class-balanced pool, AdamW + one-cycle LR, random metadata masking, best epoch by validation macro recall."""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from .model import FINE_TO_COARSE, SpecNet


def focal_loss(logits, y, gamma=2.0, eps=0.05):
    k = logits.shape[1]
    logp = F.log_softmax(logits, dim=1)
    p = logp.exp()
    t = F.one_hot(y, k).float() * (1 - eps) + eps / k
    return (-(t * (1 - p) ** gamma * logp).sum(1)).mean()


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


def train_member(seed, train, val, epochs=7, bs=128, lr=3e-3, log=print):
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
            loss = 1.5 * focal_loss(zf, y) + 0.3 * F.cross_entropy(zc, yc_map[y], label_smoothing=0.05)
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
