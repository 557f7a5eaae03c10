/**
 * Spectra as clients send them: a SkyPortal spectrum JSON object, or plain two/three-column ASCII (with
 * optional `#` header lines as written by SEDM, LRIS, SPRAT and SNIFS reductions). Both become a validated,
 * sorted `SpectrumContent`; anything that cannot be classified raises an `InputError` naming the field.
 */
import type { SpectrumContent } from '../provenance/records.js';
import { InputError, type FieldProblem } from './input-error.js';

/** Limits that depend on the model's input window, taken from its card. */
export interface SpectrumLimits {
  wavelengthMin: number;
  wavelengthMax: number;
  minPoints: number;
  /** Largest fraction of points whose flux may be missing (null, NaN, ±Inf). */
  maxMaskedFraction: number;
}

export interface SkyPortalSpectrum {
  wavelengths: number[];
  fluxes: (number | null)[];
  errors?: (number | null)[] | null;
  obj_id?: string;
  observed_at?: string;
  instrument?: string;
  instrument_name?: string;
  redshift?: number | null;
  phase?: number | null;
}

export interface ParsedSpectrum {
  objectId?: string;
  content: SpectrumContent;
}

export function spectrumFromSkyPortal(body: SkyPortalSpectrum, limits: SpectrumLimits): ParsedSpectrum {
  const content = validateSpectrum(
    {
      wavelengths: body.wavelengths,
      fluxes: body.fluxes.map((f) => (f === null ? Number.NaN : f)),
      errors: body.errors ? body.errors.map((e) => (e === null ? Number.NaN : e)) : undefined,
    },
    limits,
  );
  return {
    objectId: body.obj_id,
    content: withMetadata(content, {
      observedAt: body.observed_at,
      instrument: body.instrument ?? body.instrument_name,
      redshift: body.redshift ?? undefined,
      phase: body.phase ?? undefined,
    }),
  };
}

export interface AsciiMetadata {
  objectId?: string;
  observedAt?: string;
  instrument?: string;
  redshift?: number;
  phase?: number;
}

const headerKeys = {
  objectId: ['OBJECT', 'OBJNAME', 'OBJ_ID'],
  instrument: ['INSTRUME', 'INSTRUMENT'],
  observedAt: ['DATE-OBS', 'UTC', 'DATE'],
  redshift: ['REDSHIFT', 'Z'],
} as const;

const columnNames: Record<string, 'wavelength' | 'flux' | 'error'> = {
  wavelength: 'wavelength', wavelengths: 'wavelength', wave: 'wavelength', wl: 'wavelength', lambda: 'wavelength', lam: 'wavelength',
  flux: 'flux', fluxes: 'flux', fl: 'flux', f: 'flux', flam: 'flux',
  error: 'error', errors: 'error', err: 'error', fluxerr: 'error', flux_err: 'error', sigma: 'error', e: 'error',
};

interface ColumnLayout {
  wavelength: number;
  flux: number;
  error?: number;
  width: number;
}

