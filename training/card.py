"""card.json: everything the service needs to know about the artifact, plus training record and metrics."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
from collections import Counter

import numpy as np

from .calibrate import COARSE
from .data import FINE
from .export_onnx import CHECKPOINTS
from .model import FINE_TO_COARSE
from .preprocess import card_block
from .sentinel import SCORES
from .train import OE_LR, OE_STEPS, W_EMB, W_OE

ELASTICC = {"Ia": 2222, "Ibc": 2223, "II": 2224, "SLSN": 2242, "TDE": 2243}
ELASTICC_COARSE = {"SN-Thermonuclear": 2220, "SN-CC": 2220, "Non-SN": 2200}
TDTAX = {"Ia": "Ia", "Ibc": "Ib/c", "II": "Type II", "SLSN": "Ic-SLSN", "TDE": "Tidal Disruption Event"}
# out-of-taxonomy ("rare") classes: outlier exposure (fold A) and Sentinel evaluation (fold B), never predicted
RARE_ELASTICC = {"AGN": 2332, "KN": 2232, "LBV/LRN": 2244, "FBOT": 2231, "Star": 1100, "Galaxy": 1100}
RARE_TDTAX = {"AGN": "AGN", "KN": None, "LBV/LRN": "S Doradus", "FBOT": "FBOT", "Star": None, "Galaxy": "galaxy"}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stage_card(root, work, outdir, log):
    from .build import EPOCHS, MEMBER_SEEDS, NAME, SPLIT_SEED, DATA_SEED, VERSION
    with open(os.path.join(work, "data.pkl"), "rb") as fh:
        D = pickle.load(fh)
    with open(os.path.join(work, "metrics.json")) as fh:
        metrics = json.load(fh)
    if os.path.exists(os.path.join(work, "real.json")):
        with open(os.path.join(work, "real.json")) as fh:
            metrics["real_spectra"] = json.load(fh)
    ort = {}
    if os.path.exists(os.path.join(work, "ort_check.json")):
        with open(os.path.join(work, "ort_check.json")) as fh:
            ort = json.load(fh)
    import torch
    prev = {}
    if os.path.exists(os.path.join(outdir, "card.json")):
        with open(os.path.join(outdir, "card.json")) as fh:
            prev = json.load(fh).get("training", {})
    if all(os.path.exists(os.path.join(work, f"member_{s}{k}.pt")) for s in MEMBER_SEEDS for k in ("", "_oe")):
        hist = {str(s): {"training": torch.load(os.path.join(work, f"member_{s}.pt"))["hist"],
                         "outlierExposure": torch.load(os.path.join(work, f"member_{s}_oe.pt"))["hist"]}
                for s in MEMBER_SEEDS}
    else:  # recalibration-only rebuild: the members (and their history) are those of the previous card
        hist = prev.get("memberHistory", {})
    times = dict(prev.get("wallTimeSeconds", {}))
    for st in ["data", "train", "oe", "export", "sentinel", "infer", "baseline", "calibrate", "golden"]:
        p = os.path.join(work, f"stage_{st}.time")
        if os.path.exists(p):
            times[st] = round(float(open(p).read()), 1)
    if os.path.exists(os.path.join(work, "baseline.pkl")):  # the stage is cached: report the time it took to compute
        with open(os.path.join(work, "baseline.pkl"), "rb") as fh:
            sec = pickle.load(fh).get("seconds")
        if sec:
            times["baseline"] = sec
    from .data import load_all
    bank = load_all(root)
    split = D["split"]
    per_split = {}
    for sname in ["train", "val", "cal", "test", "rareA", "rareB"]:
        objs = Counter(l for o, l in set(zip(bank.obj, bank.label)) if split[o] == sname)
        specs = Counter(l for o, l in zip(bank.obj, bank.label) if split[o] == sname)
        per_split[sname] = {"objects": dict(sorted(objs.items())), "spectra": dict(sorted(specs.items()))}
    sets = {k: len(v[0]) for k, v in D["sets"].items()}
    n_members = len(CHECKPOINTS) * len(MEMBER_SEEDS)   # best + SWA per seed
    files = {f: sha256(os.path.join(outdir, f)) for f in ["classifier.onnx", "sentinel.onnx", "calibration.json"]}
    sizes = {f: os.path.getsize(os.path.join(outdir, f)) for f in files}
    pre = card_block()
    card = {
        "name": NAME,
        "version": VERSION,
        "modality": "spectrum",
        "description": ("ASTRANet-style hierarchical deep ensemble for optical transient spectra (observer frame "
                        "3850-9000 A, continuum kept, redshift optional), with the Sentinel anomaly layer and "
                        "conformal calibration. Trained with the paper's recipe (Appendix B) and outlier-exposure "
                        "fine-tuning (Sec. IV D) on public SNID/astrodash/SESNtemple/snid-sage templates rendered "
                        "into SEDM-like and R~300-1000 observer-frame spectra; not trained on real ZTF/SEDM "
                        "spectra."),
        "classes": {
            "fine": FINE,
            "coarse": COARSE,
            "fineToCoarse": {c: COARSE[FINE_TO_COARSE[k]] for k, c in enumerate(FINE)},
            "elasticc": ELASTICC,
            "elasticcCoarse": ELASTICC_COARSE,
            "tdtax": TDTAX,
            "rare": {"elasticc": RARE_ELASTICC, "tdtax": RARE_TDTAX,
                     "notes": ("not predicted: used for outlier exposure and Sentinel evaluation. ELAsTiCC 2332 AGN, "
                               "2232 KN, 2244 ILOT (LBV eruptions, luminous red novae), 2231 Fast/Other (FBOT; no "
                               "FBOT node), 1100 Static/Other (stars and galaxies: not transients). tdtax: 'AGN' "
                               "(nonstellar), 'S Doradus' (LBV; LRN has no node), 'FBOT' (supernovae.yaml), "
                               "'galaxy' (phenomenological 'bogus'); no tdtax node for kilonovae or static "
                               "stars (null).")},
            "notes": ("ELAsTiCC ids from schemas/elasticc/taxonomy (2222 Ia, 2223 Ib/c, 2224 II, 2242 SLSN, "
                      "2243 TDE); coarse SN-Thermonuclear and SN-CC both sit under 2220 SN-like, Non-SN under "
                      "2200 Non-Recurring (uncertain: no exact ELAsTiCC node). tdtax names from "
                      "profjsb/timedomain-taxonomy supernovae.yaml / nonstellar: 'Ia' and 'Ib/c' under "
                      "'Type I', 'Type II', SLSN -> 'Ic-SLSN' (tdtax has no hydrogen-poor/rich-neutral SLSN "
                      "node; our SLSN class is almost all SLSN-I, so this is the closest), TDE -> 'Tidal "
                      "Disruption Event' (under Galactic Nuclei). Ia-CSM is put in II (Table XIV)."),
        },
        "input": {
            "tensors": {"x": {"dtype": "float32", "shape": ["batch", 3, pre["length"]]},
                        "meta": {"dtype": "float32", "shape": ["batch", 4]}},
            "outputs": {f"{p}{k}": shape for p in ("", "oe_") for k, shape in (
                ("fine_probs", ["batch", n_members, len(FINE)]), ("coarse_probs", ["batch", n_members, len(COARSE)]),
                ("embedding", ["batch", 64]), ("fine_logits", ["batch", len(FINE)]))},
            "preprocessing": pre,
        },
        "ensemble": {"members": n_members, "seeds": MEMBER_SEEDS,
                     "checkpoints": ("per seed: best-validation EMA weights and SWA of the EMA weights of the last "
                                     "third of the epochs (fine_probs ... fine_logits: classification and "
                                     "confidence); the same checkpoints after outlier-exposure fine-tuning "
                                     "(oe_fine_probs ... oe_fine_logits: read only by the Sentinel)"),
                     "combination": ("within-seed mean, then mean over seeds (paper Sec. IV B); with the same "
                                     "number of checkpoints per seed this equals the flat mean over members, which "
                                     "is what the graph computes"),
                     "architecture": "multi-scale stem (k=7,31,151) + 4 dilated residual blocks (d=1,2,4,8) + "
                                     "FiLM(meta) x2 + 4-head attention pooling, embedding 64, coarse head, "
                                     "fine head on [embedding, stop-grad coarse softmax]"},
        "sentinel": {
            "scores": [s for s, _ in SCORES],
            "families": {s: f for s, f in SCORES},
            "normalisation": "rank against 1024 in-distribution validation spectra: #{ref <= s} / 1024",
            "inputs": "oe_fine_probs, oe_coarse_probs, oe_embedding, oe_fine_logits (outlier-exposure members)",
            "combiner": "XGBoost binary:logistic (200 trees, depth 3) on the 16 ranks, ID validation vs rare "
                        "fold A (outlier exposure); ai.onnx.ml TreeEnsembleRegressor (SUM, BRANCH_LT) + Sigmoid",
            "notes": ("cosine uses class centroids in the embedding space: the contrastive projection heads shape the "
                      "embedding during training but are not in the exported graph"),
        },
        "training": {
            "data": [
                {"source": "astrodash templates/training_set (SNID .lnw) + SLSN raw-flux + superfit gal",
                 "repo": "https://github.com/daniel-muthukrishna/astrodash", "licence": "MIT",
                 "cite": "Muthukrishna+2019; SNID Blondin & Tonry 2007; BSNIP Silverman+2012; Liu & Modjaz 2016"},
                {"source": "SESNtemple SLSN-I, Williamson, young Ib templates", "repo": "https://github.com/metal-sn/SESNtemple",
                 "licence": "MIT", "cite": "Liu & Modjaz 2016; Modjaz+2016; Liu, Modjaz & Bianco 2017; Williamson+2019/2023"},
                {"source": "snid-sage HDF5 banks (TDE, Ibn, Icn; rare: AGN, KN, LBV/LRN, FBOT, stars, galaxies)",
                 "repo": "https://github.com/Amararyan/SNID-SAGE", "licence": "MIT"},
            ],
            "dataRoot": "../shared/data (CLI --data or $CANDELA_DATA)",
            "splits": {"method": "by normalised object name, stratified by class, seeded hash order",
                       "fractions": {"train": 0.60, "val": 0.13, "cal": 0.14, "test": 0.13},
                       "rare": "rare objects alternate between rareA (outlier exposure of the encoder and of the "
                               "Sentinel combiner) and rareB (evaluation only)",
                       "excluded": "objects filed under two classes (ASASSN-15lh = SN 2015L: SLSN-I and TDE)",
                       "calibration": ("calibration.json is built from cal_obj: 16 augmented renders of every "
                                       "calibration object (object-balanced); cal (one render per spectrum) is "
                                       "kept for comparison only"),
                       "evaluation": ("test: one render per test spectrum (spectrum-weighted), also reported "
                                      "object-weighted; test_obj: 16 renders per test object"),
                       "perSplit": per_split, "augmentedSetSizes": sets},
            "augmentation": "continuum rebuilt for SNID-flattened templates (black body T~logU(4000,25000) K x "
                            "smooth warp), host galaxy light fraction U(0,0.5) with p=0.5, resolution R~U(80,130) "
                            "(SEDM-like, 250-420 px) or R~U(300,1000) (600-2000 px), z~U(0,0.5), flux scale "
                            "1e-17..1e-15, noise SNR logU(5,50) (noisier edges), masked chunks p=0.3, redshift "
                            "given p=0.5 and phase p=0.3 (+30% extra masking per batch)",
            "seeds": {"split": SPLIT_SEED, "data": DATA_SEED, "members": MEMBER_SEEDS},
            "epochs": EPOCHS,
            "recipe": ("paper Appendix B: focal (gamma 2, TDE 3) + coarse CE + SupCon fine/coarse + confusion penalty "
                       "- attention entropy (Table XI weights), class-balanced pool, MixUp, EMA 0.996, AdamW, 1-epoch "
                       "warm-up + cosine; checkpoints best-validation EMA and SWA of the last third"),
            "outlierExposure": {"steps": OE_STEPS, "lr": OE_LR, "lambdaOE": W_OE, "lambdaEmb": W_EMB,
                                "exposure": "rare fold A renders (rareA); fold B never seen",
                                "objective": "training loss on ID batches + lambdaOE * CE(uniform, softmax) + "
                                             "lambdaEmb * mean_k relu(1 - ||e - mu_k|| / R_k) on exposure batches",
                                "feeds": "the Sentinel only (oe_* outputs of classifier.onnx)"},
            "memberHistory": hist,
            "wallTimeSeconds": times,
            "machine": f"{platform.machine()} {os.cpu_count()} CPU cores (2 torch threads), {platform.platform()}",
            "software": {"torch": torch.__version__, "numpy": np.__version__},
        },
        "metrics": {**metrics, "onnxruntime": ort},
        "files": files,
        "fileSizes": sizes,
    }
    with open(os.path.join(outdir, "card.json"), "w") as fh:
        json.dump(card, fh, indent=1)
    log(f"card: written; files {sizes}")
    from .report import write_report
    write_report(os.path.join(outdir, "card.json"), os.environ.get("CANDELA_REPORT")
                 or os.path.join(os.path.dirname(os.path.abspath(__file__)), "REPORT.md"))
