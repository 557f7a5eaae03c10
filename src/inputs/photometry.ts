/**
 * SkyPortal photometry as clients send it, to the canonical light curve (µJy AB, see lightcurve.ts):
 *
 * - column form (SkyPortal's `PhotometryFlux`/`PhotometryMag` bodies): `obj_id`, arrays `mjd`, `flux`,
 *   `fluxerr`, `zp`, `filter`, scalar or array `magsys` (and scalar or array `zp`, `filter`); or the mag form
 *   `mag`, `magerr`, `limiting_mag`;
 * - row form: an array of objects with the same keys (or `{obj_id, data: [...]}`);
 * - CSV, SkyPortal's upload format: a header line naming `filter,mjd,flux|mag,fluxerr|magerr,zp,magsys[,limiting_mag]`
 *   in any order; other columns (ra, dec, ...) are ignored.
 *
 * A flux-form row with no flux is a non-detection: its `fluxerr` is the 1σ noise and the limiting magnitude
 * is taken at `nSigma` (5 by default). A mag-form row with no mag is an upper limit at `limiting_mag`.
 * Only AB magnitudes are accepted (`magsys` other than `ab` is refused rather than guessed).
 */
import { InputError, type FieldProblem } from './input-error.js';
import { canonicalBand, finishLightCurve, magErrToFluxErr, magToFlux, UJY_ZERO_POINT, type LightCurveContent, type LightCurvePoint } from './lightcurve.js';

export interface PhotometryOptions {
  /** Object id when the body names none (CSV uploads usually do not). */
  objectId?: string;
  /** Significance of a flux-form non-detection's limit (SkyPortal's detection threshold). */
  nSigma?: number;
}

export interface ParsedPhotometry {
  objectId: string;
  content: LightCurveContent;
}

type Row = { value: (field: string) => unknown; pointer: (field: string) => string; where: string };

const csvTypes = new Set(['text/csv', 'application/csv', 'text/plain']);
const jsonTypes = new Set(['application/json', 'text/json']);
const columns = ['mjd', 'flux', 'fluxerr', 'zp', 'filter', 'magsys', 'mag', 'magerr', 'limiting_mag'] as const;

export function parsePhotometry(body: Uint8Array | string | Record<string, unknown> | unknown[], contentType?: string, options: PhotometryOptions = {}): ParsedPhotometry {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (type && !csvTypes.has(type) && !jsonTypes.has(type)) {
    throw new InputError('Unsupported media type', [{ pointer: '/content-type', detail: `is "${type}"; photometry is accepted as application/json or text/csv` }], 415);
  }
  if (typeof body === 'object' && !(body instanceof Uint8Array)) return fromJson(body, options);
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const start = text.trimStart()[0];
  if (jsonTypes.has(type ?? '') || start === '{' || start === '[') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new InputError('Unreadable photometry', [{ pointer: '', detail: `is not valid JSON: ${(error as Error).message}` }], 400);
    }
    if (parsed === null || typeof parsed !== 'object') throw new InputError('Invalid photometry', [{ pointer: '', detail: 'must be a JSON object or array' }]);
    return fromJson(parsed as Record<string, unknown>, options);
  }
  return fromCsv(text, options);
}

function fromJson(body: Record<string, unknown> | unknown[], options: PhotometryOptions): ParsedPhotometry {
  if (Array.isArray(body)) return build(rowsOf(body, ''), objectIdOf(body[0], options), 'skyportal-json-rows', options);
  if (Array.isArray(body.data)) return build(rowsOf(body.data, '/data'), objectIdOf(body, options), 'skyportal-json-rows', options);
  const n = Array.isArray(body.mjd) ? body.mjd.length : undefined;
  if (n === undefined) throw new InputError('Invalid photometry', [{ pointer: '/mjd', detail: 'must be an array of MJDs (column form), or the body an array of rows' }]);
  const problems: FieldProblem[] = [];
  for (const field of columns) {
    const v = body[field];
    if (Array.isArray(v) && v.length !== n) problems.push({ pointer: `/${field}`, detail: `has ${v.length} values but mjd has ${n}` });
  }
  if (problems.length > 0) throw new InputError('Invalid photometry', problems);
  const rows: Row[] = Array.from({ length: n }, (_, i) => ({
    value: (field) => (Array.isArray(body[field]) ? (body[field] as unknown[])[i] : body[field]),
    pointer: (field) => (Array.isArray(body[field]) ? `/${field}/${i}` : `/${field}`),
    where: `/mjd/${i}`,
  }));
  return build(rows, objectIdOf(body, options), 'skyportal-json-columns', options);
}

function rowsOf(list: unknown[], prefix: string): Row[] {
  return list.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new InputError('Invalid photometry', [{ pointer: `${prefix}/${i}`, detail: 'must be an object with mjd, filter and flux or mag' }]);
    }
    const row = item as Record<string, unknown>;
    return { value: (field) => row[field], pointer: (field) => `${prefix}/${i}/${field}`, where: `${prefix}/${i}` };
  });
}

function objectIdOf(body: unknown, options: PhotometryOptions): string {
  const id = body && typeof body === 'object' ? (body as Record<string, unknown>).obj_id : undefined;
  if (typeof id === 'string' && id.trim() !== '') return id.trim();
  if (options.objectId) return options.objectId;
  throw new InputError('Invalid photometry', [{ pointer: '/obj_id', detail: 'is missing: name the object (obj_id in the body or objectId in the query)' }]);
}

