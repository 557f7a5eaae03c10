"""training/REPORT.md from the card (numbers only come from the build).

The file also holds the light-curve model's section, written by training/lightcurve/: everything between
`<!-- lightcurve-astranet:begin -->` and `<!-- lightcurve-astranet:end -->` is re-read at write time and kept
verbatim (appended after the spectrum part)."""
from __future__ import annotations

import json
import os
import re

LC_BEGIN = "<!-- lightcurve-astranet:begin -->"
LC_END = "<!-- lightcurve-astranet:end -->"

# ASTRANet paper (shared/reference/astranet-paper.md); their data: 3,396 ZTF test spectra, 7 classes, 289 rare.
PAPER = {
    "accuracy": 0.87, "macro_recall": 0.83,
    "per_class_recall": {"Ia": 0.93, "Ibc": 0.78, "II": 0.80, "SLSN": 0.88, "TDE": 0.77, "AGN": 0.78, "CV": 0.87},
    "rare_auroc": 0.947, "rare_auroc_note": "LightGBM, 5-fold leakage-free CV (0.996 with OOF scores)",
    "rare_recall_1pct": 0.343, "rare_recall_1pct_oe": 0.824,
    "table_iv": {"0.01": (0.987, 0.986, 0.298), "0.025": (0.972, 0.966, 0.381), "0.05": (0.949, 0.940, 0.896),
                 "0.1": (0.888, 0.886, 0.997)},
    "table_ix_mondrian": [1.000, 1.000, 0.989, 0.947, 0.824], "table_ix_mondrian_std": 0.066,
    "table_ix_admcp": [0.9512, 0.9519, 0.9514, 0.9521, 0.9534], "table_ix_admcp_std": 0.0008,
    "table_i": {"uncertainty": (0.7184, 0.076), "hybrid": (0.7957, 0.090), "density": (0.8809, 0.277),
                "distance": (0.8823, 0.298)},
    "table_viii": {1.0: 0.866, 0.95: 0.890, 0.9: 0.912, 0.8: 0.946, 0.7: 0.972},
    "table_viii_adlow": {0.95: 0.669, 0.9: 0.720, 0.8: 0.807, 0.7: 0.849},
}


def _f(v, d=3):
    return "n/a" if v is None else f"{v:.{d}f}"


def _pct(v):
    return "n/a" if v is None else f"{100 * v:.1f}%"


def existing_lightcurve_section(out_path):
    """The light-curve section of the current file, verbatim (None when absent or unterminated)."""
    if not os.path.exists(out_path):
        return None
    with open(out_path, encoding="utf-8") as fh:
        txt = fh.read()
    m = re.search(re.escape(LC_BEGIN) + r".*?" + re.escape(LC_END), txt, flags=re.S)
    return m.group(0) if m else None


HERE = os.path.dirname(os.path.abspath(__file__))
PREVIOUS = os.path.join(HERE, "spectrum_previous.json")   # numbers of the previous shipped version (after a ship)
ATTEMPTS = os.path.join(HERE, "spectrum_attempts.json")   # retrains that did not pass the ship rule
COV_KEYS = ("lac_coverage", "marginal_ad_coverage", "mondrian_coverage", "admcp_coverage")


def card_summary(c):
    """The numbers of one card that the version / attempt comparison tables show (schema of spectrum_previous.json
    and of each attempt in spectrum_attempts.json)."""
    m = c["metrics"]
    conf = m["conformal"]
    validation = m.get("validation")
    kf = m.get("kfold_outlier_exposure") or {}
    cv = m.get("cv_procedure") or {}
    return {
        "name": c["name"], "version": c["version"], "recipe": c["training"].get("recipe"),
        "members": c["ensemble"]["members"], "files": c["files"],
        "validation": validation and {k: validation[k] for k in ("accuracy", "macro_recall", "per_class_recall",
                                                                 "coarse_accuracy", "size") if k in validation},
        "test": {k: m[k] for k in ("accuracy", "macro_recall", "per_class_recall", "coarse_accuracy")},
        "test_objw": {k: m["test_objw"][k] for k in ("accuracy", "macro_recall", "per_class_recall")},
        "test_obj": {k: m["test_obj"][k] for k in ("accuracy", "macro_recall", "per_class_recall")},
        "coverage": {v: {a: {k: conf[v][a][k] for k in COV_KEYS} for a in ("0.05", "0.1")} for v in ("test", "test_obj")},
        "quintile_std_0.05": {v: {k: conf[v]["0.05"]["per_quintile"][k]["std"] for k in ("mondrian_ad", "admcp")}
                              for v in ("test", "test_obj")},
        "cv_quintile_std_0.05": {k: cv["0.05"][f"per_quintile_{k}"]["std_across_quintiles"]
                                 for k in ("mondrian_ad", "admcp")} if cv else None,
        "rare_auroc": m["rare_auroc_ad_score"], "rare_recall_at_1pct_far": m["rare_recall_at_1pct_far"],
        "kfold_auroc": kf.get("auroc_vs_test"), "kfold_recall_per_object": kf.get("recall_at_1pct_far_per_object"),
        "selective_accuracy_commit": m.get("selective_accuracy_commit"),
        "throughput": (m.get("onnxruntime") or {}).get("throughput"),
        "wallTimeSeconds": c["training"].get("wallTimeSeconds", {}),
        "machine": c["training"].get("machine"),
    }


