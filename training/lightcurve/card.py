"""card.json for lightcurve-astranet (mirrors artifacts/spectrum-astranet/0.1.0/card.json)."""
from __future__ import annotations

import json
import os
import platform

import numpy as np

from ..card import sha256
from ..sentinel import SCORES
from .preprocess import card_block
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from .simulate import COARSE, FINE, FINE_TO_COARSE, RARE

ELASTICC = {"Ia": 2222, "Ibc": 2223, "II": 2224, "SLSN": 2242, "TDE": 2243, "AGN": 2332, "Periodic": 2320}
ELASTICC_RARE = {"KN": 2232, "Mdwarf-flare": 2233}
ELASTICC_COARSE = {"SN-Thermonuclear": 2220, "SN-CC": 2220, "Non-SN-transient": 2240, "Recurrent": 2300}
TDTAX = {"Ia": "Ia", "Ibc": "Ib/c", "II": "Type II", "SLSN": "Ic-SLSN", "TDE": "Tidal Disruption Event",
         "AGN": "AGN", "Periodic": "RR Lyrae"}
TDTAX_COARSE = {"SN-Thermonuclear": "Type I", "SN-CC": "Supernova", "Non-SN-transient": "Galactic Nuclei",
                "Recurrent": "Variable"}


def stage_card():
    import torch
    from .build import (DATA_SEED, EPOCHS, MEMBER_SEEDS, NAME, OUTDIR, RARE_SIZES, SIZES, VERSION, WORK,
                        load_data, log)
    with open(os.path.join(WORK, "metrics.json")) as fh:
        metrics = json.load(fh)
    el = {}
    q = os.path.join(WORK, "elasticc_eval.json")
    if os.path.exists(q):
        with open(q) as fh:
            el = json.load(fh)
    real = {}
    p = os.path.join(WORK, "real_eval.json")
    if os.path.exists(p):
        with open(p) as fh:
            real = json.load(fh)
    hist = {str(s): torch.load(os.path.join(WORK, f"member_{s}.pt"))["hist"] for s in MEMBER_SEEDS}
    times = {}
    for st in ["data", "train", "export", "sentinel", "calibrate", "elasticc", "golden", "real"]:
        q = os.path.join(WORK, f"stage_{st}.time")
        if os.path.exists(q):
            times[st] = round(float(open(q).read()), 1)
    D = load_data()
    info = dict(D.get("elasticc", {}))
    files = {f: sha256(os.path.join(OUTDIR, f)) for f in ["classifier.onnx", "sentinel.onnx", "calibration.json"]}
    sizes = {f: os.path.getsize(os.path.join(OUTDIR, f)) for f in files}
    pre = card_block()
    card = {
        "name": NAME, "version": VERSION, "modality": "lightcurve",
        "description": ("ASTRANet-style hierarchical deep ensemble for multi-band optical light curves (ZTF g/r/i, "
                        "LSST ugrizy) on a 2-day grid anchored at the first detection, usable on partial light "
                        "curves (early alerts), with the Sentinel anomaly layer and conformal calibration. v0.1: "
                        "trained on SIMULATED light curves (parametric models) plus the SN Ib objects of the ELAsTiCC2 "
                        "training excerpt (SNANA simulations of LSST); ELAsTiCC kilonovae / M-dwarf flares are Sentinel "
                        "outlier exposure (fold A) and evaluation (fold B); not trained on real survey light curves "
                        "(see training.data)."),
        "classes": {
            "fine": FINE, "coarse": COARSE,
            "fineToCoarse": {c: COARSE[FINE_TO_COARSE[k]] for k, c in enumerate(FINE)},
            "elasticc": ELASTICC, "elasticcCoarse": ELASTICC_COARSE, "elasticcRare": ELASTICC_RARE,
            "tdtax": TDTAX, "tdtaxCoarse": TDTAX_COARSE,
            "rare": RARE,
            "notes": ("ELAsTiCC ids from schemas/elasticc taxonomy: 2222 SNIa, 2223 SNIb/c, 2224 SNII, 2242 SLSN, "
                      "2243 TDE, 2332 AGN, 2320 periodic (RR Lyrae-like; 2323 RR Lyrae is the closest leaf), rare "
                      "out-of-taxonomy classes KN 2232 and M-dwarf flare 2233 (used only for Sentinel outlier "
                      "exposure/evaluation, never predicted). Coarse: SN-Thermonuclear and SN-CC under 2220 SN-like, "
                      "Non-SN-transient 2240 Fast/Long (TDE's parent is Long 2240 in ELAsTiCC), Recurrent 2300 "
                      "(AGN is 2330 Stochastic, periodic 2320 Periodic, both under Recurring 2300). tdtax names from "
                      "profjsb/timedomain-taxonomy; verify against the service's SkyPortal taxonomy before pushing."),
        },
        "input": {
            "tensors": {"x": {"dtype": "float32", "shape": ["batch", 24, pre["length"]]},
                        "meta": {"dtype": "float32", "shape": ["batch", 4]}},
            "outputs": {"fine_probs": ["batch", len(MEMBER_SEEDS), len(FINE)],
                        "coarse_probs": ["batch", len(MEMBER_SEEDS), len(COARSE)],
                        "embedding": ["batch", 32], "fine_logits": ["batch", len(FINE)]},
            "preprocessing": pre,
        },
        "ensemble": {"members": len(MEMBER_SEEDS), "seeds": MEMBER_SEEDS, "combination": "flat mean over members",
                     "architecture": "conv stem (24->48, k=5) + FiLM(meta) + 4 dilated residual convs (d=1,2,4,8) + "
                                     "4-head attention pooling over observed bins, embedding 32, coarse head, fine "
                                     "head on [embedding, stop-grad coarse softmax]"},
        "sentinel": {
            "scores": [s for s, _ in SCORES], "families": {s: f for s, f in SCORES},
            "normalisation": "rank against 1024 in-distribution validation light curves: #{ref <= s} / 1024",
            "combiner": "XGBoost binary:logistic (200 trees, depth 3) on the 16 ranks, ID validation (simulated "
                        "val_comb + ELAsTiCC SN Ib val objects) vs rare fold A (simulated KN + M-dwarf flares and "
                        "ELAsTiCC KN / M-dwarf fold-A objects, outlier exposure; fold-B objects are disjoint and "
                        "evaluation only); ai.onnx.ml TreeEnsembleRegressor + Sigmoid",
            "notes": "same code as spectrum-astranet (training/sentinel.py)",
        },
        "training": {
            "data": [{"source": "simulated (training/lightcurve/simulate.py)",
                      "models": "Bazin+2009 rise/decline per band; peak magnitudes Richardson+2014 (SNe), Gal-Yam 2019 / "
                                "Nicholl+2017 (SLSN), van Velzen+2021 (TDE), Kasen+2017 (KN); AGN damped random walk "
                                "Kelly+2009 / MacLeod+2010; RR Lyrae-like sawtooth; M-dwarf flares Davenport 2014-like; "
                                "flat LCDM (H0=70, Om=0.3) distance modulus, (1+z) time dilation, host A_V~Exp(0.3) "
                                "with Cardelli+1989 band ratios",
                      "surveys": "ZTF g/r(/i) cadence U(1.5,3.5) d, 15% weather loss, 5-sigma depth 20.5+-0.35; LSST "
                                 "ugrizy irregular cadence (exp(3 d)+0.5 d, 25% gaps), depths u23.6 g24.6 r24.2 i23.7 "
                                 "z23.0 y22.2 +-0.3 (Ivezic+2019); detections >= 5 sigma (|flux| for AGN/periodic), "
                                 "non-detections as forced photometry (p=0.5 per light curve) or upper limits",
                      "windowing": "75% of light curves cut at t_first_detection + 150 d * U^2 (early alerts), 25% full",
                      "hostRedshift": "given with p=0.5 for extragalactic classes, never for stars"},
                     {"source": "ELAsTiCC2 training-set excerpt (LSST DESC, github.com/LSSTDESC/tom_desc commit "
                                "cbe78631, tests/elasticc2_alert_test_data.tar.bz2): SNANA FITS, simulated LSST WFD "
                                "ugrizY light curves with truth labels",
                      "path": info.get("path"), "sha256": info.get("sha256"), "licence": info.get("licence"),
                      "objects": info.get("objects"), "splits": info.get("splits"),
                      "medianDetections": info.get("medianDetections"), "medianPoints": info.get("medianPoints"),
                      "reader": "training/lightcurve/snana.py (own FITS BINTABLE reader; PHOTFLAG & 4096 -> detection, "
                                "other epochs -> forced photometry, FLUXCAL (ZP 27.5) * 10^(-3.6/2.5) -> µJy, LSST "
                                "bands -> lsstu..lssty, hostRedshift = REDSHIFT_FINAL (diaObject.z_final) when >= 0)",
                      "use": "SN Ib (ELAsTiCC 2223) object-level split train 55% / val 15% / test 30%: train objects "
                             f"as Ibc ({info.get('trainDraws')} windowed draws, replacing as many simulated Ibc "
                             "training light curves), val objects in the combiner's ID side, test objects reported; "
                             "KN (2232) and M-dwarf flare (2233) objects alternate fold A (combiner outlier exposure) / "
                             "fold B (evaluation only); windows as the simulator (75% cut at t_first + 150 d U^2) for "
                             "training, full / +10 d / +30 d after the first detection for evaluation",
                      "splitSeed": 20261125, "windowSeed": 4242}],
            "notUsed": "real survey light curves (ALeRCE 30 ZTF SNe, SkyPortal) are evaluation only; the ELAsTiCC "
                       "excerpt has no SN Ia, II, SLSN, TDE, AGN or periodic objects, so those classes remain "
                       "simulation-only",
            "seeds": {"data": DATA_SEED, "members": MEMBER_SEEDS},
            "setSizesPerClass": {**SIZES, **RARE_SIZES},
            "setSizes": {k: len(v[0]) for k, v in D["sets"].items()},
            "augmentation": "random bin dropout 15%, whole-band dropout 10% per batch",
            "epochs": EPOCHS, "memberHistory": hist, "wallTimeSeconds": times,
            "machine": f"{platform.machine()} {os.cpu_count()} CPU cores (2 torch threads), {platform.platform()}",
            "software": {"torch": torch.__version__, "numpy": np.__version__},
        },
        "metrics": {**metrics, "elasticc": el, "real": real},
        "files": files, "fileSizes": sizes,
    }
    with open(os.path.join(OUTDIR, "card.json"), "w") as fh:
        json.dump(card, fh, indent=1)
    log(f"card: written; files {sizes}")
    from .report import write_section
    write_section(os.path.join(OUTDIR, "card.json"), os.path.join(REPO_ROOT, "training", "REPORT.md"))
