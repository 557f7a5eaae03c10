/**
 * Alerts built on the LSST DIA data model: Rubin alerts (`lsst.vN_M.alert`, read with the writer's schema:
 * diaSource, prvDiaSources, prvDiaForcedSources, diaObject; `band`, `midpointMjdTai`, `psfFlux` [nJy]) and
 * ELAsTiCC alerts (`elasticc.v0_9*.alert`: `filterName`, `midPointTai`, `psFlux` [nJy], optional
 * prvDiaNondetectionLimits with a 1σ `diaNoise`, and host-galaxy context on diaObject). Both, from Avro or
 * JSON, become the canonical light curve; nJy are divided by 1000 into µJy.
 */
import { InputError } from '../input-error.js';
import { finishLightCurve, fluxToMag, lsstBand, type LightCurveContent, type LightCurvePoint, type PointKind } from '../lightcurve.js';
import { asRecord, idOf, numberOf, type AlertOptions } from './fields.js';

const NJY_PER_UJY = 1000;

export type DiaFlavour = 'lsst' | 'elasticc';

/** Which DIA flavour a decoded record is, from its fields (Rubin: band/psfFlux; ELAsTiCC: filterName/psFlux). */
export function diaFlavour(record: Record<string, unknown>): DiaFlavour | undefined {
  const source = record.diaSource;
  if (source === null || typeof source !== 'object') return undefined;
  const s = source as Record<string, unknown>;
  if ('psfFlux' in s || 'band' in s || 'midpointMjdTai' in s) return 'lsst';
  if ('psFlux' in s || 'filterName' in s || 'midPointTai' in s) return 'elasticc';
  return undefined;
}

interface Names {
  time: string;
  band: string;
  flux: string;
  fluxErr: string;
}
const names: Record<DiaFlavour, Names> = {
  lsst: { time: 'midpointMjdTai', band: 'band', flux: 'psfFlux', fluxErr: 'psfFluxErr' },
  elasticc: { time: 'midPointTai', band: 'filterName', flux: 'psFlux', fluxErr: 'psFluxErr' },
};