def _compare(A, fine, cols):
    """Table of the summaries `cols` [(label, summary)], one column each."""
    A("| | " + " | ".join(l for l, _ in cols) + " |")
    A("|---|" + "---|" * len(cols))
    S = [s for _, s in cols]

    def row(name, fn):
        vals = []
        for s in S:
            try:
                vals.append(fn(s))
            except (KeyError, TypeError):
                vals.append("n/a")
        A(f"| {name} | " + " | ".join(vals) + " |")
    row("**validation macro recall**", lambda s: f"{s['validation']['macro_recall']:.3f}")
    row("validation accuracy", lambda s: f"{s['validation']['accuracy']:.3f}")
    row("validation recall " + " / ".join(fine),
        lambda s: " / ".join(_f(s["validation"]["per_class_recall"].get(k), 2) for k in fine))
    row("test accuracy", lambda s: f"{s['test']['accuracy']:.3f}")
    row("test macro recall (per spectrum / per object / objects × 16)",
        lambda s: f"{s['test']['macro_recall']:.3f} / {s['test_objw']['macro_recall']:.3f} / {s['test_obj']['macro_recall']:.3f}")
    row("test recall " + " / ".join(fine), lambda s: " / ".join(_f(s["test"]["per_class_recall"].get(k), 2) for k in fine))
    for view in ("test", "test_obj"):
        for a in ("0.05", "0.1"):
            row(f"coverage α={a}, {view}: LAC / marginal / Mondrian / AD-MCP",
                lambda s, view=view, a=a: " / ".join(f"{s['coverage'][view][a][k]:.3f}" for k in COV_KEYS))
    for view in ("test", "test_obj"):
        row(f"per-quintile std α=0.05, {view}: Mondrian / AD-MCP",
            lambda s, view=view: f"{s['quintile_std_0.05'][view]['mondrian_ad']:.3f} / {s['quintile_std_0.05'][view]['admcp']:.3f}")
    row("same, object-level CV mean",
        lambda s: f"{s['cv_quintile_std_0.05']['mondrian_ad']:.3f} / {s['cv_quintile_std_0.05']['admcp']:.4f}")
    row("rare AUROC / recall @ 1% FAR (fold B)", lambda s: f"{s['rare_auroc']:.3f} / {s['rare_recall_at_1pct_far']:.3f}")
    row("k-fold combiner AUROC / recall per object", lambda s: f"{s['kfold_auroc']:.3f} / {s['kfold_recall_per_object']:.3f}")
    row("accuracy on COMMIT", lambda s: _f(s.get("selective_accuracy_commit")))
    row("throughput (spectra/s, batch 32) / single latency (ms)",
        lambda s: f"{s['throughput']['spectra_per_s']:.0f} / {s['throughput']['single_latency_ms']:.1f}")
    row("training wall time (s)", lambda s: str(s["wallTimeSeconds"].get("train", "n/a")))
    A("")


SHIP_RULE = ("Ship rule, decided on the **validation** split (val_comb; the split the best epochs are chosen on, never "
             "test): validation macro recall above the shipped version's, and throughput ≥ 20 spectra/s with "
             "onnxruntime-node on this 2-core CPU. Both ensembles picked their best epochs on this split, so both "
             "validation numbers are optimistic by the same selection; the validation split holds only 4 SLSN and 1 "
             "TDE object, so its macro recall moves by several hundredths with one object. The test columns of "
             "different versions come from different test splits where the note above says so.")


def _previous_version(c, A):
    """'What changed' table against the previous shipped version (training/spectrum_previous.json: a snapshot of
    the previous card's numbers, kept when its artifact directory was removed), with the retrains that were tried
    against that version and not shipped (training/spectrum_attempts.json)."""
    if not os.path.exists(PREVIOUS):
        return
    with open(PREVIOUS) as fh:
        p = json.load(fh)
    if p.get("version") == c["version"]:
        return
    att = []
    if os.path.exists(ATTEMPTS):
        with open(ATTEMPTS) as fh:
            att = [a for a in json.load(fh).get("attempts", []) if a.get("against") == p["version"]]
    A(f"## {p['version']} → {c['version']}\n")
    A(f"{c['version']} is the paper's recipe with outlier exposure: {c['training']['recipe']}; "
      f"{c['training']['epochs']} epochs; {c['ensemble']['members']} members in the graph plus their outlier-exposure "
      f"copies for the Sentinel ({c['ensemble']['checkpoints']}). {p.get('note', '')}\n")
    for a in att:
        A(f"- Tried against {p['version']} and not shipped, **{a['label']}** ({a['date']}): {a['description']} "
          f"{a['outcome']}")
    A(f"\n{SHIP_RULE}\n")
    _compare(A, c["classes"]["fine"], [(p["version"], p)] + [(a["label"], a["summary"]) for a in att]
             + [(f"**{c['version']}**", card_summary(c))])


def _attempts(c, A):
    """Retrains that were evaluated in full but not shipped (training/spectrum_attempts.json)."""
    if not os.path.exists(ATTEMPTS):
        return
    with open(ATTEMPTS) as fh:
        doc = json.load(fh)
    att = [a for a in doc.get("attempts", []) if a.get("against") == c["version"]]
    if not att:
        return
    cur = card_summary(c)
    A("## Attempted retrains (not shipped)\n")
    for a in att:
        A(f"- **{a['label']}** ({a['date']}): {a['description']} {a['outcome']}")
    A(f"\n{SHIP_RULE} Columns: the shipped {c['version']} and each attempt (evaluated by the same stages, export … "
      "card, into a scratch directory; its artifact was not kept).\n")
    _compare(A, c["classes"]["fine"], [(f"**shipped {c['version']}**", cur)] + [(a["label"], a["summary"]) for a in att])
    for a in att:
        if a.get("members"):
            A(f"Members of {a['label']} on validation (macro recall): " + ", ".join(
                f"{k} {v:.3f}" for k, v in a["members"].items()) + ".\n")


