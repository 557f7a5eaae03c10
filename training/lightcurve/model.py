"""Small light-curve CNN (v0.1): per-bin conv stem over the 24 channels, 3 dilated residual blocks,
FiLM from metadata, mask-aware attention pooling, embedding 32, coarse head and a fine head reading the
stop-gradient coarse softmax (as the spectrum model). Ensemble = the spectrum pipeline's Ensemble."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..model import FiLM, Ensemble  # noqa: F401  (reused)
from .simulate import COARSE, FINE


class LCNet(nn.Module):
    def __init__(self, n_fine=len(FINE), n_coarse=len(COARSE), in_ch=24, ch=48, emb=32, cdim=16, heads=4):
        super().__init__()
        self.stem = nn.Conv1d(in_ch, ch, 5, padding=2)
        self.meta = nn.Sequential(nn.Linear(4, cdim), nn.GELU(), nn.Linear(cdim, cdim), nn.GELU())
        self.film = FiLM(cdim, ch)
        self.blocks = nn.ModuleList([nn.Conv1d(ch, ch, 5, padding=2 * d, dilation=d) for d in (1, 2, 4, 8)])
        self.norms = nn.ModuleList([nn.GroupNorm(4, ch) for _ in range(4)])
        self.heads = heads
        self.att = nn.Conv1d(ch, heads, 1)
        self.proj = nn.Linear(ch + cdim, emb)
        self.ln = nn.LayerNorm(emb)
        self.coarse = nn.Sequential(nn.Linear(emb, 48), nn.GELU(), nn.Dropout(0.2), nn.Linear(48, n_coarse))
        self.fine = nn.Sequential(nn.Linear(emb + n_coarse, 64), nn.GELU(), nn.Dropout(0.2), nn.Linear(64, n_fine))

    def forward(self, x, meta):
        m = torch.stack([meta[:, 0] / 3.0, torch.tanh(3.0 * meta[:, 1]), meta[:, 2], torch.tanh(meta[:, 3])], 1)
        c = self.meta(m)
        obs = x[:, 2::4, :].sum(1, keepdim=True) + (x[:, 3::4, :] > 0).float().sum(1, keepdim=True)  # [B,1,L]
        h = F.gelu(self.stem(x))
        h = self.film(h, c)
        for conv, nrm in zip(self.blocks, self.norms):
            h = F.gelu(h + nrm(conv(h)))
        B, C, T = h.shape
        valid = (obs > 0).float()
        a = self.att(h) + (valid - 1.0) * 30.0
        a = torch.softmax(a, dim=-1)
        v = (h.reshape(B, self.heads, C // self.heads, T) * a.unsqueeze(2)).sum(-1).reshape(B, C)
        e = self.ln(self.proj(torch.cat([v, c], 1)))
        zc = self.coarse(e)
        pc = torch.softmax(zc, dim=-1).detach()
        zf = self.fine(torch.cat([e, pc], 1))
        return zf, zc, e