export function diaLightCurve(record: Record<string, unknown>, flavour: DiaFlavour, format: string, schemaName: string | undefined, options: AlertOptions = {}): LightCurveContent {
  const n = names[flavour];
  const source = asRecord(record.diaSource, '/diaSource');
  const object = record.diaObject === null || record.diaObject === undefined ? undefined : asRecord(record.diaObject, '/diaObject');
  // diaSource's long first: Fink's Parquet exports hold diaObject.diaObjectId as a double (precision lost).
  const rawObjectId = source.diaObjectId ?? object?.diaObjectId;
  const objectId = rawObjectId !== null && rawObjectId !== undefined && idOf(rawObjectId) !== '0' ? idOf(rawObjectId) : options.objectId;
  if (!objectId) {
    throw new InputError('Invalid alert', [{
      pointer: '/diaSource/diaObjectId',
      detail: `is missing or 0${source.ssObjectId ? ` (the source belongs to solar-system object ${idOf(source.ssObjectId)})` : ''}; a diaObjectId is required to classify an alert`,
    }]);
  }

  const points: LightCurvePoint[] = [];
  const where: string[] = [];
  const skipped: Record<string, number> = {};
  const seen = new Set<string>();
  const add = (row: unknown, kind: PointKind, at: string, idField: string) => {
    const r = asRecord(row, at);
    const id = r[idField] !== null && r[idField] !== undefined ? idOf(r[idField]) : undefined;
    if (id !== undefined && kind === 'detection') {
      if (seen.has(id)) {
        skipped.duplicate = (skipped.duplicate ?? 0) + 1;
        return;
      }
      seen.add(id);
    }
    const point = diaPoint(r, kind, at, n);
    if (!point) {
      skipped.noFlux = (skipped.noFlux ?? 0) + 1;
      return;
    }
    if (id !== undefined) point.sourceId = id;
    points.push(point);
    where.push(at);
  };
  add(source, 'detection', '/diaSource', 'diaSourceId');
  listOf(record.prvDiaSources, '/prvDiaSources').forEach((row, i) => add(row, 'detection', `/prvDiaSources/${i}`, 'diaSourceId'));
  listOf(record.prvDiaForcedSources, '/prvDiaForcedSources').forEach((row, i) => add(row, 'forced', `/prvDiaForcedSources/${i}`, 'diaForcedSourceId'));
  listOf(record.prvDiaNondetectionLimits, '/prvDiaNondetectionLimits').forEach((row, i) => {
    const at = `/prvDiaNondetectionLimits/${i}`;
    const r = asRecord(row, at);
    const noise = numberOf(r.diaNoise);
    if (noise === undefined || noise <= 0) throw new InputError('Invalid alert', [{ pointer: `${at}/diaNoise`, detail: `must be a positive 1σ noise in nJy, got ${JSON.stringify(r.diaNoise)}` }]);
    const fluxErr = noise / NJY_PER_UJY;
    points.push({ mjd: timeOf(r, n.time, at), band: lsstBand(r[n.band], `${at}/${n.band}`), kind: 'upperlimit', flux: null, fluxErr, limitingMag: fluxToMag(5 * fluxErr) });
    where.push(at);
  });

  const reliability = numberOf(source.reliability);
  const extendedness = numberOf(source.extendedness);
  const ra = numberOf(source.ra) ?? numberOf(object?.ra);
  const dec = numberOf(source.dec) ?? numberOf(source.decl) ?? numberOf(object?.dec) ?? numberOf(object?.decl);
  const hostSep = numberOf(object?.hostgal_snsep);
  const z = numberOf(object?.z_final);
  const mwebv = numberOf(object?.mwebv);
  const alertId = record.alertId ?? record.diaSourceId;
  return finishLightCurve(points, where, {
    survey: flavour,
    format,
    ...(schemaName ? { schema: schemaName } : {}),
    objectId,
    ...(alertId !== undefined && alertId !== null ? { alertId: idOf(alertId) } : {}),
    ...(source.diaSourceId !== undefined ? { sourceId: idOf(source.diaSourceId) } : {}),
    ...(ra !== undefined ? { ra } : {}),
    ...(dec !== undefined ? { dec } : {}),
    ...(reliability !== undefined ? { realBogus: { score: reliability, name: 'reliability' as const } } : {}),
    ...(extendedness !== undefined ? { extendedness } : {}),
    // ELAsTiCC writes −9/−99/−999 for "no host"; only physical values are kept.
    ...(hostSep !== undefined && hostSep >= 0 ? { hostDistanceArcsec: hostSep } : {}),
    ...(z !== undefined && z >= 0 ? { hostRedshift: z } : {}),
    ...(mwebv !== undefined && mwebv >= 0 ? { mwebv } : {}),
    ...(Object.keys(skipped).length > 0 ? { skipped } : {}),
  });
}

function listOf(value: unknown, pointer: string): unknown[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new InputError('Invalid alert', [{ pointer, detail: 'must be an array or null' }]);
  return value;
}

function timeOf(row: Record<string, unknown>, field: string, at: string): number {
  const t = row[field];
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new InputError('Invalid alert', [{ pointer: `${at}/${field}`, detail: `must be a finite MJD, got ${JSON.stringify(t)}` }]);
  return t;
}

/** undefined when the survey left the flux null (e.g. a failed forced measurement): counted, not classified. */
function diaPoint(row: Record<string, unknown>, kind: PointKind, at: string, n: Names): LightCurvePoint | undefined {
  const mjd = timeOf(row, n.time, at);
  const band = lsstBand(row[n.band], `${at}/${n.band}`);
  const flux = row[n.flux];
  const err = row[n.fluxErr];
  if (flux === null || flux === undefined) return undefined;
  if (typeof flux !== 'number' || !Number.isFinite(flux)) {
    throw new InputError('Invalid alert', [{ pointer: `${at}/${n.flux}`, detail: `must be a finite flux in nJy, got ${JSON.stringify(flux)}` }]);
  }
  if (typeof err !== 'number' || !Number.isFinite(err) || err < 0) {
    throw new InputError('Invalid alert', [{ pointer: `${at}/${n.fluxErr}`, detail: `must be a finite non-negative flux error in nJy, got ${JSON.stringify(err)}` }]);
  }
  return { mjd, band, kind, flux: flux / NJY_PER_UJY, fluxErr: err / NJY_PER_UJY };
}
