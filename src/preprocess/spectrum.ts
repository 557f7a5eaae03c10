/**
 * Spectrum → model tensor, exactly as `artifacts/README.md` ("spectrum-grid-v1") and training/ define it.
 * Computed in float64 and cast to float32 at the end; test/golden proves agreement with Python within 1e-5.
 */
import type { SpectrumContent } from '../provenance/records.js';
import { InputError } from '../inputs/input-error.js';
import type { SpectrumLimits } from '../inputs/spectrum.js';

export interface SpectrumPreprocessing {
  kind: 'spectrum-grid-v1';
  wavelengthMin: number;
  wavelengthMax: number;
  length: number;
  scale: { low: number; high: number };
  derivative: { window: number; order: number; coefficients: number[] };
  limits: {
    minPoints: number;
    /** Fraction of grid pixels the spectrum must cover. */
    minCoverage: number;
    /** Largest fraction of missing fluxes accepted (default 0.5). */
    maxMaskedFraction?: number;
  };
}

/** What the input layer checks before preprocessing, from the same parameters. */
export function spectrumLimits(params: SpectrumPreprocessing): SpectrumLimits {
  return {
    wavelengthMin: params.wavelengthMin,
    wavelengthMax: params.wavelengthMax,
    minPoints: params.limits.minPoints,
    maxMaskedFraction: params.limits.maxMaskedFraction ?? 0.5,
  };
}

export interface SpectrumTensor {
  /** [3, length]: scaled flux, its Savitzky–Golay derivative, validity mask. */
  x: Float32Array;
  /** [redshift, redshift given, phase, phase given]. */
  meta: Float32Array;
  coverage: number;
}

export function preprocessSpectrum(spectrum: SpectrumContent, params: SpectrumPreprocessing): SpectrumTensor {
  const { wavelengths, fluxes } = finitePoints(spectrum);
  const L = params.length;
  const step = (params.wavelengthMax - params.wavelengthMin) / (L - 1);
  const flux = new Float64Array(L);
  const valid = new Uint8Array(L);
  const first = wavelengths[0];
  const last = wavelengths[wavelengths.length - 1];
  let j = 0;
  let validCount = 0;
  for (let i = 0; i < L; i++) {
    const g = params.wavelengthMin + i * step;
    if (g < first || g > last) continue;
    while (j < wavelengths.length - 2 && wavelengths[j + 1] < g) j++;
    const w0 = wavelengths[j];
    const w1 = wavelengths[j + 1] ?? w0;
    flux[i] = w1 === w0 ? fluxes[j] : fluxes[j] + ((fluxes[j + 1] - fluxes[j]) / (w1 - w0)) * (g - w0);
    valid[i] = 1;
    validCount++;
  }
  const coverage = validCount / L;
  if (coverage < params.limits.minCoverage) {
    throw new InputError('Invalid spectrum', [{
      pointer: '/wavelengths',
      detail: `covers ${(coverage * 100).toFixed(1)}% of the model's ${params.wavelengthMin}–${params.wavelengthMax} Å window; at least ${(params.limits.minCoverage * 100).toFixed(0)}% is needed`,
    }]);
  }

  const validFlux = Array.from(flux.filter((_, i) => valid[i] === 1)).sort((a, b) => a - b);
  const low = percentile(validFlux, params.scale.low);
  const high = percentile(validFlux, params.scale.high);
  if (!(high - low > 0)) {
    throw new InputError('Invalid spectrum', [{ pointer: '/fluxes', detail: 'is flat inside the model window: nothing to classify' }]);
  }
  const scaled = new Float64Array(L);
  for (let i = 0; i < L; i++) if (valid[i]) scaled[i] = (flux[i] - low) / (high - low);

  const derivative = savitzkyGolay(scaled, params.derivative.coefficients);
  const x = new Float32Array(3 * L);
  for (let i = 0; i < L; i++) {
    x[i] = scaled[i];
    x[L + i] = valid[i] ? derivative[i] : 0;
    x[2 * L + i] = valid[i];
  }
  const meta = Float32Array.from([
    spectrum.redshift ?? 0,
    spectrum.redshift === undefined ? 0 : 1,
    spectrum.phase ?? 0,
    spectrum.phase === undefined ? 0 : 1,
  ]);
  return { x, meta, coverage };
}

function finitePoints(spectrum: SpectrumContent): { wavelengths: number[]; fluxes: number[] } {
  const wavelengths: number[] = [];
  const fluxes: number[] = [];
  spectrum.wavelengths.forEach((w, i) => {
    const f = spectrum.fluxes[i];
    if (f !== null && Number.isFinite(f) && Number.isFinite(w)) {
      wavelengths.push(w);
      fluxes.push(f);
    }
  });
  return { wavelengths, fluxes };
}

/** numpy's default ("linear") percentile of ascending values. */
export function percentile(sortedAscending: ArrayLike<number>, q: number): number {
  const position = (q / 100) * (sortedAscending.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sortedAscending.length - 1);
  const fraction = position - lower;
  return sortedAscending[lower] + (sortedAscending[upper] - sortedAscending[lower]) * fraction;
}

/** Correlation with the filter's "dot" coefficients; edges repeat the end values (scipy mode "nearest"). */
export function savitzkyGolay(values: Float64Array, coefficients: number[]): Float64Array {
  const half = (coefficients.length - 1) / 2;
  const last = values.length - 1;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let sum = 0;
    for (let k = 0; k < coefficients.length; k++) {
      const index = Math.min(last, Math.max(0, i - half + k));
      sum += coefficients[k] * values[index];
    }
    out[i] = sum;
  }
  return out;
}
