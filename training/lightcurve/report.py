"""Light-curve section of training/REPORT.md (between markers; the rest of the file is left alone)."""
from __future__ import annotations

import json
import os

BEGIN, END = "<!-- lightcurve-astranet:begin -->", "<!-- lightcurve-astranet:end -->"


def _p(v):
    return "n/a" if v is None else f"{100 * v:.1f}%"


# v0.1 as built at commit 96ffe08 (simulation only), from its REPORT section; the ELAsTiCC numbers of that
# artifact come from training/lightcurve/elasticc_baseline.json (training/lightcurve/baseline.py)
PREVIOUS = {"accuracy": 0.804, "macro_recall": 0.804, "cov_0.05": 0.959, "cov_0.1": 0.918, "rare_auroc": 0.944,
            "rare_recall": 0.45, "alerce_window_full": 0.50, "alerce_window_10.0": 0.10, "alerce_window_30.0": 0.433}


def _f(v, nd=3):
    return "n/a" if v is None else f"{v:.{nd}f}"


def _elasticc(m):
    el = m.get("elasticc") or {}
    if not el:
        return []
    prev = el.get("previous") or {}
    info = el["info"]
    sp = info["splits"]
    L = ["### ELAsTiCC2 training excerpt (SN Ib, kilonova, M-dwarf flare)", "",
         f"`{info['path']}` (LSST DESC; licence {info['licence']}; SNANA simulations of LSST WFD ugrizY difference "
         f"photometry, so \"real-ish\": realistic cadence, noise, detection logic and host redshifts, but still simulated). "
         f"Objects {info['objects']}; median detections per object {info['medianDetections']} (PHOTFLAG bit 4096), "
         f"median epochs {info['medianPoints']} (all other epochs enter as forced photometry). Object-level splits: SN Ib "
         f"train {sp['Ibc']['train']} / val {sp['Ibc']['val']} / test {sp['Ibc']['test']}; KN fold A {sp['KN']['A']} / "
         f"fold B {sp['KN']['B']}; M-dwarf flare fold A {sp['Mdwarf-flare']['A']} / fold B {sp['Mdwarf-flare']['B']}. "
         f"SN Ib train objects enter training as Ibc ({info.get('trainDraws')} windowed draws replacing "
         f"{info.get('simulatedIbcTrainReplaced')} simulated Ibc light curves); val objects are the combiner's "
         "in-distribution side next to the simulated val_comb; fold A KN / M-dwarf flares are outlier exposure of the "
         "combiner next to the simulated rare fold A; **test and fold B objects were never used for training, "
         "outlier exposure or calibration**. Windows: full light curve, and only the points up to 10 / 30 days after "
         "the first detection (what an alert stream has by then).", "",
         f"\"previous\" = {prev.get('label', 'the previous artifact')}, evaluated on the same objects "
         "(training/lightcurve/baseline.py with ONNX Runtime).", "",
         "SN Ib test objects (true class Ibc, ELAsTiCC 2223):", "",
         "| window | n | accuracy (previous) | coarse SN-CC | set coverage α=0.05 / 0.1 | mean set size α=0.1 | "
         "decisions α=0.1 | predicted |", "|---|---|---|---|---|---|---|---|"]
    for tag, v in el["ib_test"].items():
        pv = (prev.get("ib_test") or {}).get(tag, {})
        L.append(f"| {tag} | {v['n']} | **{_p(v['accuracy_Ibc'])}** ({_p(pv.get('accuracy_Ibc'))}) | "
                 f"{_p(v['coarse_accuracy_SN-CC'])} | {_p(v['set_coverage_alpha_0.05'])} / {_p(v['set_coverage_alpha_0.1'])} | "
                 f"{v['mean_set_size_alpha_0.1']:.2f} | {v['decisions']} | {v['predicted']} |")
    L += ["", "Rare classes, ELAsTiCC fold B (never seen by the combiner). AUROC / recall at 1% FAR use the simulated ID "
              "test set as negatives (1% FAR threshold = its 99th ad_score percentile, "
              f"{_f(el['threshold_1pct_far_sim_test'])}), as for the simulated rare classes; the next column uses the "
              "ELAsTiCC SN Ib test objects (same window) as negatives instead:", "",
          "| window | class | n | AUROC vs sim ID (previous) | recall @1% FAR (previous) | AUROC vs ELAsTiCC Ib | "
          "recall at τ_AD | predicted |", "|---|---|---|---|---|---|---|---|"]
    for tag, e in el["rare_B"].items():
        for cls, v in e.items():
            pv = ((prev.get("rare_B") or {}).get(tag) or {}).get(cls, {})
            L.append(f"| {tag} | {cls} | {v['n']} | **{_f(v['auroc_vs_sim_test'])}** ({_f(pv.get('auroc_vs_sim_test'))}) | "
                     f"**{_p(v['recall_at_1pct_far_sim_test'])}** ({_p(pv.get('recall_at_1pct_far_sim_test'))}) | "
                     f"{_f(v['auroc_vs_elasticc_ib_test'])} | {_p(v['recall_at_tauAD'])} | {v['predicted']} |")
    ib = el["ib_test"]
    L += ["", "ELAsTiCC SN Ib test objects above the Sentinel thresholds (a realistic false-alarm rate on LSST-like "
              "in-distribution light curves): " + ", ".join(
                  f"{t}: {_p(v['alert_rate_at_tauAD'])} at τ_AD, {_p(v['rate_above_sim_1pct_far_threshold'])} above the "
                  f"sim 1%-FAR threshold" for t, v in ib.items()) + ".", "",
          f"Small samples: {ib['full']['n']} SN Ib test objects (±{100 * (0.25 / ib['full']['n']) ** 0.5:.0f}% binomial "
          f"standard error at most), {el['rare_B']['full']['KN']['n']} KN and {el['rare_B']['full']['Mdwarf-flare']['n']} "
          "M-dwarf flares in fold B. Only one extragalactic class (Ib) of ELAsTiCC is in training, so the classifier "
          "could learn \"ELAsTiCC-looking → Ibc\": the `predicted` column of the KN / M-dwarf rows shows how often "
          "ELAsTiCC outliers are called Ibc; SN Ia / II / SLSN / TDE / AGN / periodic remain simulation-only.", ""]
    rb, prb = el["rare_B"]["full"]["all"], ((prev.get("rare_B") or {}).get("full") or {}).get("all") or {}
    n_ibc, p_ibc = rb["predicted"].get("Ibc", 0), (prb.get("predicted") or {}).get("Ibc")
    rec = lambda v: int(round(v["recall_at_1pct_far_sim_test"] * v["n"]))
    L += ["Reading these numbers:", "",
          f"- The SN Ib accuracy jump ({_p(((prev.get('ib_test') or {}).get('full') or {}).get('accuracy_Ibc'))} → "
          f"{_p(ib['full']['accuracy_Ibc'])} on full light curves) is an upper bound, not evidence that the model "
          f"separates Ibc from other classes on LSST data: {n_ibc} of {rb['n']} held-out ELAsTiCC KN / M-dwarf flares "
          f"are also called Ibc (previous model: {p_ibc} of {rb['n']}), and the excerpt has no ELAsTiCC SN Ia / II / "
          "SLSN / TDE / AGN / periodic objects to measure confusion with. Part of the gain is very likely \"ELAsTiCC-"
          "looking → Ibc\". What it does show: LSST-cadence SN Ib with few detections, including 10 days after the "
          "first detection, are no longer spread over Ia / II / TDE / AGN as before.",
          f"- Sentinel on held-out ELAsTiCC rare objects: outlier exposure with the fold-A objects did not help. AUROC "
          f"{_f(prb.get('auroc_vs_sim_test'))} → {_f(rb['auroc_vs_sim_test'])}, recall at 1% FAR {rec(prb) if prb else 'n/a'} → "
          f"{rec(rb)} of {rb['n']} objects (within the noise of 36 objects, but not better). M-dwarf flares are "
          "separated well by rank (AUROC ≈ 0.9), kilonovae are not (≈ 0.8 against simulated ID, ≈ 0.7 against "
          "ELAsTiCC SN Ib): with 1-2 detections they look like a fast, faint Ibc. On LSST-like ID objects (ELAsTiCC SN "
          f"Ib test) the ALERT rate at τ_AD is {_p(ib['full']['alert_rate_at_tauAD'])} versus "
          f"{_p(m['id_alert_rate_at_tauAD'])} on the simulated ID test set.",
          f"- Simulated metrics moved slightly down (accuracy {_f(PREVIOUS['accuracy'])} → {_f(m['accuracy'])}, rare "
          f"AUROC {_f(PREVIOUS['rare_auroc'])} → {_f(m['rare_auroc_ad_score'])}, recall at 1% FAR "
          f"{_f(PREVIOUS['rare_recall'])} → {_f(m['rare_recall_at_1pct_far'])}): 900 of 2500 simulated Ibc training "
          "curves were replaced and the combiner now also fits ELAsTiCC objects; seeds are fixed, so this is one "
          "draw, not an averaged comparison.", ""]
    return L


