/** Realistic records for the store tests: an SEDM-like spectrum, a ConfidenceAwareResult, a trace. */
import { randomUUID } from 'node:crypto';
import type { ConfidenceAwareResult, Decision } from '../../src/confidence/result.js';
import { contentHash } from '../../src/provenance/hash.js';
import type { Classification, Datapoint, SpectrumContent, Trace, TraceContent } from '../../src/provenance/records.js';
import type { NewJob } from '../../src/store/provenance-store.js';

const FINE_TO_COARSE: Record<string, string> = {
  'SN Ia': 'SN I',
  'SN Ib/c': 'SN I',
  'SN II': 'SN II',
  'SN IIn': 'SN II',
  SLSN: 'SLSN',
  TDE: 'TDE',
};

/** A low-resolution spectrum (R ≈ 100, 3800–9200 Å) with one missing flux, varied by `seed`. */
export function spectrumContent(seed: number): SpectrumContent {
  const wavelengths: number[] = [];
  const fluxes: (number | null)[] = [];
  const errors: (number | null)[] = [];
  for (let i = 0; i < 40; i++) {
    const w = 3800 + i * 135;
    wavelengths.push(w);
    const flux = 1e-16 * (1 + 0.3 * Math.sin(w / 400 + seed)) * (1 - 0.4 * Math.exp(-(((w - 6150) / 120) ** 2)));
    fluxes.push(i === 17 ? null : Number(flux.toPrecision(6)));
    errors.push(i === 17 ? null : Number((flux * 0.05).toPrecision(4)));
  }
  return {
    wavelengths,
    fluxes,
    errors,
    observedAt: '2024-03-14T07:21:33.000Z',
    instrument: 'SEDM',
    redshift: 0.0412,
    phase: -2.5 + seed,
  };
}

export function datapoint(objectId: string, seed: number, createdAt = '2024-03-14T08:00:00.000Z'): Datapoint {
  const content = spectrumContent(seed);
  return {
    id: contentHash(content),
    objectId,
    modality: 'spectrum',
    content,
    source: { format: 'skyportal-spectrum', originId: `spec-${seed}` },
    createdAt,
  };
}

export function newJob(objectId: string, datapoints: Datapoint[], id: string = randomUUID()): NewJob {
  return { id, objectId, modality: 'spectrum', datapoints, options: { alpha: 0.1, model: 'astranet-sedm' } };
}

export function result(fineClass: string, decision: Decision): ConfidenceAwareResult {
  const classes = Object.keys(FINE_TO_COARSE);
  const top = 0.72;
  const probabilities: Record<string, number> = {};
  for (const c of classes) probabilities[c] = c === fineClass ? top : Number(((1 - top) / (classes.length - 1)).toFixed(4));
  const coarseProbabilities: Record<string, number> = {};
  for (const c of classes) {
    const coarse = FINE_TO_COARSE[c];
    coarseProbabilities[coarse] = Number(((coarseProbabilities[coarse] ?? 0) + probabilities[c]).toFixed(4));
  }
  const coarseClass = FINE_TO_COARSE[fineClass] ?? 'Other';
  return {
    prediction: {
      class: fineClass,
      coarseClass,
      probability: top,
      coarseProbability: coarseProbabilities[coarseClass] ?? top,
      probabilities,
      coarseProbabilities,
    },
    conformal: {
      pValue: 0.41,
      pWrong: 0.18,
      calibrationSize: 812,
      adMcp: { quintile: 3, score: 0.37, threshold: 0.81, fires: decision === 'ALERT', fallback: false, pValue: 0.33, calibrationSize: 163 },
    },
    predictionSet: { alpha: 0.1, method: 'lac', qhat: 0.62, classes: [fineClass], size: 1, empty: false },
    intervals: classes.map((c) => ({
      class: c,
      mean: probabilities[c],
      std: 0.04,
      lower: Math.max(0, probabilities[c] - 0.08),
      upper: Math.min(1, probabilities[c] + 0.08),
    })),
    uncertainty: { total: 0.93, aleatoric: 0.81, epistemic: 0.12, unit: 'nats' },
    anomaly: { score: 0.37, threshold: 0.81, scores: { 'SN Ia': 0.21, 'SN II': 0.44 } },
    decision: {
      value: decision,
      reason: decision === 'COMMIT' ? 'p >= tau_abstain and no anomaly' : decision === 'ABSTAIN' ? 'p < tau_abstain' : 'AD-MCP fires',
      tauAbstain: 0.5,
      tauAD: 0.81,
    },
  };
}

export function traceContent(seed = 0): TraceContent {
  return {
    model: {
      name: 'astranet-sedm',
      version: '1.2.0',
      files: { 'member-0.onnx': 'a'.repeat(64), 'member-1.onnx': 'b'.repeat(64), 'sentinel.onnx': String(seed).padStart(64, 'c') },
    },
    calibrationSha256: 'd'.repeat(64),
    preprocessing: { grid: { start: 3800, end: 9200, bins: 280 }, normalise: 'median', restFrame: true },
    service: { version: '0.1.0', commit: '3f2a9c1' },
    runtime: { onnxruntime: '1.30.0', executionProvider: 'cpu' },
    config: { batchSize: 32, batchWaitMs: 5 },
  };
}

export function trace(seed = 0, createdAt = '2024-03-14T08:00:01.000Z'): Trace {
  const content = traceContent(seed);
  return { id: contentHash(content), content, createdAt };
}

export function classification(
  job: { id: string; objectId: string; datapointIds: string[] },
  tr: Trace,
  opts: { id?: string; fineClass?: string; decision?: Decision; createdAt?: string } = {},
): Classification {
  return {
    id: opts.id ?? randomUUID(),
    jobId: job.id,
    objectId: job.objectId,
    traceId: tr.id,
    model: { name: 'astranet-sedm', version: '1.2.0' },
    datapointIds: job.datapointIds,
    options: { alpha: 0.1 },
    result: result(opts.fineClass ?? 'SN Ia', opts.decision ?? 'COMMIT'),
    createdAt: opts.createdAt ?? new Date().toISOString(),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
