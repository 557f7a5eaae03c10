/**
 * The canonical light curve every alert and photometry parser produces.
 *
 * Units (one convention for all surveys): flux density in µJy, AB, so that `mag = 23.9 − 2.5·log10(flux)`.
 * Rubin and ELAsTiCC nJy are divided by 1000; ZTF PSF magnitudes become `10^((23.9 − mag)/2.5)` with the
 * error propagated to first order; ZTF forced difference fluxes (DN) are scaled by their image zero point.
 * Fluxes are difference-image fluxes and may be negative. Times are MJD (ZTF JD − 2400000.5; Rubin TAI MJD).
 *
 * Points are of three kinds: `detection` (a source was detected: ZTF candidate / prv_candidates with a
 * magnitude, Rubin/ELAsTiCC diaSources), `forced` (flux measured at a known position whether or not
 * anything was detected: ZTF fp_hists, prvDiaForcedSources) and `upperlimit` (nothing detected; only the
 * depth is known: ZTF prv_candidates without magnitude, non-detection limits, SkyPortal rows with no flux).
 */
import { InputError, type FieldProblem } from './input-error.js';

/**
 * The bands a light curve may hold (SkyPortal/sncosmo names). Which of them a model uses, and in which slot, is
 * the model card's business (`input.preprocessing.bands`); points in other bands are kept but not fed to it.
 */
export const BANDS = [
  'ztfg', 'ztfr', 'ztfi', 'lsstu', 'lsstg', 'lsstr', 'lssti', 'lsstz', 'lssty',
  'ps1::g', 'ps1::r', 'ps1::i', 'ps1::z', 'ps1::y', 'sdssu', 'sdssg', 'sdssr', 'sdssi', 'sdssz', '2massj', '2massh', '2massks',
] as const;
export type Band = (typeof BANDS)[number];
export type PointKind = 'detection' | 'forced' | 'upperlimit';
export type Survey = 'ztf' | 'lsst' | 'elasticc' | 'skyportal';

/** AB zero point of µJy: mag = 23.9 − 2.5 log10(f / µJy). */
export const UJY_ZERO_POINT = 23.9;

export interface LightCurvePoint {
  mjd: number;
  band: Band;
  kind: PointKind;
  /** µJy (difference flux); null for upper limits. */
  flux: number | null;
  /** 1σ uncertainty of `flux` in µJy; for upper limits the 1σ noise where known, else null. */
  fluxErr: number | null;
  /** AB magnitude limit of an upper limit (5σ unless the source said otherwise). */
  limitingMag?: number;
  /** The survey's identifier of this measurement (candid, diaSourceId, diaForcedSourceId). */
  sourceId?: string;
  /** Survey quality flags kept verbatim (ZTF fp_hists procstatus, isdiffpos, ...). */
  flags?: Record<string, string | number | boolean>;
}

/** What the alert says about the object besides its photometry. Absent fields were not in the input. */
export interface LightCurveContext {
  survey: Survey;
  /** Format the data came in (`ztf-avro`, `ztf-json`, `lsst-avro`, `elasticc-json`, `skyportal-csv`, ...). */
  format: string;
  /** Writer schema name or version (`ztf.alert` 3.3, `lsst.v10_0.alert`, ...). */
  schema?: string;
  objectId: string;
  alertId?: string;
  /** The triggering detection (ZTF candid, Rubin diaSourceId). */
  sourceId?: string;
  ra?: number;
  dec?: number;
  /** Real/bogus score of the triggering detection: ZTF drb (deep) or rb, Rubin reliability. */
  realBogus?: { score: number; name: 'drb' | 'rb' | 'reliability' };
  /** ZTF sgscore1 of the nearest PS1 source (1 = star, 0 = galaxy). */
  starGalaxy?: number;
  /** Distance to the nearest catalogued source / host in arcsec (ZTF distpsnr1, ELAsTiCC hostgal_snsep). */
  hostDistanceArcsec?: number;
  /** Rubin extendedness (0 point-like … 1 extended) of the triggering detection. */
  extendedness?: number;
  /** Host photometric or final redshift where the alert carries one (ELAsTiCC z_final). */
  hostRedshift?: number;
  /** Milky-Way E(B−V) where the alert carries it. */
  mwebv?: number;
  /** Measurements left out because the survey marked them as unmeasured, with counts by reason. */
  skipped?: Record<string, number>;
}

export interface LightCurveContent {
  /** Sorted by MJD, then kind (detection, forced, upper limit), then band. */
  points: LightCurvePoint[];
  context: LightCurveContext;
}

const bandAliases: Record<string, Band> = {
  ...Object.fromEntries(BANDS.map((band) => [band, band])),
  'ztf::g': 'ztfg', 'ztf::r': 'ztfr', 'ztf::i': 'ztfi',
};

