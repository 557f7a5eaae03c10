/** Enumerations shared by the mongoose schemas; they mirror the union types of src/provenance/records.ts. */
import type { Decision } from '../src/confidence/result.js';
import type { JobStatus, JournalEvent, Modality } from '../src/provenance/records.js';

export const MODALITIES = ['spectrum', 'lightcurve', 'alert'] as const satisfies readonly Modality[];
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const satisfies readonly JobStatus[];
export const JOURNAL_EVENTS = ['received', 'classified', 'failed', 'delivered'] as const satisfies readonly JournalEvent[];
export const DECISIONS = ['COMMIT', 'ABSTAIN', 'ALERT'] as const satisfies readonly Decision[];