def section(card):
    m = card["metrics"]
    fine = card["classes"]["fine"]
    cm = m["confusion_matrix"]["counts"]
    real = m.get("real", {})
    t = card["training"]
    L = [BEGIN, "", f"## Light-curve model: {card['name']} {card['version']}", "",
         "Training data: **simulated** light curves (training/lightcurve/simulate.py: parametric per-class models with "
         "ZTF/LSST cadences and noise, 75% truncated at a random time after the first detection) plus the SN Ib objects "
         "of the ELAsTiCC2 training excerpt (SNANA-simulated LSST light curves, as Ibc). The test, calibration and "
         "rare-class numbers directly below are on the simulated sets; the ELAsTiCC held-out objects and the few real "
         "light curves have their own sections. Simulation-to-reality gap is the main risk: the simulated numbers are "
         "an upper bound for real alerts.", "",
         f"- Build: `/usr/bin/python3 -m training.lightcurve.build`; stage wall times (s): {t['wallTimeSeconds']}; "
         f"{t['machine']}.",
         f"- Sets: {t['setSizes']} (train_fit is a subset of train; val_ref is the Sentinel rank reference).",
         f"- Files: {card['fileSizes']} bytes.", ""]
    el = m.get("elasticc") or {}
    prev = el.get("previous") or {}
    rs = (real or {}).get("summary", {})
    rows = [("simulated test accuracy", PREVIOUS["accuracy"], m["accuracy"]),
            ("simulated test macro recall", PREVIOUS["macro_recall"], m["macro_recall"]),
            ("LAC coverage α=0.05 (sim)", PREVIOUS["cov_0.05"], m["alpha_0.05"]["marginal_coverage"]),
            ("LAC coverage α=0.1 (sim)", PREVIOUS["cov_0.1"], m["alpha_0.1"]["marginal_coverage"]),
            ("rare AUROC, simulated fold B", PREVIOUS["rare_auroc"], m["rare_auroc_ad_score"]),
            ("rare recall @1% FAR, simulated fold B", PREVIOUS["rare_recall"], m["rare_recall_at_1pct_far"])]
    for k in ("alerce_window_full", "alerce_window_30.0", "alerce_window_10.0"):
        if k in rs:
            rows.append((f"ALeRCE 30 real ZTF SNe accuracy, {k.split('_')[-1]}", PREVIOUS[k], rs[k]["accuracy"]))
    for tag, v in (el.get("ib_test") or {}).items():
        rows.append((f"ELAsTiCC SN Ib test accuracy, {tag}", ((prev.get("ib_test") or {}).get(tag) or {}).get("accuracy_Ibc"),
                     v["accuracy_Ibc"]))
    for tag, e in (el.get("rare_B") or {}).items():
        pv = ((prev.get("rare_B") or {}).get(tag) or {}).get("all", {})
        rows.append((f"ELAsTiCC KN+M-dwarf fold B AUROC, {tag}", pv.get("auroc_vs_sim_test"), e["all"]["auroc_vs_sim_test"]))
        rows.append((f"ELAsTiCC KN+M-dwarf fold B recall @1% FAR, {tag}", pv.get("recall_at_1pct_far_sim_test"),
                     e["all"]["recall_at_1pct_far_sim_test"]))
    L += ["Previous (v0.1 at commit 96ffe08, simulation only) vs now (simulation + ELAsTiCC SN Ib in training, "
          "ELAsTiCC KN / M-dwarf fold A as outlier exposure):", "", "| metric | previous | now |", "|---|---|---|"]
    L += [f"| {a} | {_f(b)} | **{_f(c)}** |" for a, b, c in rows]
    L += ["",
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
    L += _elasticc(m)
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
    L += ["Known limitations (v0.1): trained on simulations only (our parametric models and, for SN Ib, ELAsTiCC's "
          "SNANA light curves); no K-corrections "
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
