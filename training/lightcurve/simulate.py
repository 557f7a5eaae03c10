"""Simulated light curves (canonical LightCurveContent dicts) from published parametric models.

Transients: Bazin et al. 2009 rise/decline f(t) = A e^{-(t-t0)/tf} / (1 + e^{-(t-t0)/tr}) per band, with
class-typical rest-frame rise/decline times and peak absolute magnitudes (Ia: Richardson+2014 M~-19.3,
Bazin+2009/Villar+2019 timescales; Ibc/II: Richardson+2014, Drout+2011, Anderson+2014; SLSN: Gal-Yam 2019,
Nicholl+2017; TDE: van Velzen+2021; KN: Kasen+2017 / AT2017gfo), time dilation (1+z), distance modulus
(flat LCDM H0=70, Om=0.3), host extinction A_V ~ Exp(0.3) (Cardelli-like band ratios).
AGN: damped random walk (Kelly+2009; MacLeod+2010 tau ~ 100-500 d, SF_inf ~ 0.1-0.3 mag).
Periodic: RR Lyrae-like skewed sinusoid (P 0.3-0.9 d, amplitude 0.3-1.0 mag).
M-dwarf flare: fast rise / exponential decay (Davenport 2014-like), strongest in blue bands.
Surveys: ZTF g/r(/i) ~2-3 d cadence, 5-sigma depth ~20.5; LSST ugrizy irregular cadence, depths from
Ivezic+2019. Non-detections (< 5 sigma) become forced photometry or upper limits."""
from __future__ import annotations

import math

import numpy as np

FINE = ["Ia", "Ibc", "II", "SLSN", "TDE", "AGN", "Periodic"]
COARSE = ["SN-Thermonuclear", "SN-CC", "Non-SN-transient", "Recurrent"]
FINE_TO_COARSE = [0, 1, 1, 1, 2, 3, 3]
RARE = ["KN", "Mdwarf-flare"]

ZTF_BANDS = ["ztfg", "ztfr", "ztfi"]
LSST_BANDS = ["lsstu", "lsstg", "lsstr", "lssti", "lsstz", "lssty"]
LSST_DEPTH = {"lsstu": 23.6, "lsstg": 24.6, "lsstr": 24.2, "lssti": 23.7, "lsstz": 23.0, "lssty": 22.2}
ZTF_DEPTH = {"ztfg": 20.6, "ztfr": 20.5, "ztfi": 20.0}
# A_band / A_V (Cardelli 1989, R_V=3.1, approximate effective wavelengths)
EXT = {"u": 1.57, "g": 1.19, "r": 0.87, "i": 0.66, "z": 0.49, "y": 0.41}
# rest-frame effective wavelength index 0..5 (u g r i z y) for colour/width terms
WL = {"u": 0, "g": 1, "r": 2, "i": 3, "z": 4, "y": 5}

# class: (M_peak mean, sd, trise (mean, sd), tfall (mean, sd), colour slope per band mag (blue->red),
#         colour evolution mag/day after peak, tfall band stretch per band, z range ZTF, z range LSST)
TRANS = {
    "Ia":   (-19.3, 0.3, (3.0, 0.8), (22.0, 5.0), 0.10, 0.020, 0.12, (0.01, 0.12), (0.05, 0.6)),
    "Ibc":  (-17.6, 0.8, (2.5, 0.8), (18.0, 5.0), 0.25, 0.025, 0.10, (0.005, 0.07), (0.02, 0.3)),
    "II":   (-16.8, 1.0, (3.5, 1.5), (90.0, 30.0), 0.15, 0.012, 0.05, (0.005, 0.05), (0.02, 0.25)),
    "SLSN": (-21.2, 0.6, (20.0, 6.0), (60.0, 20.0), -0.10, 0.006, 0.05, (0.05, 0.35), (0.2, 1.5)),
    "TDE":  (-19.6, 0.6, (15.0, 5.0), (50.0, 15.0), -0.35, 0.0, 0.0, (0.02, 0.15), (0.05, 0.6)),
    "KN":   (-16.0, 0.5, (0.6, 0.2), (2.5, 0.7), 0.30, 0.25, 0.3, (0.005, 0.03), (0.01, 0.1)),
}


def dist_mod(z):
    zs = np.linspace(0, z, 64)
    ez = 1 / np.sqrt(0.3 * (1 + zs) ** 3 + 0.7)
    dc = 299792.458 / 70.0 * np.trapz(ez, zs)  # Mpc
    dl = (1 + z) * dc
    return 5 * math.log10(dl * 1e6 / 10)


