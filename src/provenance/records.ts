/**
 * The records the provenance store keeps, after AMPEL: immutable datapoints (t0), objects with a journal
 * (stock), jobs, classifications (t2) and content-addressed traces.
 */
import type { ConfidenceAwareResult, Decision } from '../confidence/result.js';
import type { LightCurveContent } from '../inputs/lightcurve.js';

export type Modality = 'spectrum' | 'lightcurve' | 'alert';

export interface SpectrumContent {
  wavelengths: number[];
  /** null marks a missing value, kept so that the datapoint is exactly what was received. */
  fluxes: (number | null)[];
  errors?: (number | null)[];
  observedAt?: string;
  instrument?: string;
  redshift?: number;
  phase?: number;
}

export type { LightCurveContent };

/**
 * An immutable input measurement; `id` is the SHA-256 of its object id, modality and canonical content.
 * Alerts are stored as the light curve (and context) they carry, with modality `alert`.
 */
export interface Datapoint {
  id: string;
  objectId: string;
  modality: Modality;
  content: SpectrumContent | LightCurveContent;
  /** Where it came from: the input format and, where given, the client's own identifiers. */
  source: { format: string; originId?: string };
  createdAt: string;
}

export type JournalEvent = 'received' | 'classified' | 'failed' | 'delivered';

export interface JournalEntry {
  at: string;
  event: JournalEvent;
  jobId: string;
  traceId?: string;
  classificationId?: string;
  detail?: string;
}

export interface AstroObject {
  objectId: string;
  aliases: string[];
  firstSeen: string;
  lastSeen: string;
  journal: JournalEntry[];
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface JobOptions {
  alpha: number;
  model: string;
}

export interface JobError {
  title: string;
  detail: string;
}

export interface Job {
  id: string;
  objectId: string;
  modality: Modality;
  datapointIds: string[];
  options: JobOptions;
  status: JobStatus;
  attempts: number;
  history: { status: JobStatus; at: string; detail?: string }[];
  error?: JobError;
  classificationId?: string;
  /** While running: the time after which another worker may take the job over. */
  leaseUntil?: string;
  createdAt: string;
  updatedAt: string;
}

export interface ModelRef {
  name: string;
  version: string;
}

export interface Classification {
  id: string;
  jobId: string;
  objectId: string;
  traceId: string;
  model: ModelRef;
  datapointIds: string[];
  /** Runtime-only parameters (DESIGN.md section 5): not part of the trace. */
  options: { alpha: number };
  result: ConfidenceAwareResult;
  createdAt: string;
}

/** What a trace id hashes: everything that determines a result apart from the input and runtime options. */
export interface TraceContent {
  model: ModelRef & { files: Record<string, string> };
  calibrationSha256: string;
  preprocessing: unknown;
  service: { version: string; commit: string };
  runtime: { onnxruntime: string; executionProvider: string };
  config: Record<string, unknown>;
}

export interface Trace {
  id: string;
  content: TraceContent;
  createdAt: string;
}

export interface ClassificationFilter {
  objectId?: string;
  traceId?: string;
  decision?: Decision;
  /** Predicted fine class. */
  class?: string;
  /** ISO timestamps, inclusive. */
  since?: string;
  until?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor to pass as `after` for the next page; absent on the last page. */
  nextCursor?: string;
}
