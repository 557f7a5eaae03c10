"""Template loading: SNID .lnw (astrodash, SESNtemple), raw-flux SLSN .dat (astrodash),
snid-sage HDF5 banks, superfit host-galaxy templates.

Everything is put on one rest-frame log-lambda grid (SNID grid: 1024 bins, 2500-10000 A) as a
`Bank`: flux [N, 1024], valid index range [lo, hi], kind ('flat' = SNID continuum-removed,
'raw' = continuum kept), label, object id, phase, source.
"""
from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field

import numpy as np

NW = 1024
W0, W1 = 2500.0, 10000.0
DWLOG = np.log(W1 / W0) / NW
# SNID bin centres
LOGWAVE = W0 * np.exp((np.arange(NW) + 0.5) * DWLOG)

FINE = ["Ia", "Ibc", "II", "SLSN", "TDE"]

# SNID type string -> fine class
SNID_TYPE_MAP = {
    "Ia-norm": "Ia", "Ia-91T": "Ia", "Ia-91bg": "Ia", "Ia-02cx": "Ia", "Ia-99aa": "Ia", "Ia-pec": "Ia",
    "Ia-csm": "II",   # Table XIV: Ia-CSM goes with IIn (H-alpha emission)
    "Ib": "Ibc", "Ib-norm": "Ibc", "Ib-pec": "Ibc", "Ibn": "Ibc", "Ic": "Ibc", "Ic-norm": "Ibc",
    "Ic-broad": "Ibc", "Ic-pec": "Ibc", "Icn": "Ibc",
    "IIP": "II", "IIL": "II", "IIb": "II", "IIn": "II", "II-pec": "II",
    "Ic-SL": "SLSN",
}

# snid-sage banks: file type -> (fine class or None, rare label)
SAGE_BANKS = {
    "TDE": ("TDE", None),
    "Ibn": ("Ibc", None),
    "Icn": ("Ibc", None),
    "AGN": (None, "AGN"),
    "KN": (None, "KN"),
    "GAP": (None, "LBV/LRN"),
    "LFBOT": (None, "FBOT"),
    "Star": (None, "Star"),
    "Galaxy": (None, "Galaxy"),
}

# objects excluded from the SLSN raw set (not SLSNe): SN 2002bj is a rapidly declining
# hydrogen-poor transient (Poznanski+2010), not superluminous.
SLSN_EXCLUDE = {"2002bj"}

# one object under two survey names in different banks (after norm_name)
ALIASES = {"asassn-15lh": "2015l"}   # ASASSN-15lh = SN 2015L: SESNtemple SLSN-Ic, snid-sage TDE


def norm_name(name: str) -> str:
    """Normalise an object name so that copies under two names map to one object id."""
    n = os.path.basename(name).lower()
    n = re.sub(r"\.(lnw|dat)$", "", n)
    n = n.replace("_bsnip", "")
    n = re.sub(r"^(at|sn)[-_ ]?(?=\d{4})", "", n)
    if n.startswith("snls"):
        n = n[4:]
    if n.startswith("iptf"):
        n = n[1:]
    m = re.match(r"^sn(\d{2})([a-z]+)$", n)
    if m:
        yy = int(m.group(1))
        n = ("19" if yy >= 50 else "20") + m.group(1) + m.group(2)
    m = re.match(r"^(\d{2})([a-z]{2,3})$", n)  # Williamson short names like 10as, 16coi
    if m:
        n = "20" + n
    return ALIASES.get(n, n)


@dataclass
class Bank:
    flux: list = field(default_factory=list)     # each [NW] float64
    lo: list = field(default_factory=list)
    hi: list = field(default_factory=list)
    kind: list = field(default_factory=list)     # 'flat' | 'raw'
    label: list = field(default_factory=list)    # fine class or rare label
    rare: list = field(default_factory=list)     # bool
    obj: list = field(default_factory=list)
    phase: list = field(default_factory=list)    # float or nan
    source: list = field(default_factory=list)

    def add(self, flux, lo, hi, kind, label, rare, obj, phase, source):
        if hi - lo < 50:
            return
        self.flux.append(np.asarray(flux, dtype=np.float64))
        self.lo.append(int(lo)); self.hi.append(int(hi)); self.kind.append(kind)
        self.label.append(label); self.rare.append(bool(rare)); self.obj.append(obj)
        self.phase.append(float(phase)); self.source.append(source)

    def finalize(self):
        self.flux = np.stack(self.flux)
        for k in ("lo", "hi"):
            setattr(self, k, np.asarray(getattr(self, k)))
        self.rare = np.asarray(self.rare)
        self.phase = np.asarray(self.phase)
        return self

    def __len__(self):
        return len(self.label)


def _valid_range(f):
    nz = np.nonzero(f != 0)[0]
    if len(nz) == 0:
        return 0, 0
    return nz[0], nz[-1]


def read_lnw(path):
    with open(path) as fh:
        lines = fh.read().splitlines()
    head = lines[0].split()
    nepoch, nw = int(head[0]), int(head[1])
    ttype = head[7]
    data = np.array([[float(v) for v in l.split()] for l in lines[-nw:]])
    ages = [float(v) for v in lines[-nw - 1].split()[1:]]
    assert data.shape == (nw, nepoch + 1), (path, data.shape)
    return ttype, ages, data[:, 1:].T


def load_lnw_dir(bank, pattern, rel, source_tag, force_label=None):
    for p in sorted(glob.glob(pattern)):
        ttype, ages, fl = read_lnw(p)
        label = force_label or SNID_TYPE_MAP.get(ttype)
        if label is None:
            continue
        obj = norm_name(p)
        for e in range(fl.shape[0]):
            lo, hi = _valid_range(fl[e])
            bank.add(fl[e], lo, hi, "flat", label, False, obj, ages[e] if e < len(ages) else np.nan,
                     f"{source_tag}:{os.path.relpath(p, rel)}#{e}")