/** A SkyPortal/sncosmo band name (`ztfr`, `lsstg`) to the common set; case-insensitive. */
export function canonicalBand(name: unknown, pointer: string): Band {
  const band = typeof name === 'string' ? bandAliases[name.trim().toLowerCase()] : undefined;
  if (!band) throw unknownBand(name, pointer);
  return band;
}

/** ZTF filter id (1 g, 2 r, 3 i). */
export function ztfBand(fid: unknown, pointer: string): Band {
  if (fid === 1) return 'ztfg';
  if (fid === 2) return 'ztfr';
  if (fid === 3) return 'ztfi';
  throw new InputError('Unknown band', [{ pointer, detail: `is ${JSON.stringify(fid)}; ZTF filter ids are 1 (g), 2 (r) and 3 (i)` }]);
}

/** A Rubin/ELAsTiCC band letter (`u g r i z y`, ELAsTiCC writes `Y`). */
export function lsstBand(letter: unknown, pointer: string): Band {
  const band = typeof letter === 'string' && /^[ugrizy]$/i.test(letter.trim()) ? (`lsst${letter.trim().toLowerCase()}` as Band) : undefined;
  if (!band) throw new InputError('Unknown band', [{ pointer, detail: `is ${JSON.stringify(letter)}; LSST bands are u, g, r, i, z and y` }]);
  return band;
}

export function unknownBand(name: unknown, pointer: string): InputError {
  return new InputError('Unknown band', [{ pointer, detail: `is ${JSON.stringify(name)}, which is not a supported band (${BANDS.join(', ')})` }]);
}

export const magToFlux = (mag: number, zp = UJY_ZERO_POINT): number => 10 ** ((zp - mag) / 2.5);
export const fluxToMag = (flux: number, zp = UJY_ZERO_POINT): number => zp - 2.5 * Math.log10(flux);
/** First-order propagation of a magnitude error to the flux it belongs to. */
export const magErrToFluxErr = (flux: number, magErr: number): number => (Math.abs(flux) * Math.LN10 * magErr) / 2.5;

const kindOrder: Record<PointKind, number> = { detection: 0, forced: 1, upperlimit: 2 };

/**
 * The checks shared by every format: at least one point with a flux (an alert or upload made only of upper
 * limits carries nothing to classify), finite numbers everywhere, positive errors. `where[i]` is the pointer
 * of the i-th point in the input, so that a problem is located where the client can see it.
 */
export function finishLightCurve(points: LightCurvePoint[], where: string[], context: LightCurveContext): LightCurveContent {
  const problems: FieldProblem[] = [];
  points.forEach((p, i) => {
    const at = where[i] ?? `/points/${i}`;
    if (!Number.isFinite(p.mjd)) problems.push({ pointer: at, detail: `has a time that is not a finite MJD (${p.mjd})` });
    if (p.kind !== 'upperlimit') {
      if (p.flux === null || !Number.isFinite(p.flux)) problems.push({ pointer: at, detail: `has a flux that is not finite (${p.flux})` });
      if (p.fluxErr === null || !Number.isFinite(p.fluxErr) || p.fluxErr < 0) {
        problems.push({ pointer: at, detail: `has a flux error that is not a finite non-negative number (${p.fluxErr})` });
      }
    } else if (p.limitingMag !== undefined && !Number.isFinite(p.limitingMag)) {
      problems.push({ pointer: at, detail: `has a limiting magnitude that is not finite (${p.limitingMag})` });
    } else if (p.limitingMag === undefined && (p.fluxErr === null || !Number.isFinite(p.fluxErr) || p.fluxErr <= 0)) {
      problems.push({ pointer: at, detail: 'is an upper limit with neither a limiting magnitude nor a positive flux error' });
    }
  });
  if (problems.length > 0) throw new InputError('Invalid light curve', problems.slice(0, 20));
  if (!points.some((p) => p.kind !== 'upperlimit')) {
    throw new InputError('Empty light curve', [{
      pointer: '',
      detail: points.length === 0
        ? 'has no photometry: no detection, forced measurement or upper limit'
        : `has ${points.length} upper limits and no detection or forced measurement with a flux`,
    }]);
  }
  const order = points.map((_, i) => i).sort((a, b) => {
    const pa = points[a];
    const pb = points[b];
    return pa.mjd - pb.mjd || kindOrder[pa.kind] - kindOrder[pb.kind] || pa.band.localeCompare(pb.band) || a - b;
  });
  return { points: order.map((i) => points[i]), context };
}

/** Counts per kind, for summaries and tests. */
export function countKinds(content: LightCurveContent): Record<PointKind, number> {
  const counts: Record<PointKind, number> = { detection: 0, forced: 0, upperlimit: 0 };
  for (const p of content.points) counts[p.kind]++;
  return counts;
}