def _spectrum_report(c):
    m = c["metrics"]
    fine = c["classes"]["fine"]
    b = m.get("baseline_template_matching")
    conf = m["conformal"]
    L = []
    A = lambda s="": L.append(s)  # noqa: E731
    A(f"# {c['name']} {c['version']} — training and evaluation report\n")
    A("Regenerated by one command: `training/build.sh` (all stages) or, for the evaluation alone on the artifact as "
      "it is, `/usr/bin/python3 -m training.build --stages data,infer,baseline,calibrate,golden,check,card`. Every "
      "number comes from the build (card `metrics`). In-distribution numbers are on the held-out **test** split "
      f"({m['test_objects']} objects never seen in training, validation or calibration), rendered into observer-frame "
      "spectra by the same augmentation as training; rare-class numbers on rare fold B (objects never seen by the "
      "Sentinel: neither by the encoder copies it reads, fine-tuned with outlier exposure on fold A, nor by its combiner). These are *template-derived* spectra, not real SEDM spectra: expect lower numbers on "
      "real data. Classifier and Sentinel outputs are those of the served ONNX graphs (onnxruntime-node).\n")
    A("Files: " + ", ".join(f"`{k}` sha256 `{v[:16]}…`" for k, v in c["files"].items()) + "\n")
    _previous_version(c, A)
    _attempts(c, A)

    # ---------------------------------------------------------------- done-when summary
    A("## Issue 3 acceptance bars\n")
    A("| bar | value | target | met |")
    A("|---|---|---|---|")
    if b:
        A(f"| macro recall vs template matching (test) | {m['macro_recall']:.3f} vs {b['test']['macro_recall']:.3f} | ≥ baseline | "
          f"{'yes' if m['macro_recall'] >= b['test']['macro_recall'] else 'NO'} ({m['macro_recall'] - b['test']['macro_recall']:+.3f}) |")
        A(f"| rare recall @ 1% FAR vs template matching | {m['rare_recall_at_1pct_far']:.3f} vs {b['rare_recall_at_1pct_far']:.3f} | ≥ baseline | "
          f"{'yes' if m['rare_recall_at_1pct_far'] >= b['rare_recall_at_1pct_far'] else 'NO'} "
          f"({m['rare_recall_at_1pct_far'] - b['rare_recall_at_1pct_far']:+.3f}) |")
    for view, vname in (("test", "test split"), ("test_obj", "test objects, 16 renders each")):
        if view not in conf:
            continue
        for a in ("0.05", "0.1"):
            r = conf[view][a]
            for key, name in (("lac_coverage", "LAC set"), ("marginal_ad_coverage", "marginal (s_AD)"),
                              ("mondrian_coverage", "Mondrian (s_AD)")):
                d = r[key] - (1 - float(a))
                A(f"| {name} coverage α={a}, {vname} | {r[key]:.3f} | {1 - float(a):.2f} ± 0.02 | "
                  f"{'yes' if abs(d) <= 0.02 + 1e-9 else 'NO'} ({d:+.3f}) |")
    for view, vname in (("test", "test split"), ("test_obj", "test objects")):
        if view in conf:
            q = conf[view]["0.05"]["per_quintile"]
            A(f"| AD-MCP per-quintile std vs Mondrian, α=0.05, {vname} | {q['admcp']['std']:.3f} vs {q['mondrian_ad']['std']:.3f} | "
              f"lower | {'yes' if q['admcp']['std'] < q['mondrian_ad']['std'] else 'NO'} |")
    cv = m.get("cv_procedure")
    if cv:
        A(f"| same, object-level CV ({cv['repeats']} splits) | {cv['0.05']['per_quintile_admcp']['std_across_quintiles']:.4f} vs "
          f"{cv['0.05']['per_quintile_mondrian_ad']['std_across_quintiles']:.3f} | lower | "
          f"{'yes' if cv['0.05']['per_quintile_admcp']['std_across_quintiles'] < cv['0.05']['per_quintile_mondrian_ad']['std_across_quintiles'] else 'NO'} |")
    A("\nA coverage on one split of ~60 objects moves by the object-level sampling noise shown in the cross-validation "
      "rows below (sd 0.01-0.03): the ±0.02 band is about one such sd, so single-split misses of a few hundredths are "
      "expected; the cross-validated means are the test of the procedure.\n")
    mm = m.get("mondrian_misses_test_obj")
    if mm and cv:
        a = str(mm["alpha"])
        A(f"Where the 16-render view falls short (α = {a}, Mondrian {mm['coverage']:.3f}): per true class "
          + ", ".join(f"{k} {v:.3f}" for k, v in mm["coverage_per_true_class"].items())
          + f"; the rejected renders come from {mm['objects_with_misses']} of the {mm['objects']} test objects, at most "
          + ", ".join(f"{n} of 16 ({o}, {l})" for o, l, n in mm["most_missed"])
          + ". No single object or class explains it: on this draw the test objects' s_AD tail is heavier than the "
          f"calibration objects'. Over 200 random object-level halves the same procedure covers "
          f"{cv[a]['mondrian_coverage']['mean']:.3f} ± {cv[a]['mondrian_coverage']['sd']:.3f} (marginal "
          f"{cv[a]['marginal_ad_coverage']['mean']:.3f} ± {cv[a]['marginal_ad_coverage']['sd']:.3f}), so the shortfall "
          f"is {(1 - float(a) - mm['coverage']) / cv[a]['mondrian_coverage']['sd']:.1f} sd of that split-to-split spread: "
          "consistent with the draw of test objects, not with a procedure that under-covers on average.\n")

    # ---------------------------------------------------------------- classification
    A("## Classification (ensemble mean), with the paper and the template-matching baseline\n")
    A(f"- test spectra: {m['test_size']} from {m['test_objects']} objects "
      f"({', '.join(f'{k} {v}' for k, v in m['test_per_class'].items())})")
    A("")
    hdr = "| | accuracy | macro recall | coarse acc. | " + " | ".join(f"{k} recall" for k in fine) + " |"
    A(hdr)
    A("|---|" + "---|" * (3 + len(fine)))

    def row(name, r):
        A(f"| {name} | {_f(r['accuracy'])} | {_f(r['macro_recall'])} | {_f(r.get('coarse_accuracy'))} | "
          + " | ".join(_f(r['per_class_recall'].get(k)) for k in fine) + " |")
    row("**this model, test (per spectrum)**", m)
    row("this model, test (per object)", m["test_objw"])
    if "test_obj" in m:
        row(f"this model, test objects × 16 renders ({m['test_obj']['size']})", m["test_obj"])
    if b:
        row("template matching, test (per spectrum)", b["test"])
        row("template matching, test (per object)", b["test_objw"])
    A(f"| paper (ZTF, 7 classes, N = 3,396) | {PAPER['accuracy']:.2f} | {PAPER['macro_recall']:.2f} | – | "
      + " | ".join(_f(PAPER["per_class_recall"].get(k), 2) for k in fine) + " |")
    A("\nConfusion matrix, this model (rows = true, columns = predicted):\n")
    A("| true \\ pred | " + " | ".join(fine) + " |")
    A("|---|" + "---|" * len(fine))
    for k, r in enumerate(m["confusion_matrix"]["counts"]):
        A(f"| {fine[k]} | " + " | ".join(str(v) for v in r) + " |")
    if b:
        A("\nConfusion matrix, template matching:\n")
        A("| true \\ pred | " + " | ".join(fine) + " |")
        A("|---|" + "---|" * len(fine))
        for k, r in enumerate(b["test"]["confusion_matrix"]["counts"]):
            A(f"| {fine[k]} | " + " | ".join(str(v) for v in r) + " |")
        A(f"\nTemplate matching (`training/baseline.py`), as a SNID/DASH user would do: the {b['n_templates']} in-taxonomy "
          f"spectra of the {b['n_template_objects']} training-split objects are the template library; each test spectrum is "
          "the model's own preprocessed tensor (same pixels) moved to SNID's log-wavelength grid; both are high-passed "
          "(continuum removed) and tapered; normalised cross-correlation over redshift 0-0.5 (only at the given redshift "
          "when the request has one); the class of the best-correlating template is the answer, and 1 - best correlation "
          "is its anomaly score.")

    # ---------------------------------------------------------------- conformal
    A("\n## Conformal layer (ASTRANet-CP)\n")
    cs = m.get("calibration_set", {})
    A(f"calibration.json: {cs.get('size')} renders of {cs.get('objects')} calibration objects, 16 per object "
      "(object-balanced; see 'Calibration design' below). Coverage = fraction of in-distribution test spectra the "
      "procedure does not reject: true class inside the LAC set; conformal p-value of s_AD ≥ α (marginal: against all "
      "calibration s_AD; Mondrian: against the calibration spectra with the same predicted class); AD-MCP not firing.\n")
    A("### Paper Table IV: coverage at four α\n")
    A("| view | α | target | LAC set cov. | mean set size | empty sets | marginal cov. (s_AD) | Mondrian cov. (s_AD) | AD-MCP cov. | Mondrian det. (rare, p_M < α) |")
    A("|---|---|---|---|---|---|---|---|---|---|")
    for view, vname in (("test", "test (per spectrum)"), ("test_objw", "test (per object)"), ("test_obj", "test objects × 16")):
        if view not in conf:
            continue
        for a, r in conf[view].items():
            det = m["mondrian_detection"].get(a) if view == "test" else None
            A(f"| {vname} | {a} | {1 - float(a):.3f} | {r['lac_coverage']:.3f} | {r['mean_set_size']:.2f} | "
              f"{r['empty_set_rate']:.3f} | {r['marginal_ad_coverage']:.3f} | {r['mondrian_coverage']:.3f} | "
              f"{r['admcp_coverage']:.3f} | {_pct(det) if det is not None else ''} |")
    if cv:
        for a in ("0.01", "0.025", "0.05", "0.1"):
            r = cv[a]
            A(f"| CV, {cv['objects']} cal+test objects, {cv['repeats']} random halves (mean ± sd) | {a} | {1 - float(a):.3f} | "
              f"{r['lac_coverage']['mean']:.3f} ± {r['lac_coverage']['sd']:.3f} | | | "
              f"{r['marginal_ad_coverage']['mean']:.3f} ± {r['marginal_ad_coverage']['sd']:.3f} | "
              f"{r['mondrian_coverage']['mean']:.3f} ± {r['mondrian_coverage']['sd']:.3f} | "
              f"{r['admcp_coverage']['mean']:.3f} ± {r['admcp_coverage']['sd']:.3f} | |")
    for a, (mc, mo, det) in PAPER["table_iv"].items():
        A(f"| paper | {a} | {1 - float(a):.3f} | – | | | {mc:.3f} | {mo:.3f} | – | {_pct(det)} |")
    A("\nPer-class LAC coverage (true class; test, per spectrum):\n")
    A("| α | " + " | ".join(fine) + " |")
    A("|---|" + "---|" * len(fine))
    for a, r in conf["test"].items():
        A(f"| {a} | " + " | ".join(_f(r["lac_per_class"].get(k)) for k in fine) + " |")
    A("\n### Paper Table V: Mondrian per predicted class, α = 0.025 (test, per spectrum)\n")
    A("| predicted class | n_cal | n_test | coverage |")
    A("|---|---|---|---|")
    for k, r in conf["test"]["0.025"]["mondrian_per_pred_class"].items():
        A(f"| {k} | {r['n_cal']} | {r['n']} | {_f(r['coverage'])} |")
    A("\nPaper (α = 0.025): Ia 0.969 (n_cal 850), Ibc 0.971 (253), II 0.960 (414), SLSN 0.957 (32), TDE 0.787 (42), "
      "AGN 1.000 (18), CV 0.917 (60).")
    A("\n### Paper Table IX: coverage per AD-score quintile\n")
    A("Quintile edges from the calibration s_AD. *Mondrian (s_AD)*: p_M ≥ α, the paper's 'marginal Mondrian'; "
      "*class threshold*: 1 - p̄(ŷ) ≤ τ_c (AD-MCP's per-class fallback, i.e. the same score without AD strata); "
      "*AD-MCP*: 1 - p̄(ŷ) ≤ τ_{c,q} (paper eq. 6, cells below 10 fall back to τ_c).\n")
    A("| view | α | method | Q1 | Q2 | Q3 | Q4 | Q5 | std across quintiles |")
    A("|---|---|---|---|---|---|---|---|---|")
    for view, vname in (("test", "test (per spectrum)"), ("test_obj", "test objects × 16")):
        if view not in conf:
            continue
        for a in ("0.05", "0.1"):
            q = conf[view][a]["per_quintile"]
            A(f"| {vname} | {a} | (n) | " + " | ".join(str(n) for n in q["n"]) + " | |")
            for key, name in (("mondrian_ad", "Mondrian (s_AD)"), ("class_threshold", "class threshold"),
                              ("admcp", "**AD-MCP**")):
                A(f"| {vname} | {a} | {name} | " + " | ".join(_f(v) for v in q[key]["coverage"]) + f" | {q[key]['std']:.3f} |")
    if cv:
        for a in ("0.05", "0.1"):
            for key, name in (("mondrian_ad", "Mondrian (s_AD)"), ("class_threshold", "class threshold"),
                              ("admcp", "**AD-MCP**")):
                r = cv[a][f"per_quintile_{key}"]
                A(f"| CV mean ({cv['repeats']} halves) | {a} | {name} | " + " | ".join(_f(v) for v in r["mean"])
                  + f" | {r['std_across_quintiles']:.4f} |")
    A("| paper (5-fold CV) | 0.05 | marginal Mondrian | " + " | ".join(f"{v:.3f}" for v in PAPER["table_ix_mondrian"])
      + f" | {PAPER['table_ix_mondrian_std']:.3f} |")
    A("| paper (5-fold CV) | 0.05 | AD-MCP | " + " | ".join(f"{v:.4f}" for v in PAPER["table_ix_admcp"])
      + f" | {PAPER['table_ix_admcp_std']:.4f} |")

    # calibration design (issue-3 item B)
    sl = m.get("spectrum_level_calibration")
    if sl:
        A("\n### Calibration design: every calibration spectrum once, or every calibration object equally\n")
        mix = sl["class_mix"]
        share = lambda d, k: 100 * d.get(k, 0) / max(1, sum(d.values()))  # noqa: E731
        A("0.1.0 at first calibrated on every calibration spectrum once. The split is by object, but the number of "
          "template spectra per object ranges from 1 to 81 (SN 1994D), so the *spectrum-level* class mix of a split is "
          f"set by a few objects: calibration {mix['cal']} vs test {mix['test']} spectra (SN II "
          f"{share(mix['cal'], 'II'):.1f} % vs {share(mix['test'], 'II'):.1f} %, Ia {share(mix['cal'], 'Ia'):.0f} % vs "
          f"{share(mix['test'], 'Ia'):.0f} %). LAC is a marginal method, and Ia is the easiest class (per-class coverage above), so a q̂ fitted on a "
          "harder mix over-covers an Ia-heavy test set. The fix makes the object the unit, as the split already is: "
          "calibration.json is built from 16 renders of every calibration object (each object weighs the same, the "
          "pooled-CDF method for grouped data of Dunn, Wasserman & Ramdas 2022), so its class mix is the stratified "
          f"object mix {mix.get('cal_obj')}. Nothing was tuned on the test split; the test objects were not touched.\n")
        A("| calibration | view | α | q̂ | LAC cov. | marginal (s_AD) | Mondrian (s_AD) | AD-MCP |")
        A("|---|---|---|---|---|---|---|---|")
        for view in ("test", "test_objw", "test_obj"):
            if view not in sl:
                continue
            for a in ("0.05", "0.1"):
                o, n = sl[view][a], conf[view][a]
                A(f"| every spectrum once | {view} | {a} | {o['qhat']:.4f} | {o['lac_coverage']:.3f} | "
                  f"{o['marginal_ad_coverage']:.3f} | {o['mondrian_coverage']:.3f} | {o['admcp_coverage']:.3f} |")
                A(f"| **now: object-balanced** | {view} | {a} | {n['qhat']:.4f} | {n['lac_coverage']:.3f} | "
                  f"{n['marginal_ad_coverage']:.3f} | {n['mondrian_coverage']:.3f} | {n['admcp_coverage']:.3f} |")
        c2 = sl.get("cv_procedure")
        if c2 and cv:
            A("\nSpread of one split (object-level CV, calibrate on a random half of the objects, test on the other):\n")
            A("| design | α | LAC cov. mean ± sd | Mondrian cov. mean ± sd |")
            A("|---|---|---|---|")
            for a in ("0.05", "0.1"):
                A(f"| every spectrum once | {a} | {c2[a]['lac_coverage']['mean']:.3f} ± {c2[a]['lac_coverage']['sd']:.3f} | "
                  f"{c2[a]['mondrian_coverage']['mean']:.3f} ± {c2[a]['mondrian_coverage']['sd']:.3f} |")
                A(f"| object-balanced | {a} | {cv[a]['lac_coverage']['mean']:.3f} ± {cv[a]['lac_coverage']['sd']:.3f} | "
                  f"{cv[a]['mondrian_coverage']['mean']:.3f} ± {cv[a]['mondrian_coverage']['sd']:.3f} |")
            r05 = c2["0.05"]["lac_coverage"]["sd"], cv["0.05"]["lac_coverage"]["sd"]
            r10 = c2["0.1"]["lac_coverage"]["sd"], cv["0.1"]["lac_coverage"]["sd"]
            A(f"\nBoth designs are unbiased on average; what the object-balanced design changes is (i) the unit: every "
              f"object counts once, which is what deployment looks like (ZTF gets one or two spectra per transient, not "
              f"81), and (ii) the split-to-split spread of LAC coverage, sd {r05[0]:.3f} → {r05[1]:.3f} at α = 0.05 and "
              f"{r10[0]:.3f} → {r10[1]:.3f} at α = 0.1. With ~60 objects per side neither design puts one split reliably inside ±0.02; on the "
              "16-render test view, whose test objects happen to be harder than the calibration objects (accuracy "
              f"{m.get('test_obj', {}).get('accuracy', float('nan')):.3f} there), the new calibration is the one slightly "
              "below nominal.")

    # ---------------------------------------------------------------- selective + decisions
    A("\n## Selective classification (paper Table VIII) and decisions\n")
    A("Top-1 confidence as the abstention signal on the test split; 'AD-low' = fraction of the rejected spectra with "
      "s_AD below τ_AD (the 95th percentile of calibration s_AD).\n")
    A("| coverage | selective acc. | gain (pp) | AD-low % | paper acc. | paper AD-low % |")
    A("|---|---|---|---|---|---|")
    for r in m["selective"]:
        f = r["coverage"]
        A(f"| {f:.2f} | {r['selective_accuracy']:.3f} | {r['gain_pp']:+.1f} | {_pct(r['ad_low_rejected'])} | "
          f"{PAPER['table_viii'].get(f, float('nan')):.3f} | {_pct(PAPER['table_viii_adlow'].get(f))} |")
    th = m["thresholds"]
    A(f"\nτ_abstain = {th['tauAbstain']:.3f} (10th percentile of calibration top-1), τ_AD = {th['tauAD']:.3f} (95th percentile "
      f"of calibration s_AD), as paper Sec. VI G. Decisions on test: {m['test_decisions']}; accuracy on COMMIT "
      f"{_f(m['selective_accuracy_commit'])} (paper ~0.91).")

    # ---------------------------------------------------------------- sentinel
    A("\n## Sentinel (rare / out-of-taxonomy detection)\n")
    A(f"ID test spectra vs rare fold B: {m['rareB_size']} renders of {m['rareB_objects']} rare objects never seen by the "
      f"Sentinel. Rare fold A ({m['rareA_size']} renders of the other rare objects) is its outlier exposure twice: the "
      "members' outlier-exposure copies, whose outputs the Sentinel scores, were fine-tuned on it (paper Sec. IV D b; "
      "classification uses the members as trained), and the combiner was trained on ID validation vs fold A. "
      "Recall at 1% FAR: threshold at the 99th percentile of the ID test scores.\n")
    A("| detector | AUROC | recall @ 1% FAR | paper AUROC | paper recall @ 1% FAR |")
    A("|---|---|---|---|---|")
    A(f"| **ASTRANet-Sentinel (XGBoost on 16 ranks)** | {m['rare_auroc_ad_score']:.3f} | {m['rare_recall_at_1pct_far']:.3f} | "
      f"{PAPER['rare_auroc']:.3f} (LightGBM, leakage-free 5-fold) | {PAPER['rare_recall_1pct']:.3f} (no OE) / "
      f"{PAPER['rare_recall_1pct_oe']:.3f} (+ outlier-exposure fine-tuning) |")
    for f, r in m["per_family"].items():
        pa = PAPER["table_i"].get(f)
        A(f"| family mean-rank: {f} ({r['scores']} scores) | {r['auroc']:.3f} | {r['recall_at_1pct_far']:.3f} | "
          + (f"{pa[0]:.3f} | {pa[1]:.3f} |" if pa else "| |"))
    if b:
        A(f"| template matching (1 - best correlation) | {b['rare_auroc']:.3f} | {b['rare_recall_at_1pct_far']:.3f} | | |")
    kf = m.get("kfold_outlier_exposure")
    if kf:
        A(f"| combiner under the leakage-free {kf['k']}-fold protocol (Sec. V D; the {kf['rare_objects']} fold-B objects, "
          f"threshold 1% FAR on the calibration objects; per object) | {kf['auroc_vs_test']:.3f} | "
          f"{kf['recall_at_1pct_far_per_object']:.3f} (realised test FAR {kf['realised_test_far']:.3f}; "
          f"{kf['recall_at_1pct_test_far_per_object']:.3f} at 1% test FAR) | | |")
    A(f"\nRecall at τ_AD: {m['rare_recall_at_tauAD']:.3f} (ID alert rate {m['id_alert_rate_at_tauAD']:.3f}).\n")
    if kf:
        A("k-fold protocol: each fold-B object is scored only by a combiner that never saw it (trained on ID validation "
          "vs fold A and the fold-B objects of the other folds), through encoders that never saw it (their outlier "
          "exposure is fold A); per rare class, recall per object: "
          + ", ".join(f"{k} {v['recall_per_object']:.2f} ({v['objects']} obj.)" for k, v in kf["per_class"].items())
          + ". The shipped combiner is the fold-A one (rare fold B is its held-out evaluation above).\n")
    A("Per rare class (paper Table III analogue):\n")
    A("| class | renders | detected @ 1% FAR | recall | mean s_AD |")
    A("|---|---|---|---|---|")
    for k, r in m["per_rare_class"].items():
        A(f"| {k} | {r['n']} | {r['detected_at_1pct_far']} | {r['recall_at_1pct_far']:.3f} | {r['mean_ad_score']:.3f} |")
    A("\nPer score (rank-normalised): " + ", ".join(
        f"{k} {v:.3f} / {m['rare_recall_1pct_far_per_score'][k]:.3f}" for k, v in m["rare_auroc_per_score"].items())
      + " (AUROC / recall @ 1% FAR).")

    # ---------------------------------------------------------------- real spectra
    rs = m.get("real_spectra")
    if rs:
        A("\n## Real spectra (SkyPortal demo data)\n")
        A("Every number above is on spectra rendered from templates. These are the only real reductions in the shared "
          f"data; the served artifact, no redshift given, prediction set at α = {rs['alpha']}:\n")
        A("| spectrum | label | predicted | p̄ | prediction set | p_M | s_AD | decision |")
        A("|---|---|---|---|---|---|---|---|")
        for r in rs["spectra"]:
            A(f"| {r['what']} (`{os.path.basename(r['file'])}`) | {r['label'] or 'none given'} | {r['predicted']} | "
              f"{r['top1']:.2f} | {', '.join(r['predictionSet']) or '∅'} | {r['pValue']:.3f} | {r['adScore']:.3f} | "
              f"{r['decision']} |")
        A("\nFour spectra are an anecdote, not a measurement, but they point the same way as the light-curve model's real "
          "data: the template-rendered training distribution is not yet the distribution of real SEDM / SPRAT / SNIFS "
          "reductions, so treat the spectrum model's "
          "answers on real data as provisional; a labelled set of real ZTF spectra is what would change that.")

    # ---------------------------------------------------------------- ORT
    o = m.get("onnxruntime") or {}
    if o:
        A("\n## ONNX Runtime check (`training/check_onnx.mjs`)\n")
        A(f"- golden cases, max |ORT - Python| over all outputs: {o.get('golden_max_abs_diff'):.2e}")
        if o.get("batch"):
            bb = o["batch"]
            A(f"- 64 test tensors: fine_probs {bb['fine_probs']:.1e}, embedding {bb['embedding']:.1e}, "
              f"fine_logits {bb['fine_logits']:.1e}, ad_score {bb['ad_score']:.1e}")
        if o.get("throughput"):
            t = o["throughput"]
            A(f"- throughput (onnxruntime-node {o['onnxruntime']['node']}, CPU, 2 threads, batch {t['batch']}, classifier + "
              f"sentinel): {t['spectra_per_s']:.0f} spectra/s (issue bar ≥ 20); single-spectrum latency "
              f"{t['single_latency_ms']:.1f} ms")

    # ---------------------------------------------------------------- training
    A("\n## Training\n")
    tr = c["training"]
    A(f"- wall time per stage (s): {tr['wallTimeSeconds']}")
    A(f"- machine: {tr['machine']}")
    if "train" in tr["wallTimeSeconds"]:
        A(f"- training: {tr['wallTimeSeconds']['train'] / 60:.0f} min for {len(tr['memberHistory'])} seeds × "
          f"{tr['epochs']} epochs, {c['ensemble']['members']} members in the graph; outlier exposure "
          f"{tr['wallTimeSeconds'].get('oe', 0) / 60:.0f} min ({tr['outlierExposure']['steps']} steps per checkpoint); "
          "on this CPU (no GPU machine was lent to this task)")
    for s, h in tr["memberHistory"].items():
        ep = [r for r in h["training"] if r["epoch"] != "swa"]
        best = max(ep, key=lambda r: r["val_macro_recall"])
        swa = [r for r in h["training"] if r["epoch"] == "swa"]
        oe = {r["checkpoint"]: r for r in h["outlierExposure"]}
        A(f"- member seed {s}: best epoch {best['epoch']}/{len(ep)}, val acc {best['val_acc']:.3f}, "
          f"val macro recall {best['val_macro_recall']:.3f}"
          + (f"; SWA of epochs {swa[0]['averaged_epochs'][0]}-{swa[0]['averaged_epochs'][-1]}: val acc "
             f"{swa[0]['val_acc']:.3f}, val macro recall {swa[0]['val_macro_recall']:.3f}" if swa else "")
          + "; outlier-exposure copies (Sentinel only), val macro recall "
          + " / ".join(f"{r['val_macro_recall']:.3f}" for r in oe.values()))
    if m.get("validation"):
        v = m["validation"]
        A(f"- ensemble on validation (val_comb, {v['size']} renders): accuracy {v['accuracy']:.3f}, macro recall "
          f"{v['macro_recall']:.3f}")
    A("- split objects: " + "; ".join(f"{k}: {v['objects']}" for k, v in tr["splits"]["perSplit"].items()))
    A(f"- calibration: {tr['splits'].get('calibration', '')}")

    # ---------------------------------------------------------------- gaps
    A("\n## Where this is short of the paper, and why\n")
    A("- **Data, not method, bounds the headline numbers.** The paper has 3,396 real ZTF test spectra and 289 rare "
      f"spectra of 107 objects; here the test split has {m['test_objects']} objects ("
      + ", ".join(f"{k} {v}" for k, v in tr["splits"]["perSplit"]["test"]["objects"].items()) + ") and "
      f"rare fold B {m['rareB_objects']} objects, all rendered from SNID-flattened templates. Per-class recall of TDE/II/SLSN "
      "is a statement about 1-4 objects (object-weighted and 16-render rows above show how much it moves).")
    tail = m.get("id_tail_above_1pct_far", [])
    from collections import Counter
    tc = Counter(f"{t['true']}→{t['pred']}" for t in tail)
    to = Counter(t["object"] for t in tail)
    q99 = m.get("ad_score_q99", {})
    A(f"- **Rare-class recall at 1% FAR is low, although AUROC is {m['rare_auroc_ad_score']:.2f}.** The 1%-FAR threshold "
      f"({m.get('threshold_1pct_far', float('nan')):.3f}) is set by a tail of in-distribution test spectra that the "
      f"Sentinel scores as anomalous: {len(tail)} spectra, {dict(tc)}, from the objects {dict(to)} — peculiar members "
      "of trained classes (broad-lined / GRB Ic, Ibn-Icn transitional) that the classifier sends to TDE. They sit "
      "above most rare spectra. The combiner's own training ID set gives a much lower 99th percentile "
      f"({q99.get('val_comb', float('nan')):.3f} in-sample vs {q99.get('test', float('nan')):.3f} on test, "
      f"{q99.get('cal_obj', float('nan')):.3f} on calibration objects), so it has not learned that such objects exist. "
      "The paper's jump from 34 % to 82 % recall comes from outlier-exposure fine-tuning of the encoder with rare "
      "folds (Sec. IV D); here the exposure set (fold A) is 13 objects of 5 classes and the paper's is ~85 objects of "
      "11 classes, so what the encoder learns to push away is a thin sample of what fold B holds.")
    if cv:
        dev = max(abs(cv[a][k]["mean"] - (1 - float(a))) for a in ("0.01", "0.025", "0.05", "0.1")
                  for k in ("lac_coverage", "marginal_ad_coverage", "mondrian_coverage"))
        sds = [cv[a]["per_quintile_admcp"]["std_across_quintiles"] for a in ("0.05", "0.1")]
        A(f"- **Coverage**: the conformal procedure is calibrated (cross-validated mean coverage within {dev:.3f} of "
          f"nominal at every α for LAC, marginal and Mondrian; AD-MCP per-quintile std {min(sds):.4f}-{max(sds):.4f}, "
          f"paper 0.0008); a single split of ~60 objects moves by the sd shown in the CV rows.")
    A("- **Training recipe**: the paper's losses, sampling and checkpoints are in (focal with γ_TDE = 3 + coarse CE + "
      "SupCon fine/coarse + confusion penalty − attention entropy with Table XI weights; balanced sampling, MixUp, EMA, "
      "best-validation + SWA checkpoints, 3 seeds × 2 = 6 members in one graph; outlier-exposure fine-tuning with "
      "λ_OE = λ_emb = 1). Scaled down for the 2-hour, 2-core CPU budget: the network (64-d embedding, 4 dilated blocks; "
      "the paper's size is `model.FULL_SIZE`, ~10× the compute, defined and exportable but not trained), "
      f"{tr['epochs']} epochs with one warm-up + cosine cycle instead of 200 with warm restarts, "
      f"{tr['outlierExposure']['steps']} outlier-exposure steps per checkpoint instead of 20 epochs. Not in: the "
      "instrument embedding of the metadata (requests rarely name a known instrument; the card has none), stochastic "
      "depth, LightGBM (XGBoost from Debian instead, same role). The paper's OE is repeated per rare fold (5 encoders); "
      "here one encoder copy is fine-tuned on fold A and only fold-B objects are ever scored.")
    drops = []
    for h in tr["memberHistory"].values():
        trained = {"state": max((r for r in h["training"] if r["epoch"] != "swa"), key=lambda r: r["val_macro_recall"]),
                   "state_swa": next(r for r in h["training"] if r["epoch"] == "swa")}
        drops += [r["val_macro_recall"] - trained[r["checkpoint"]]["val_macro_recall"] for r in h["outlierExposure"]]
    A("- **Outlier exposure and classification**: the outlier-exposure copies classify worse than the members as "
      f"trained (validation macro recall {min(drops):+.3f} to {max(drops):+.3f} per checkpoint; for seed 11, looked at "
      "by hand, the loss is in TDE and SLSN, blue continuum-dominated spectra that resemble the AGN / FBOT exposure "
      "spectra), so, as in the paper (classification is reported for the ensemble as trained, OE "
      "is applied 'before scoring'), the graph carries both: the members as trained classify, their OE copies feed "
      "the Sentinel. This doubles the forward passes (throughput above).")
    A("- The cosine score uses embedding-space class centroids (the contrastive projection heads are training-only).")
    return "\n".join(L) + "\n"


def write_report(card_path, out_path):
    with open(card_path) as fh:
        c = json.load(fh)
    text = _spectrum_report(c)
    lc = existing_lightcurve_section(out_path)  # re-read at write time: the other pipeline may have updated it
    if lc:
        text += "\n" + lc + "\n"
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, out_path)
