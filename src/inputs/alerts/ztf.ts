/**
 * ZTF alert packets (schemavsn 3.2 … 4.02, and the older packets without `schemavsn` that SkyPortal keeps
 * as test data) to the canonical light curve, whether they were decoded from Avro or sent as JSON.
 *
 * - candidate and prv_candidates with `magpsf` → detections (flux from magpsf/sigmapsf, sign from isdiffpos);
 * - prv_candidates without `magpsf` → upper limits at `diffmaglim` (5σ);
 * - fp_hists (v4.x) → forced photometry from `forcediffimflux`/`forcediffimfluxunc` [DN] scaled by `magzpsci`;
 *   entries with the −99999 "no measurement" sentinel or a null flux are skipped and counted; `procstatus`
 *   is kept on every point;
 * - BOOM/Babamul's enriched ZTF alert (`BabamulZtfAlert`): fluxes `psfFlux`/`psfFluxErr` in units of 1e-9 µJy
 *   (checked against `magpsf` on the candidate), `prv_nondetections` with a 1σ `psfFluxErr`.
 * Fields missing in older versions (drb, fp_hists, sgscore1, distpsnr1) are simply absent from the context.
 */
import { InputError } from '../input-error.js';
import { finishLightCurve, magErrToFluxErr, magToFlux, fluxToMag, ztfBand, lsstBand, type Band, type LightCurveContent, type LightCurvePoint } from '../lightcurve.js';
import { asRecord, idOf, numberOf, type AlertOptions } from './fields.js';

const JD_TO_MJD = 2400000.5;
/** ZTF forced photometry writes this for "no measurement". */
const FP_NO_MEASUREMENT = -99999;
/** Babamul's ZTF psfFlux unit in µJy (1e-15 Jy). */
const BABAMUL_FLUX_UNIT_UJY = 1e-9;

export function isZtfAlert(record: Record<string, unknown>): boolean {
  return 'candidate' in record && ('prv_candidates' in record || 'candid' in record || 'objectId' in record);
}