def to_loggrid(w, f):
    """Interpolate a rest-frame (w, f) spectrum onto the SNID log grid; returns flux, lo, hi."""
    ok = np.isfinite(w) & np.isfinite(f)
    w, f = w[ok], f[ok]
    o = np.argsort(w)
    w, f = w[o], f[o]
    out = np.zeros(NW)
    sel = (LOGWAVE >= w[0]) & (LOGWAVE <= w[-1])
    out[sel] = np.interp(LOGWAVE[sel], w, f)
    idx = np.nonzero(sel)[0]
    if len(idx) == 0:
        return out, 0, 0
    return out, idx[0], idx[-1]


def _phase_from_name(fn):
    m = re.search(r"\.([mp])(\d+(?:\.\d+)?)\.dat$", fn)
    if not m:
        return np.nan
    v = float(m.group(2))
    return -v if m.group(1) == "m" else v


def load_slsn_raw(bank, root):
    d = os.path.join(root, "spectra/astrodash/templates/training_set/SLSN")
    for p in sorted(glob.glob(os.path.join(d, "*.dat"))):
        fn = os.path.basename(p)
        obj = norm_name(fn.split(".")[0])
        if obj in SLSN_EXCLUDE:
            continue
        a = np.loadtxt(p)
        f, lo, hi = to_loggrid(a[:, 0], a[:, 1])
        if hi - lo < 50:
            continue
        med = np.median(np.abs(f[lo:hi + 1]))
        if not np.isfinite(med) or med <= 0:
            continue
        bank.add(f / med, lo, hi, "raw", "SLSN", False, obj, _phase_from_name(fn),
                 f"astrodash:templates/training_set/SLSN/{fn}")


def load_sage(bank, root):
    import h5py
    d = os.path.join(root, "spectra/snid-sage/snid_sage/templates")
    for t, (fine, rare) in SAGE_BANKS.items():
        with h5py.File(os.path.join(d, f"templates_{t}.hdf5"), "r") as h:
            wl = h["metadata/standard_wavelength"][:]
            for name in sorted(h["templates"].keys()):
                g = h["templates"][name]
                obj = norm_name(name)
                eps = []
                if "epochs" in g:
                    for en in sorted(g["epochs"].keys(), key=lambda s: int(s.split("_")[-1])):
                        eg = g["epochs"][en]
                        eps.append((eg["flux"][:], float(eg.attrs.get("age", np.nan)), en))
                else:
                    eps.append((g["flux"][:], float(g.attrs.get("age", np.nan)), "epoch_0"))
                for fl, age, en in eps:
                    fl = np.asarray(fl, dtype=np.float64)
                    if not np.allclose(wl, LOGWAVE, rtol=1e-3):
                        fl, _, _ = to_loggrid(wl, fl)
                    lo, hi = _valid_range(fl)
                    bank.add(fl, lo, hi, "flat", fine or rare, fine is None, obj, age,
                             f"snid-sage:templates_{t}.hdf5/{name}/{en}")


def load_galaxies(root):
    """Host galaxy templates (rest frame) on the log grid, normalised to median 1."""
    d = os.path.join(root, "spectra/astrodash/templates/superfit_templates/gal")
    out = []
    for n in ["E", "S0", "Sa", "Sb", "Sc", "SB1", "SB2", "SB3", "SB4", "SB5", "SB6"]:
        a = np.loadtxt(os.path.join(d, n))
        f, lo, hi = to_loggrid(a[:, 0], a[:, 1])
        f = np.clip(f, 0, None)
        # extend edges with nearest value so every rest wavelength has host light
        f[:lo] = f[lo]
        f[hi + 1:] = f[hi]
        out.append(f / np.median(f[lo:hi + 1]))
    return np.stack(out)


def load_all(root):
    b = Bank()
    load_lnw_dir(b, os.path.join(root, "spectra/astrodash/templates/training_set/*.lnw"), root, "astrodash")
    load_lnw_dir(b, os.path.join(root, "spectra/SESNtemple/SNIDtemplates/templates_new/SLSNIc_SNIDtemplates/*.lnw"),
                 root, "SESNtemple", force_label="SLSN")
    load_lnw_dir(b, os.path.join(root, "spectra/SESNtemple/SNIDtemplates/templates_williamson/*.lnw"), root, "SESNtemple")
    load_lnw_dir(b, os.path.join(root, "spectra/SESNtemple/SNIDtemplates/templates_youngIb/templates_yesmin/*.lnw"),
                 root, "SESNtemple")
    load_slsn_raw(b, root)
    load_sage(b, root)
    b.finalize()
    # an object must carry one label: an object filed under two classes (ASASSN-15lh: SLSN-I in one bank, TDE in
    # another, and debated in the literature) is dropped, as IRIS drops multi-label objects (paper Sec. III)
    from collections import defaultdict
    labs = defaultdict(set)
    for o, l in zip(b.obj, b.label):
        labs[o].add(l)
    keep = np.array([len(labs[o]) == 1 for o in b.obj])
    if not keep.all():
        b = subset(b, keep)
    return b


def subset(b, mask):
    idx = np.nonzero(mask)[0]
    nb = Bank()
    nb.flux = b.flux[idx]
    nb.lo, nb.hi, nb.rare, nb.phase = b.lo[idx], b.hi[idx], b.rare[idx], b.phase[idx]
    for k in ("kind", "label", "obj", "source"):
        setattr(nb, k, [getattr(b, k)[i] for i in idx])
    return nb
