"""Light-curve section of training/REPORT.md (between markers; the rest of the file is left alone)."""
from __future__ import annotations

import json
import os

BEGIN, END = "<!-- lightcurve-astranet:begin -->", "<!-- lightcurve-astranet:end -->"


def _p(v):
    return "n/a" if v is None else f"{100 * v:.1f}%"


def section(card):
    m = card["metrics"]
    fine = card["classes"]["fine"]
    cm = m["confusion_matrix"]["counts"]
    real = m.get("real", {})
    t = card["training"]
    L = [BEGIN, "", f"## Light-curve model: {card['name']} {card['version']}", "",
         "Everything below except the last table is on **simulated** light curves (training/lightcurve/simulate.py: "
         "parametric per-class models with ZTF/LSST cadences and noise, 75% truncated at a random time after the first "
         "detection). Simulation-to-reality gap is the main risk: these numbers are an upper bound for real alerts.", "",
         f"- Build: `/usr/bin/python3 -m training.lightcurve.build`; stage wall times (s): {t['wallTimeSeconds']}; "
         f"{t['machine']}.",
         f"- Sets: {t['setSizes']} (train_fit is a subset of train; val_ref is the Sentinel rank reference).",
         f"- Files: {card['fileSizes']} bytes.", "",
         f"Test (simulated, {m['test_size']} light curves, {m['test_per_class']}): accuracy **{_p(m['accuracy'])}**, "
         f"macro recall **{_p(m['macro_recall'])}**, coarse accuracy {_p(m['coarse_accuracy'])}.", "",
         "Confusion matrix (rows true, columns predicted):", "",
         "| true \\ pred | " + " | ".join(fine) + " | recall |", "|---" * (len(fine) + 2) + "|"]
    for k, c in enumerate(fine):
        L.append(f"| {c} | " + " | ".join(str(v) for v in cm[k]) + f" | {_p(m['per_class_recall'][c])} |")
    L += ["", "Conformal (LAC prediction sets, calibration n = " + str(card.get("calibrationSize", "1400")) + "):", "",
          "| α | q̂ | marginal coverage | mean set size | empty sets | AD-MCP correct flag rate |", "|---|---|---|---|---|---|"]
    for a in ("0.05", "0.1"):
        x = m[f"alpha_{a}"]
        L.append(f"| {a} | {x['qhat']:.3f} | {_p(x['marginal_coverage'])} | {x['mean_set_size']:.2f} | "
                 f"{_p(x['empty_set_rate'])} | {_p(x['admcp_correct_flag_rate'])} |")
    L += ["", f"Rare classes (Sentinel, held-out fold B: {m['rareB_size']} simulated KN + M-dwarf flares, never seen by "
              f"the combiner; fold A, {m['rareA_size']}, was its outlier exposure): AUROC of ad_score vs ID test "
              f"**{m['rare_auroc_ad_score']:.3f}**, recall at 1% FAR **{_p(m['rare_recall_at_1pct_far'])}**, recall at "
              f"τ_AD {_p(m['rare_recall_at_tauAD'])} (ID alert rate at τ_AD {_p(m['id_alert_rate_at_tauAD'])}). "
              f"Test decisions {m['test_decisions']}, accuracy on COMMIT {_p(m['selective_accuracy_commit'])}.", "",
          "Per-score AUROC: " + ", ".join(f"{k} {v:.2f}" for k, v in m["rare_auroc_per_score"].items()) + ".", ""]
    if real:
        L += ["### Real light curves", "",
              "Very few and noisy: ALeRCE's 30 ZTF SNe (alert detections + upper limits, labels from classALeRCE: "
              "19 SNIa, 8 SNIbc, 2 SLSN, 1 SNII; 3 of them disagree with BTS) and 4 SkyPortal light curves. Accuracy "
              "on 30 objects has a ±9% binomial standard error; these are all supernovae, so they say nothing about "
              "AGN/periodic/TDE on real data.", "",
              "| set | n | accuracy | coarse accuracy | set coverage α=0.1 | predicted |", "|---|---|---|---|---|---|"]
        for k, v in real["summary"].items():
            L.append(f"| {k} | {v['n']} | {_p(v['accuracy'])} | {_p(v['coarse_accuracy'])} | "
                     f"{_p(v['set_coverage_alpha_0.1'])} | {v['predicted']} |")
        L += ["", "(`window_10.0` / `window_30.0`: only points up to 10 / 30 days after the first detection.)", "",
              "| SkyPortal object | label | window | points | predicted | top1 | ad_score | decision |",
              "|---|---|---|---|---|---|---|---|"]
        for r in real["items"]:
            if r["source"] == "skyportal":
                L.append(f"| {r['name']} | {r['label']} | {r['window'] or 'full'} | {r.get('points', '-')} | "
                         f"{r.get('predicted', r.get('error'))} | {r.get('top1', '-')} | {r.get('adScore', '-')} | "
                         f"{r.get('decision', '-')} |")
        L += ["", "SN 2021gvm is the only labelled real ZTF forced-photometry light curve of this kind; ZTFe028h94k "
                  "is absolute (not difference) photometry, and AT2017gfo's PS1 bands are mapped onto LSST slots, so both "
                  "are out of the training distribution by construction.", ""]
    L += ["Known limitations (v0.1): trained only on simulation (ELAsTiCC excerpt not used yet); no K-corrections "
          "(colours are a per-class linear slope across bands plus a reddening rate); AGN and periodic variables are "
          "simple; no Milky-Way extinction; on the real ALeRCE SNe the model is poor early on (10 days after the first detection: see the table) and the LAC sets cover far less than 1 − α on real data, so the conformal guarantees hold only for the simulated distribution.", "", END]
    return "\n".join(L)


def write_section(card_path, report_path):
    card = json.load(open(card_path))
    text = open(report_path).read() if os.path.exists(report_path) else ""
    sec = section(card)
    if BEGIN in text and END in text:
        a, b = text.index(BEGIN), text.index(END) + len(END)
        text = text[:a] + sec + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + sec + "\n"
    with open(report_path, "w") as fh:
        fh.write(text)