export function ztfLightCurve(record: Record<string, unknown>, format: string, schemaName: string | undefined, options: AlertOptions = {}): LightCurveContent {
  const candidate = asRecord(record.candidate, '/candidate');
  const objectId = typeof record.objectId === 'string' && record.objectId !== '' ? record.objectId : options.objectId;
  if (!objectId) {
    throw new InputError('Invalid ZTF alert', [{
      pointer: '/objectId',
      detail: `is missing${record.alertId !== undefined ? ` (the packet has only alertId ${String(record.alertId)}: a pre-survey simulated ZTF packet)` : ''}; an object id is required to classify an alert`,
    }]);
  }
  const babamul = schemaName === 'BabamulZtfAlert' || 'prv_nondetections' in record || typeof candidate.psfFlux === 'number';
  const points: LightCurvePoint[] = [];
  const where: string[] = [];
  const skipped: Record<string, number> = {};
  const push = (p: LightCurvePoint | undefined, at: string) => {
    if (p) {
      points.push(p);
      where.push(at);
    }
  };

  push(babamul ? babamulPoint(candidate, 'detection', '/candidate') : ztfPoint(candidate, '/candidate'), '/candidate');
  const prv = record.prv_candidates;
  if (prv !== null && prv !== undefined) {
    if (!Array.isArray(prv)) throw new InputError('Invalid ZTF alert', [{ pointer: '/prv_candidates', detail: 'must be an array or null' }]);
    const seen = new Set(points.map((p) => p.sourceId));
    prv.forEach((entry, i) => {
      const at = `/prv_candidates/${i}`;
      const p = babamul ? babamulPoint(asRecord(entry, at), 'detection', at) : ztfPoint(asRecord(entry, at), at);
      if (p?.sourceId && seen.has(p.sourceId)) {
        skipped.duplicate = (skipped.duplicate ?? 0) + 1;
        return;
      }
      if (p?.sourceId) seen.add(p.sourceId);
      push(p, at);
    });
  }
  if (Array.isArray(record.prv_nondetections)) {
    record.prv_nondetections.forEach((entry, i) => {
      const at = `/prv_nondetections/${i}`;
      push(babamulPoint(asRecord(entry, at), 'upperlimit', at), at);
    });
  }
  const fp = record.fp_hists;
  if (fp !== null && fp !== undefined) {
    if (!Array.isArray(fp)) throw new InputError('Invalid ZTF alert', [{ pointer: '/fp_hists', detail: 'must be an array or null' }]);
    fp.forEach((entry, i) => {
      const at = `/fp_hists/${i}`;
      const row = asRecord(entry, at);
      const p = babamul ? babamulPoint(row, 'forced', at) : forcedPoint(row, at);
      if (p === undefined) skipped.forcedNoMeasurement = (skipped.forcedNoMeasurement ?? 0) + 1;
      push(p, at);
    });
  }

  const drb = numberOf(candidate.drb);
  const rb = numberOf(candidate.rb);
  const ra = numberOf(candidate.ra);
  const dec = numberOf(candidate.dec);
  const sg = numberOf(candidate.sgscore1);
  const dist = numberOf(candidate.distpsnr1);
  const version = typeof record.schemavsn === 'string' ? record.schemavsn : undefined;
  return finishLightCurve(points, where, {
    survey: 'ztf',
    format,
    ...(schemaName || version ? { schema: [schemaName, version].filter(Boolean).join(' ') } : {}),
    objectId,
    ...(record.alertId !== undefined ? { alertId: idOf(record.alertId) } : {}),
    ...(candidate.candid !== undefined || record.candid !== undefined ? { sourceId: idOf(candidate.candid ?? record.candid) } : {}),
    ...(ra !== undefined ? { ra } : {}),
    ...(dec !== undefined ? { dec } : {}),
    ...(drb !== undefined ? { realBogus: { score: drb, name: 'drb' as const } } : rb !== undefined ? { realBogus: { score: rb, name: 'rb' as const } } : {}),
    // ZTF writes −999 where there is no PS1 source within its search radius.
    ...(sg !== undefined && sg >= 0 ? { starGalaxy: sg } : {}),
    ...(dist !== undefined && dist >= 0 ? { hostDistanceArcsec: dist } : {}),
    ...(Object.keys(skipped).length > 0 ? { skipped } : {}),
  });
}

function mjdOf(row: Record<string, unknown>, at: string): number {
  const jd = row.jd;
  if (typeof jd !== 'number' || !Number.isFinite(jd)) throw new InputError('Invalid ZTF alert', [{ pointer: `${at}/jd`, detail: `must be a finite Julian date, got ${JSON.stringify(jd)}` }]);
  return jd - JD_TO_MJD;
}

function ztfPoint(row: Record<string, unknown>, at: string): LightCurvePoint {
  const mjd = mjdOf(row, at);
  const band = ztfBand(row.fid, `${at}/fid`);
  const magpsf = row.magpsf;
  const sourceId = row.candid !== null && row.candid !== undefined ? idOf(row.candid) : undefined;
  if (magpsf === null || magpsf === undefined) {
    const lim = row.diffmaglim;
    if (typeof lim !== 'number' || !Number.isFinite(lim)) {
      throw new InputError('Invalid ZTF alert', [{ pointer: `${at}/diffmaglim`, detail: `must be a finite magnitude when magpsf is null (an upper limit), got ${JSON.stringify(lim)}` }]);
    }
    return { mjd, band, kind: 'upperlimit', flux: null, fluxErr: magToFlux(lim) / 5, limitingMag: lim, ...(sourceId ? { sourceId } : {}) };
  }
  if (typeof magpsf !== 'number' || !Number.isFinite(magpsf)) {
    throw new InputError('Invalid ZTF alert', [{ pointer: `${at}/magpsf`, detail: `must be a finite magnitude or null, got ${JSON.stringify(magpsf)}` }]);
  }
  const sigma = row.sigmapsf;
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw new InputError('Invalid ZTF alert', [{ pointer: `${at}/sigmapsf`, detail: `must be a finite non-negative magnitude error, got ${JSON.stringify(sigma)}` }]);
  }
  const negative = row.isdiffpos === 'f' || row.isdiffpos === '0' || row.isdiffpos === 0 || row.isdiffpos === false;
  const size = magToFlux(magpsf);
  const flags: Record<string, string | number | boolean> = {};
  if (row.isdiffpos !== undefined && row.isdiffpos !== null) flags.isdiffpos = row.isdiffpos as string | number | boolean;
  return {
    mjd, band, kind: 'detection',
    flux: negative ? -size : size,
    fluxErr: magErrToFluxErr(size, sigma),
    ...(sourceId ? { sourceId } : {}),
    ...(Object.keys(flags).length > 0 ? { flags } : {}),
  };
}