/** Reads a column-name line ("wavelengths,fluxes,instrument_id" or "# wl fl err"); undefined if it is not one. */
function layoutFromNames(fields: string[]): ColumnLayout | undefined {
  const roles = fields.map((f) => columnNames[f.toLowerCase().replace(/^#/, '')]);
  const wavelength = roles.indexOf('wavelength');
  const flux = roles.indexOf('flux');
  if (wavelength < 0 || flux < 0) return undefined;
  const error = roles.indexOf('error');
  return { wavelength, flux, ...(error >= 0 ? { error } : {}), width: fields.length };
}

/**
 * Numeric columns separated by whitespace, commas or semicolons. Without a column-name line: wavelength,
 * flux and optionally error. A column-name line (plain or after `#`) picks the columns by name and lets
 * others be ignored. `#` lines may also carry FITS-like `KEY = value` or `KEY: value` headers. Explicit
 * metadata (query parameters) wins over headers.
 */
export function spectrumFromAscii(text: string, explicit: AsciiMetadata, limits: SpectrumLimits): ParsedSpectrum {
  const header = new Map<string, string>();
  const wavelengths: number[] = [];
  const fluxes: number[] = [];
  const errors: number[] = [];
  let layout: ColumnLayout | undefined;
  const unreadable = (line: number, detail: string) => new InputError('Unreadable spectrum', [{ pointer: `/line/${line}`, detail }], 400);
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^#\s*([A-Za-z][\w-]*)\s*[=:]\s*(.*?)\s*(\/.*)?$/.exec(line);
      if (match) header.set(match[1].toUpperCase(), match[2].replace(/^'(.*)'$/, '$1').trim());
      else if (!layout && wavelengths.length === 0) layout = layoutFromNames(line.slice(1).trim().split(/[\s,;]+/));
      continue;
    }
    const fields = line.split(/[\s,;]+/);
    const numbers = fields.map(parseNumber);
    if (numbers.some((n) => n === undefined)) {
      const named = wavelengths.length === 0 ? layoutFromNames(fields) : undefined;
      if (named) {
        layout = named;
        continue;
      }
      if (wavelengths.length === 0 && numbers.every((n) => n === undefined)) {
        throw unreadable(index + 1, `names columns that are not a spectrum's (wavelength, flux, optionally error) nor SkyPortal photometry's (mjd, filter, and flux, fluxerr, zp, magsys or mag, magerr, limiting_mag): "${line.slice(0, 80)}"`);
      }
      throw unreadable(index + 1, `is not numeric: "${line.slice(0, 80)}"`);
    }
    if (!layout) {
      if (fields.length < 2 || fields.length > 3) {
        throw unreadable(index + 1, `has ${fields.length} columns; expected wavelength, flux and optionally error (or a line naming the columns)`);
      }
      layout = { wavelength: 0, flux: 1, ...(fields.length === 3 ? { error: 2 } : {}), width: fields.length };
    }
    if (fields.length !== layout.width) {
      throw unreadable(index + 1, `has ${fields.length} columns where ${layout.width} are expected`);
    }
    wavelengths.push(numbers[layout.wavelength]!);
    fluxes.push(numbers[layout.flux]!);
    if (layout.error !== undefined) errors.push(numbers[layout.error]!);
  }
  const content = validateSpectrum({ wavelengths, fluxes, errors: layout?.error !== undefined ? errors : undefined }, limits);
  const fromHeader = (keys: readonly string[]) => keys.map((k) => header.get(k)).find((v) => v !== undefined && v !== '');
  const headerRedshift = fromHeader(headerKeys.redshift);
  return {
    objectId: explicit.objectId ?? fromHeader(headerKeys.objectId),
    content: withMetadata(content, {
      observedAt: explicit.observedAt ?? fromHeader(headerKeys.observedAt),
      instrument: explicit.instrument ?? fromHeader(headerKeys.instrument),
      redshift: explicit.redshift ?? (headerRedshift !== undefined ? finiteOrUndefined(Number(headerRedshift)) : undefined),
      phase: explicit.phase,
    }),
  };
}

function parseNumber(token: string): number | undefined {
  const lower = token.toLowerCase();
  if (lower === 'nan' || lower === 'null' || lower === '--') return Number.NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(token)) return undefined;
  return Number(token);
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function finiteOrUndefined(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

function withMetadata(content: SpectrumContent, metadata: Omit<SpectrumContent, 'wavelengths' | 'fluxes' | 'errors'>): SpectrumContent {
  const out: SpectrumContent = { ...content };
  for (const [key, value] of Object.entries(metadata)) {
    if (value !== undefined && value !== null && value !== '') (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

/**
 * The semantic checks a JSON Schema cannot express. Unsorted wavelengths are sorted (fluxes and errors
 * follow); duplicated wavelengths, mismatched lengths, too few or too many missing values, and no overlap with
 * the model's window are rejected.
 */
export function validateSpectrum(
  raw: { wavelengths: number[]; fluxes: number[]; errors?: number[] },
  limits: SpectrumLimits,
): SpectrumContent {
  const problems: FieldProblem[] = [];
  const n = raw.wavelengths.length;
  if (n === 0) problems.push({ pointer: '/wavelengths', detail: 'is empty' });
  if (raw.fluxes.length !== n) {
    problems.push({ pointer: '/fluxes', detail: `has ${raw.fluxes.length} values but wavelengths has ${n}` });
  }
  if (raw.errors && raw.errors.length !== n) {
    problems.push({ pointer: '/errors', detail: `has ${raw.errors.length} values but wavelengths has ${n}` });
  }
  if (problems.length > 0) throw new InputError('Invalid spectrum', problems);

  const badWavelength = raw.wavelengths.findIndex((w) => !Number.isFinite(w) || w <= 0);
  if (badWavelength >= 0) {
    throw new InputError('Invalid spectrum', [
      { pointer: `/wavelengths/${badWavelength}`, detail: `must be a finite positive wavelength in Å, got ${raw.wavelengths[badWavelength]}` },
    ]);
  }
  if (n < limits.minPoints) {
    throw new InputError('Invalid spectrum', [{ pointer: '/wavelengths', detail: `has ${n} points; at least ${limits.minPoints} are needed` }]);
  }

  const order = Array.from({ length: n }, (_, i) => i);
  const sorted = order.every((i) => i === 0 || raw.wavelengths[i - 1] < raw.wavelengths[i]);
  if (!sorted) order.sort((a, b) => raw.wavelengths[a] - raw.wavelengths[b]);
  const wavelengths = order.map((i) => raw.wavelengths[i]);
  const duplicate = wavelengths.findIndex((w, i) => i > 0 && w === wavelengths[i - 1]);
  if (duplicate >= 0) {
    throw new InputError('Invalid spectrum', [{ pointer: '/wavelengths', detail: `contains the wavelength ${wavelengths[duplicate]} more than once` }]);
  }
  const fluxes = order.map((i) => raw.fluxes[i]);
  const errors = raw.errors ? order.map((i) => raw.errors![i]) : undefined;

  const masked = fluxes.filter((f) => !Number.isFinite(f)).length;
  if (masked / n > limits.maxMaskedFraction) {
    throw new InputError('Invalid spectrum', [
      { pointer: '/fluxes', detail: `has ${masked} of ${n} values missing or not finite; at most ${Math.round(limits.maxMaskedFraction * 100)}% may be` },
    ]);
  }
  const inWindow = wavelengths.filter((w, i) => w >= limits.wavelengthMin && w <= limits.wavelengthMax && Number.isFinite(fluxes[i])).length;
  if (inWindow < limits.minPoints) {
    throw new InputError('Invalid spectrum', [{
      pointer: '/wavelengths',
      detail: `covers ${wavelengths[0]}–${wavelengths[n - 1]} Å with ${inWindow} usable points inside the model's observer-frame window ${limits.wavelengthMin}–${limits.wavelengthMax} Å; at least ${limits.minPoints} are needed`,
    }]);
  }
  return {
    wavelengths,
    fluxes: fluxes.map(finiteOrNull),
    ...(errors ? { errors: errors.map(finiteOrNull) } : {}),
  };
}