function fromCsv(text: string, options: PhotometryOptions): ParsedPhotometry {
  const lines = text.split(/\r?\n/);
  let headerLine = -1;
  let header: string[] = [];
  const rows: Row[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(',').map((f) => f.trim());
    if (headerLine < 0) {
      header = fields.map((f) => f.toLowerCase());
      headerLine = index + 1;
      if (!header.includes('mjd') || !header.includes('filter')) {
        throw new InputError('Unreadable photometry', [{ pointer: `/line/${headerLine}`, detail: `must be a header naming at least mjd and filter, got "${line.slice(0, 80)}"` }], 400);
      }
      continue;
    }
    if (fields.length !== header.length) {
      throw new InputError('Unreadable photometry', [{ pointer: `/line/${index + 1}`, detail: `has ${fields.length} columns where the header has ${header.length}` }], 400);
    }
    const lineNo = index + 1;
    rows.push({
      value: (field) => {
        const k = header.indexOf(field);
        if (k < 0) return undefined;
        const raw = fields[k];
        if (field === 'filter' || field === 'magsys') return raw === '' ? undefined : raw;
        if (raw === '' || /^(nan|null|none|--)$/i.test(raw)) return null;
        return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : raw;
      },
      pointer: (field) => `/line/${lineNo}/${field}`,
      where: `/line/${lineNo}`,
    });
  }
  if (headerLine < 0) throw new InputError('Empty light curve', [{ pointer: '', detail: 'has no header and no rows' }]);
  return build(rows, options.objectId ?? '', 'skyportal-csv', options, true);
}

function build(rows: Row[], objectId: string, format: string, options: PhotometryOptions, csv = false): ParsedPhotometry {
  if (csv && !objectId) {
    throw new InputError('Invalid photometry', [{ pointer: '/objectId', detail: 'is missing: a CSV upload names no object; pass objectId' }]);
  }
  const nSigma = options.nSigma ?? 5;
  const points: LightCurvePoint[] = [];
  const where: string[] = [];
  for (const row of rows) {
    points.push(rowPoint(row, nSigma));
    where.push(row.where);
  }
  return { objectId, content: finishLightCurve(points, where, { survey: 'skyportal', format, objectId }) };
}

function num(row: Row, field: string, required: boolean): number | null {
  const v = row.value(field);
  if (v === null || v === undefined) {
    if (required) throw new InputError('Invalid photometry', [{ pointer: row.pointer(field), detail: 'is missing' }]);
    return null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new InputError('Invalid photometry', [{ pointer: row.pointer(field), detail: `must be a finite number, got ${JSON.stringify(v)}` }]);
  }
  return v;
}

function rowPoint(row: Row, nSigma: number): LightCurvePoint {
  const mjd = num(row, 'mjd', true)!;
  const band = canonicalBand(row.value('filter'), row.pointer('filter'));
  const magsys = row.value('magsys');
  if (magsys !== undefined && magsys !== null && String(magsys).toLowerCase() !== 'ab') {
    throw new InputError('Invalid photometry', [{ pointer: row.pointer('magsys'), detail: `is ${JSON.stringify(magsys)}; only AB photometry is accepted` }]);
  }
  const hasFluxForm = row.value('fluxerr') !== undefined || row.value('flux') !== undefined;
  if (hasFluxForm) {
    const zp = num(row, 'zp', true)!;
    const scale = 10 ** ((UJY_ZERO_POINT - zp) / 2.5);
    const flux = num(row, 'flux', false);
    const fluxerr = num(row, 'fluxerr', true)!;
    if (fluxerr < 0) throw new InputError('Invalid photometry', [{ pointer: row.pointer('fluxerr'), detail: `must not be negative, got ${fluxerr}` }]);
    if (flux === null) {
      if (fluxerr === 0) throw new InputError('Invalid photometry', [{ pointer: row.pointer('fluxerr'), detail: 'must be positive for a non-detection (no flux)' }]);
      return { mjd, band, kind: 'upperlimit', flux: null, fluxErr: fluxerr * scale, limitingMag: zp - 2.5 * Math.log10(nSigma * fluxerr) };
    }
    return { mjd, band, kind: 'detection', flux: flux * scale, fluxErr: fluxerr * scale };
  }
  const mag = num(row, 'mag', false);
  if (mag === null) {
    const lim = num(row, 'limiting_mag', false);
    if (lim === null) {
      throw new InputError('Invalid photometry', [{ pointer: row.pointer(row.value('mag') === undefined ? 'flux' : 'limiting_mag'), detail: 'is missing: a row needs flux and fluxerr, mag and magerr, or a limiting_mag' }]);
    }
    return { mjd, band, kind: 'upperlimit', flux: null, fluxErr: magToFlux(lim) / 5, limitingMag: lim };
  }
  const magerr = num(row, 'magerr', true)!;
  if (magerr < 0) throw new InputError('Invalid photometry', [{ pointer: row.pointer('magerr'), detail: `must not be negative, got ${magerr}` }]);
  const flux = magToFlux(mag);
  const lim = num(row, 'limiting_mag', false);
  return { mjd, band, kind: 'detection', flux, fluxErr: magErrToFluxErr(flux, magerr), ...(lim !== null ? { limitingMag: lim } : {}) };
}