def mag_to_ujy(m):
    return 10 ** ((23.9 - m) / 2.5)


def schedule(rng, survey, t_start, t_end):
    """Observation epochs (mjd, band, m5)."""
    obs = []
    if survey == "ztf":
        cad = rng.uniform(1.5, 3.5)
        t = t_start + rng.uniform(0, cad)
        use_i = rng.random() < 0.3
        while t < t_end:
            if rng.random() > 0.15:  # weather
                for b in ["ztfg", "ztfr"] + (["ztfi"] if use_i and rng.random() < 0.3 else []):
                    if rng.random() < 0.85:
                        obs.append((t + rng.uniform(0, 0.1), b, ZTF_DEPTH[b] + rng.normal(0, 0.35)))
            t += cad * rng.uniform(0.7, 1.3)
    else:
        t = t_start + rng.uniform(0, 3)
        while t < t_end:
            if rng.random() < 0.25:  # a season gap or a long gap
                t += rng.uniform(3, 15)
                continue
            nb = rng.integers(1, 3)
            for b in rng.choice(LSST_BANDS, nb, replace=False, p=[0.07, 0.1, 0.22, 0.22, 0.2, 0.19]):
                obs.append((t + rng.uniform(0, 0.05), str(b), LSST_DEPTH[b] + rng.normal(0, 0.3)))
            t += rng.exponential(3.0) + 0.5
    obs.sort()
    return obs


def bazin(t, tr, tf):
    # normalised so that its maximum is ~1 at t=0 (peak); tpeak of bazin = tr*ln(tf/tr - 1)
    tp = tr * math.log(max(tf / tr - 1, 1.01))
    tt = t + tp
    return np.exp(-tt / tf) / (1 + np.exp(-tt / tr)) / (math.exp(-tp / tf) / (1 + math.exp(-tp / tr)))


def true_flux(rng, cls, survey):
    """Returns (function(t array, band) -> true flux µJy difference, redshift or None, t_event)."""
    if cls in TRANS:
        M, Ms, tr_, tf_, cslope, cevo, stretch, zz, zl = TRANS[cls]
        zlo, zhi = zz if survey == "ztf" else zl
        z = float(rng.uniform(zlo, zhi))
        mu = dist_mod(z)
        Mp = rng.normal(M, Ms)
        tr = max(0.2, rng.normal(*tr_)) * (1 + z)
        tf = max(1.5, rng.normal(*tf_)) * (1 + z)
        if tf < 2.5 * tr:
            tf = 2.5 * tr
        av = rng.exponential(0.3) if cls != "KN" else rng.exponential(0.1)
        cs = cslope + rng.normal(0, 0.1)

        def f(t, band):
            s = band[-1]
            # rest-frame colour: redshift moves rest bands to bluer index
            k = WL[s] - 1.0 - 2.5 * math.log10(1 + z)
            m = Mp + mu + av * EXT[s] + cs * (k - 1.0) - 2.5 * math.log10(1 + z) * 0.3
            tfb = tf * (1 + stretch * (WL[s] - 2))
            shape = bazin(t, tr, tfb)
            evo = np.where(t > 0, cevo * t / (1 + z) * (WL[s] - 2.5) * -1, 0.0)  # reddening: blue fades faster
            return mag_to_ujy(m) * shape * 10 ** (0.4 * np.minimum(evo, 0) + 0 * evo)
        return f, z, None
    if cls == "AGN":
        z = float(rng.uniform(0.1, 1.5) if survey == "lsst" else rng.uniform(0.05, 0.6))
        mbar = rng.uniform(17.5, 20.5) if survey == "ztf" else rng.uniform(19, 23.5)
        tau = 10 ** rng.uniform(2, 2.7)
        sf = rng.uniform(0.1, 0.35)
        seed = int(rng.integers(1 << 30))
        col = rng.normal(0, 0.2)

        def f(t, band):
            r = np.random.default_rng(seed)  # same DRW realisation for every band (scaled per band)
            tg = np.arange(-400.0, 400.0, 1.0)
            x = np.zeros(len(tg))
            a = math.exp(-1 / tau)
            sig = sf / math.sqrt(2) * math.sqrt(1 - a * a)
            for j in range(1, len(tg)):
                x[j] = a * x[j - 1] + sig * r.normal()
            amp = 1 + 0.3 * (2.5 - WL[band[-1]]) / 2.5
            mag = mbar + col * (WL[band[-1]] - 2) + np.interp(t, tg, x) * amp
            ref = mbar + col * (WL[band[-1]] - 2)
            return mag_to_ujy(mag) - mag_to_ujy(ref)
        return f, z, None
    if cls == "Periodic":
        P = rng.uniform(0.3, 0.9)
        A = rng.uniform(0.3, 1.0)
        mbar = rng.uniform(14.5, 19.5) if survey == "ztf" else rng.uniform(17, 22.5)
        ph = rng.uniform(0, 1)

        def f(t, band):
            phase = (t / P + ph) % 1.0
            wave = np.where(phase < 0.15, phase / 0.15, 1 - (phase - 0.15) / 0.85)  # fast rise, slow decline
            amp = A * (1 + 0.25 * (2 - WL[band[-1]]) / 2)
            mag = mbar - amp * (wave - 0.4)
            return mag_to_ujy(mag) - mag_to_ujy(mbar)
        return f, None, None
    if cls == "Mdwarf-flare":
        mq = rng.uniform(17, 21) if survey == "ztf" else rng.uniform(19, 24)
        dm = rng.uniform(1.0, 4.0)
        tdec = rng.uniform(0.01, 0.1)

        def f(t, band):
            amp = dm * (1 + 0.4 * (2 - WL[band[-1]]))
            amp = max(amp, 0.1)
            fl = np.where(t >= 0, np.exp(-np.maximum(t, 0) / tdec), 0.0)
            return (mag_to_ujy(mq - amp) - mag_to_ujy(mq)) * fl
        return f, None, None
    raise ValueError(cls)