function forcedPoint(row: Record<string, unknown>, at: string): LightCurvePoint | undefined {
  const mjd = mjdOf(row, at);
  const band = ztfBand(row.fid, `${at}/fid`);
  const flux = numberOf(row.forcediffimflux);
  const unc = numberOf(row.forcediffimfluxunc);
  if (flux === undefined || flux === FP_NO_MEASUREMENT || unc === undefined || unc === FP_NO_MEASUREMENT) return undefined;
  const zp = numberOf(row.magzpsci);
  if (zp === undefined) {
    throw new InputError('Invalid ZTF alert', [{ pointer: `${at}/magzpsci`, detail: 'is missing: a forced flux in DN cannot be calibrated without the image zero point' }]);
  }
  const scale = 10 ** ((23.9 - zp) / 2.5);
  const flags: Record<string, string | number | boolean> = {};
  if (typeof row.procstatus === 'string') flags.procstatus = row.procstatus;
  const lim = numberOf(row.diffmaglim);
  return {
    mjd, band, kind: 'forced', flux: flux * scale, fluxErr: unc * scale,
    ...(lim !== undefined ? { limitingMag: lim } : {}),
    ...(Object.keys(flags).length > 0 ? { flags } : {}),
  };
}

/** A Babamul ZTF row: `band` letter, `psfFlux`/`psfFluxErr` in 1e-9 µJy; survey_matches are not merged. */
function babamulPoint(row: Record<string, unknown>, kind: LightCurvePoint['kind'], at: string): LightCurvePoint {
  const mjd = mjdOf(row, at);
  const band: Band = typeof row.fid === 'number' ? ztfBand(row.fid, `${at}/fid`) : ztfFromLetter(row.band, `${at}/band`);
  const err = numberOf(row.psfFluxErr);
  if (err === undefined) throw new InputError('Invalid ZTF alert', [{ pointer: `${at}/psfFluxErr`, detail: 'must be a finite number' }]);
  const sourceId = row.candid !== null && row.candid !== undefined ? idOf(row.candid) : undefined;
  if (kind === 'upperlimit') {
    const fluxErr = err * BABAMUL_FLUX_UNIT_UJY;
    return { mjd, band, kind, flux: null, fluxErr, limitingMag: fluxToMag(5 * fluxErr) };
  }
  const flux = numberOf(row.psfFlux);
  if (flux === undefined) throw new InputError('Invalid ZTF alert', [{ pointer: `${at}/psfFlux`, detail: 'must be a finite number' }]);
  return { mjd, band, kind, flux: flux * BABAMUL_FLUX_UNIT_UJY, fluxErr: err * BABAMUL_FLUX_UNIT_UJY, ...(sourceId ? { sourceId } : {}) };
}

function ztfFromLetter(letter: unknown, pointer: string): Band {
  const lsst = lsstBand(letter, pointer);
  if (lsst === 'lsstg') return 'ztfg';
  if (lsst === 'lsstr') return 'ztfr';
  if (lsst === 'lssti') return 'ztfi';
  throw new InputError('Unknown band', [{ pointer, detail: `is ${JSON.stringify(letter)}; ZTF observes in g, r and i` }]);
}
