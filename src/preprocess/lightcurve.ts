/**
 * Light curve → model tensor, exactly as `artifacts/README.md` ("lightcurve-grid-v1") and
 * training/lightcurve/preprocess.py define it. Computed in float64 (points in input order) and cast to float32
 * at the end; test/golden-lightcurve.test.ts proves agreement with Python within 1e-5.
 */
import { InputError } from '../inputs/input-error.js';
import type { LightCurveContent, LightCurvePoint } from '../inputs/lightcurve.js';

export interface LightCurvePreprocessing {
  kind: 'lightcurve-grid-v1';
  /** Slot name → the canonical bands that feed it, e.g. `{ g: ['ztfg', 'lsstg'], ... }`. */
  bands: Record<string, string[]>;
  /** Slot order (slot-major channels). */
  slots: string[];
  /** Channels per slot, in order: flux, err, mask, ulim. */
  channelsPerSlot: string[];
  binDays: number;
  preDays: number;
  length: number;
  /** flux/fluxErr needed for t0 when there is no detection. */
  t0SnrFallback: number;
  /** |flux/peak|, err/peak and ulim/peak are clipped to this. */
  clip: number;
  /** AB zero point of µJy (23.9). */
  zeroPoint: number;
  meta?: string[];
  limits: { minPoints: number; minCoverage: number };
}

export interface LightCurveTensor {
  /** [slots × 4, length]: per slot flux/peak, err/peak, observed mask, upper-limit flux/peak. */
  x: Float32Array;
  /** [log10(peak), hostRedshift or 0, hostRedshift given, (last − first detection MJD)/100]. */
  meta: Float32Array;
  /** Fraction of time bins with at least one measurement in any band. */
  coverage: number;
}

const fin = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function reject(detail: string): never {
  throw new InputError('Invalid light curve', [{ pointer: '/points', detail }]);
}

export function preprocessLightCurve(content: LightCurveContent, params: LightCurvePreprocessing): LightCurveTensor {
  const slotOf = new Map<string, number>();
  params.slots.forEach((s, i) => { for (const b of params.bands[s] ?? []) slotOf.set(b, i); });
  const usable = (p: LightCurvePoint): boolean =>
    (p.kind === 'detection' || p.kind === 'forced') && fin(p.mjd) && fin(p.flux) && fin(p.fluxErr) && p.fluxErr > 0 && slotOf.has(p.band);

  const points = content.points;
  let t0 = Infinity;
  let firstDet = Infinity;
  let lastDet = -Infinity;
  let peak = -Infinity;
  let nDet = 0;
  let nUsable = 0;
  let maxAbs = 0;
  let t0Strong = Infinity;
  for (const p of points) {
    if (!usable(p)) continue;
    const flux = p.flux as number;
    const err = p.fluxErr as number;
    nUsable++;
    if (Math.abs(flux) > maxAbs) maxAbs = Math.abs(flux);
    if (p.kind === 'detection') {
      nDet++;
      if (p.mjd < firstDet) firstDet = p.mjd;
      if (p.mjd > lastDet) lastDet = p.mjd;
      if (flux > peak) peak = flux;
    }
    if (flux / err >= params.t0SnrFallback && p.mjd < t0Strong) t0Strong = p.mjd;
  }
  if (nUsable < params.limits.minPoints) reject('has no usable measurement (detection or forced photometry with finite flux and fluxErr > 0)');
  if (nDet > 0) t0 = firstDet;
  else if (t0Strong < Infinity) t0 = t0Strong;
  else reject(`has no detection and no measurement with flux/fluxErr >= ${params.t0SnrFallback}`);
  if (!(nDet > 0 && peak > 0)) peak = maxAbs > 0 ? maxAbs : 1;

  const S = params.slots.length;
  const L = params.length;
  const start = t0 - params.preDays;
  const sw = new Float64Array(S * L);
  const swf = new Float64Array(S * L);
  const ul = new Float64Array(S * L).fill(Infinity);
  for (const p of points) {
    const s = slotOf.get(p.band);
    if (s === undefined || !fin(p.mjd)) continue;
    const b = Math.floor((p.mjd - start) / params.binDays);
    if (b < 0 || b >= L) continue;
    const k = s * L + b;
    if (usable(p)) {
      const err = p.fluxErr as number;
      const w = 1 / (err * err);
      sw[k] += w;
      swf[k] += w * (p.flux as number);
    } else if (p.kind === 'upperlimit' && fin(p.limitingMag)) {
      const f = 10 ** ((params.zeroPoint - p.limitingMag) / 2.5);
      if (f < ul[k]) ul[k] = f;
    }
  }
  const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
  const C = params.clip;
  const x = new Float32Array(S * 4 * L);
  let covered = 0;
  for (let b = 0; b < L; b++) {
    let any = false;
    for (let s = 0; s < S; s++) {
      const k = s * L + b;
      if (sw[k] > 0) {
        any = true;
        x[(4 * s) * L + b] = clip(swf[k] / sw[k] / peak, -C, C);
        x[(4 * s + 1) * L + b] = clip(1 / Math.sqrt(sw[k]) / peak, 0, C);
        x[(4 * s + 2) * L + b] = 1;
      }
      if (ul[k] !== Infinity) x[(4 * s + 3) * L + b] = clip(ul[k] / peak, 0, C);
    }
    if (any) covered++;
  }
  const coverage = covered / L;
  if (covered === 0) reject('has no usable measurement inside the model\'s time grid');
  if (coverage < params.limits.minCoverage) reject(`covers ${(coverage * 100).toFixed(1)}% of the model's time grid; at least ${(params.limits.minCoverage * 100).toFixed(0)}% is needed`);
  const z = content.context?.hostRedshift;
  const meta = Float32Array.from([
    Math.log10(peak),
    fin(z) ? z : 0,
    fin(z) ? 1 : 0,
    nDet > 0 ? (lastDet - firstDet) / 100 : 0,
  ]);
  return { x, meta, coverage };
}