def simulate(rng, cls, max_tries=50):
    """One canonical light curve with >= 1 detection, truncated at a random time after its first detection."""
    for _ in range(max_tries):
        survey = "ztf" if rng.random() < 0.55 else "lsst"
        f, z, _ = true_flux(rng, cls, survey)
        # event at t=0; observing window
        if cls in ("AGN", "Periodic"):
            span = (-300.0, 300.0)
        elif cls == "Mdwarf-flare":
            span = (-60.0, 60.0)
        else:
            span = (float(rng.uniform(-80, -10)), 300.0)
        obs = schedule(rng, survey, *span)
        if cls == "Mdwarf-flare" and obs:
            # the flare happens during one of the exposures' nights
            j = int(rng.integers(len(obs)))
            shift = obs[j][0] - rng.uniform(0, 0.05)
        else:
            shift = 0.0
        if not obs:
            continue
        t = np.array([o[0] for o in obs]) - shift
        bands = [o[1] for o in obs]
        m5 = np.array([o[2] for o in obs])
        sig = mag_to_ujy(m5) / 5.0
        tf = np.zeros(len(t))
        for b in set(bands):
            idx = np.array([k for k, bb in enumerate(bands) if bb == b])
            tf[idx] = f(t[idx], b)
        flux = tf + rng.normal(0, 1, len(t)) * sig
        snr = flux / sig
        isdet = np.abs(snr) >= 5 if cls in ("AGN", "Periodic") else snr >= 5
        if not isdet.any():
            continue
        mjd0 = 59000.0 + rng.uniform(0, 2000)
        forced_mode = rng.random() < 0.5
        pts = []
        for k in range(len(t)):
            mj = round(float(mjd0 + t[k] + shift), 5)
            if isdet[k]:
                pts.append({"mjd": mj, "band": bands[k], "kind": "detection",
                            "flux": round(float(flux[k]), 4), "fluxErr": round(float(sig[k]), 4)})
            elif forced_mode:
                pts.append({"mjd": mj, "band": bands[k], "kind": "forced",
                            "flux": round(float(flux[k]), 4), "fluxErr": round(float(sig[k]), 4)})
            else:
                pts.append({"mjd": mj, "band": bands[k], "kind": "upperlimit", "flux": None,
                            "fluxErr": round(float(sig[k]), 4), "limitingMag": round(float(m5[k]), 3)})
        t_first = min(p["mjd"] for p in pts if p["kind"] == "detection")
        # windowing: cut at a random time after the first detection (early alerts) or keep everything
        u = rng.random()
        if u < 0.75:
            cut = t_first + (rng.random() ** 2) * 150.0
            pts = [p for p in pts if p["mjd"] <= cut]
        order = {"detection": 0, "forced": 1, "upperlimit": 2}
        pts.sort(key=lambda p: (p["mjd"], order[p["kind"]], p["band"]))
        ctx = {"survey": survey, "format": "simulated", "objectId": "sim"}
        if z is not None and rng.random() < 0.5:
            ctx["hostRedshift"] = round(z, 4)
        return {"points": pts, "context": ctx, "survey": survey}
    raise RuntimeError(f"could not simulate a detected {cls}")
