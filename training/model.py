"""Small ASTRANet-style 1-D CNN: multi-scale stem, dilated residual blocks, FiLM from
optional metadata (validity bits), multi-head attention pooling, embedding, coarse head and a fine
head that reads the coarse softmax under stop-gradient. `Ensemble` wraps M members in one graph."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

FINE_TO_COARSE = [0, 1, 1, 1, 2]  # Ia->SN-Thermonuclear, Ibc/II/SLSN->SN-CC, TDE->Non-SN


class MetaEncoder(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, dim), nn.GELU(), nn.Linear(dim, dim), nn.GELU())

    def forward(self, meta):
        z, zv, ph, pv = meta[:, 0:1], meta[:, 1:2], meta[:, 2:3], meta[:, 3:4]
        p = ph / 30.0
        feats = torch.cat([torch.tanh(5.0 * z) * zv, zv, torch.sin(p) * pv, torch.cos(p) * pv,
                           torch.tanh(p) * pv, pv], dim=1)
        return self.net(feats)


class FiLM(nn.Module):
    def __init__(self, cdim, ch):
        super().__init__()
        self.g = nn.Linear(cdim, ch)
        self.b = nn.Linear(cdim, ch)
        nn.init.zeros_(self.g.weight); nn.init.zeros_(self.g.bias)
        nn.init.zeros_(self.b.weight); nn.init.zeros_(self.b.bias)

    def forward(self, x, c):
        g, b = self.g(c), self.b(c)
        if x.dim() == 3:
            g, b = g.unsqueeze(-1), b.unsqueeze(-1)
        return x * (1 + g) + b


class Block(nn.Module):
    def __init__(self, ch, dil, k=5, groups=4, p=0.1):
        super().__init__()
        self.c1 = nn.Conv1d(ch, ch, k, padding=dil * (k - 1) // 2, dilation=dil)
        self.n1 = nn.GroupNorm(groups, ch)
        self.c2 = nn.Conv1d(ch, ch, k, padding=(k - 1) // 2)
        self.n2 = nn.GroupNorm(groups, ch)
        self.drop = nn.Dropout(p)

    def forward(self, x):
        h = F.gelu(self.n1(self.c1(x)))
        h = self.drop(h)
        h = self.n2(self.c2(h))
        return F.gelu(x + h)


class SpecNet(nn.Module):
    def __init__(self, n_fine=5, n_coarse=3, in_ch=3, stem_ch=12, kernels=(7, 31, 151), ch=48,
                 dilations=(1, 2, 4, 8), emb=64, heads=4, cdim=32, projection_heads=False):
        super().__init__()
        self.stem = nn.ModuleList([nn.Sequential(nn.Conv1d(in_ch, stem_ch, k, padding=k // 2),
                                                 nn.GroupNorm(4, stem_ch), nn.GELU()) for k in kernels])
        self.fuse = nn.Conv1d(stem_ch * len(kernels), ch, 1)
        self.pool = nn.AvgPool1d(4, 4)
        self.meta = MetaEncoder(cdim)
        self.film1 = FiLM(cdim, ch)
        self.blocks = nn.Sequential(*[Block(ch, d) for d in dilations])
        self.heads = heads
        self.att = nn.Conv1d(ch, heads, 1)
        self.proj = nn.Linear(ch, emb)
        self.ln = nn.LayerNorm(emb)
        self.film2 = FiLM(cdim, emb)
        self.coarse = nn.Sequential(nn.Linear(emb, 64), nn.GELU(), nn.Dropout(0.3), nn.Linear(64, n_coarse))
        self.fine = nn.Sequential(nn.Linear(emb + n_coarse, 96), nn.GELU(), nn.Dropout(0.3), nn.Linear(96, n_fine))
        if projection_heads:
            # contrastive projection heads (SupCon losses, training only: forward does not use them, so they are
            # not in the exported graph)
            self.zproj_fine = nn.Sequential(nn.Linear(emb, 128), nn.GELU(), nn.Linear(128, 128), nn.GELU(),
                                            nn.Linear(128, 64))
            self.zproj_coarse = nn.Sequential(nn.Linear(emb, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(),
                                              nn.Linear(64, 64))
        self.last_attention = None

    def forward(self, x, meta):
        c = self.meta(meta)
        h = torch.cat([s(x) for s in self.stem], dim=1)
        h = self.pool(self.fuse(h))
        valid = self.pool(x[:, 2:3, :])                       # fraction of valid pixels per pooled cell
        h = self.film1(h, c)
        h = self.blocks(h)
        B, C, T = h.shape
        a = self.att(h) + (valid - 1.0) * 30.0                 # [B, H, T], invalid cells suppressed
        a = torch.softmax(a, dim=-1)
        self.last_attention = a                                # for the attention-entropy term (training)
        hv = h.reshape(B, self.heads, C // self.heads, T)
        v = (hv * a.unsqueeze(2)).sum(-1).reshape(B, C)
        e = self.ln(self.proj(v))
        e = self.film2(e, c)
        zc = self.coarse(e)
        pc = torch.softmax(zc, dim=-1).detach()
        zf = self.fine(torch.cat([e, pc], dim=1))
        return zf, zc, e


# The paper's full-size configuration (Appendix A / Table XII) on this input: C_stem 32 per branch, C_base 96,
# six dilated blocks (d = 1..32), embedding 192, 4 heads, metadata 64, projection heads. ~10x the compute of the
# default (v0.1) size, so not trainable within the 2-hour, 2-core budget; `SpecNet(**FULL_SIZE)` builds it and it
# exports through the same Ensemble / ONNX path (outputs and tensor names unchanged, embedding [B, 192]).
FULL_SIZE = dict(stem_ch=32, ch=96, dilations=(1, 2, 4, 8, 16, 32), emb=192, heads=4, cdim=64, projection_heads=True)


class Ensemble(nn.Module):
    """All members in one graph: fine_probs [B,M,K], coarse_probs [B,M,Kc], embedding [B,D] (mean),
    fine_logits [B,K] (mean). With `oe_members` (the same checkpoints after outlier-exposure fine-tuning, which
    only the Sentinel reads) the same four outputs of those follow, as oe_fine_probs ... oe_fine_logits."""

    def __init__(self, members, oe_members=()):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.oe_members = nn.ModuleList(oe_members)

    @staticmethod
    def _run(members, x, meta):
        fp, cp, es, zs = [], [], [], []
        for m in members:
            zf, zc, e = m(x, meta)
            fp.append(torch.softmax(zf, dim=-1))
            cp.append(torch.softmax(zc, dim=-1))
            es.append(e)
            zs.append(zf)
        fine_probs = torch.stack(fp, dim=1)
        coarse_probs = torch.stack(cp, dim=1)
        embedding = torch.stack(es, dim=1).mean(dim=1)
        fine_logits = torch.stack(zs, dim=1).mean(dim=1)
        return fine_probs, coarse_probs, embedding, fine_logits

    def forward(self, x, meta):
        out = self._run(self.members, x, meta)
        if len(self.oe_members):
            out = out + self._run(self.oe_members, x, meta)
        return out
