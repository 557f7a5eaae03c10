import type {
  AstroObject,
  Classification,
  ClassificationFilter,
  Datapoint,
  Job,
  JobError,
  JobOptions,
  JournalEntry,
  Modality,
  Page,
  Trace,
} from '../provenance/records.js';

export interface NewJob {
  id: string;
  objectId: string;
  modality: Modality;
  datapoints: Datapoint[];
  options: JobOptions;
}

/**
 * The source of truth for jobs and results. Two implementations (SQLite, MongoDB) pass one contract suite
 * (test/store/contract.ts). Every method that writes more than one record does so atomically.
 */
export interface ProvenanceStore {
  readonly kind: 'sqlite' | 'mongodb';

  /**
   * Intake, in one transaction: insert the datapoints not stored yet (they are immutable: an existing id is
   * left untouched), create or update the object (firstSeen/lastSeen), journal `received`, and insert the
   * job with status `queued`.
   */
  submitJob(job: NewJob): Promise<Job>;
  getJob(id: string): Promise<Job | null>;
  getDatapoints(ids: string[]): Promise<Datapoint[]>;

  /**
   * Take a job for processing: a `queued` job, or a `running` one whose lease has expired, becomes
   * `running` with attempts + 1 and a lease until now + leaseMs. Returns null when the job is unknown,
   * finished, or leased by someone else.
   */
  claimJob(id: string, leaseMs: number): Promise<Job | null>;

  /**
   * Store the classification and its trace (the trace only if absent: it is content-addressed) and mark the
   * job `completed`, journal `classified`, atomically. Idempotent: when the job already has a classification,
   * nothing is written and the existing classification is returned.
   */
  completeJob(classification: Classification, trace: Trace): Promise<Classification>;

  /**
   * Record an error. `retry` puts the job back to `queued` for another attempt; otherwise it becomes
   * `failed` and the object's journal gets a `failed` entry. Returns null for an unknown job.
   */
  failJob(jobId: string, error: JobError, retry: boolean): Promise<Job | null>;

  /** Put a job that the queue lost back to `queued` (history entry `requeued`), unless it finished meanwhile. */
  requeueJob(jobId: string): Promise<Job | null>;

  /** Jobs `queued` and not updated since `olderThan`, or `running` with a lease that ended before now. */
  findStaleJobs(olderThan: Date, limit: number): Promise<Job[]>;

  getClassification(id: string): Promise<Classification | null>;
  /** Newest first; `after` is a cursor from a previous page. */
  listClassifications(filter: ClassificationFilter, first: number, after?: string): Promise<Page<Classification>>;
  getObject(objectId: string): Promise<AstroObject | null>;
  appendJournal(objectId: string, entry: JournalEntry): Promise<void>;
  getTrace(id: string): Promise<Trace | null>;

  /** Throws when the backing database cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by `listClassifications` for a cursor it did not issue. */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`invalid cursor: ${cursor}`);
    this.name = 'InvalidCursorError';
  }
}

/** `submitJob` for a job id that is already stored. Nothing was written. */
export class JobExistsError extends Error {
  constructor(readonly jobId: string) {
    super(`job already exists: ${jobId}`);
    this.name = 'JobExistsError';
  }
}

/** `completeJob` for a job the store does not know. Nothing was written. */
export class UnknownJobError extends Error {
  constructor(readonly jobId: string) {
    super(`unknown job: ${jobId}`);
    this.name = 'UnknownJobError';
  }
}

/** `appendJournal` for an object the store does not know. Nothing was written. */
export class UnknownObjectError extends Error {
  constructor(readonly objectId: string) {
    super(`unknown object: ${objectId}`);
    this.name = 'UnknownObjectError';
  }
}
