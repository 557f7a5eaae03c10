/**
 * The embedded provenance store: one SQLite file through better-sqlite3, WAL mode, foreign keys on. Every
 * multi-record write runs inside one `db.transaction`, so it is all-or-nothing. better-sqlite3 is
 * synchronous; the methods are `async` anyway so that both stores share one interface (and a thrown error
 * becomes a rejected promise).
 *
 * Timestamps are kept as `Date#toISOString()` strings (UTC, milliseconds), so that string order is time
 * order; timestamps given by callers (classification/datapoint/trace createdAt, journal `at`) are
 * normalised to that form on write.
 */
import Database from 'better-sqlite3';
import type {
  AstroObject,
  Classification,
  ClassificationFilter,
  Datapoint,
  Job,
  JobError,
  JobStatus,
  JournalEntry,
  Page,
  Trace,
} from '../provenance/records.js';
import { JobExistsError, UnknownJobError, UnknownObjectError, type NewJob, type ProvenanceStore } from './provenance-store.js';
import {
  clampFirst,
  decodeCursor,
  encodeCursor,
  normaliseTimestamp,
} from './cursor.js';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` holds how many have run. Append new entries,
 * never edit old ones.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE IF NOT EXISTS datapoints (
    id TEXT PRIMARY KEY,
    object_id TEXT NOT NULL,
    modality TEXT NOT NULL CHECK (modality IN ('spectrum', 'lightcurve', 'alert')),
    content TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS datapoints_object ON datapoints (object_id);

  CREATE TABLE IF NOT EXISTS objects (
    object_id TEXT PRIMARY KEY,
    aliases TEXT NOT NULL DEFAULT '[]',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
  );

  CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id TEXT NOT NULL REFERENCES objects (object_id),
    at TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('received', 'classified', 'failed', 'delivered')),
    job_id TEXT NOT NULL,
    trace_id TEXT,
    classification_id TEXT,
    detail TEXT
  );
  CREATE INDEX IF NOT EXISTS journal_object ON journal (object_id, id);

  CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    object_id TEXT NOT NULL REFERENCES objects (object_id),
    modality TEXT NOT NULL CHECK (modality IN ('spectrum', 'lightcurve', 'alert')),
    datapoint_ids TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    history TEXT NOT NULL,
    error TEXT,
    classification_id TEXT,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS jobs_status_updated ON jobs (status, updated_at);
  CREATE INDEX IF NOT EXISTS jobs_status_lease ON jobs (status, lease_until);

  CREATE TABLE IF NOT EXISTS traces (
    id TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE IF NOT EXISTS classifications (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL UNIQUE REFERENCES jobs (id),
    object_id TEXT NOT NULL,
    trace_id TEXT NOT NULL REFERENCES traces (id),
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    datapoint_ids TEXT NOT NULL,
    options TEXT NOT NULL,
    result TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('COMMIT', 'ABSTAIN', 'ALERT')),
    predicted_class TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS classifications_object ON classifications (object_id, created_at, id);
  CREATE INDEX IF NOT EXISTS classifications_trace ON classifications (trace_id, created_at, id);
  CREATE INDEX IF NOT EXISTS classifications_decision ON classifications (decision, created_at, id);
  CREATE INDEX IF NOT EXISTS classifications_class ON classifications (predicted_class, created_at, id);
  CREATE INDEX IF NOT EXISTS classifications_created ON classifications (created_at, id);
  `,
];

export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

interface JobRow {
  id: string;
  object_id: string;
  modality: string;
  datapoint_ids: string;
  options: string;
  status: string;
  attempts: number;
  history: string;
  error: string | null;
  classification_id: string | null;
  lease_until: string | null;
  created_at: string;
  updated_at: string;
}

interface ClassificationRow {
  id: string;
  job_id: string;
  object_id: string;
  trace_id: string;
  model_name: string;
  model_version: string;
  datapoint_ids: string;
  options: string;
  result: string;
  decision: string;
  predicted_class: string;
  created_at: string;
}

interface DatapointRow {
  id: string;
  object_id: string;
  modality: string;
  content: string;
  source: string;
  created_at: string;
}

interface ObjectRow {
  object_id: string;
  aliases: string;
  first_seen: string;
  last_seen: string;
}

interface JournalRow {
  at: string;
  event: string;
  job_id: string;
  trace_id: string | null;
  classification_id: string | null;
  detail: string | null;
}

type HistoryEntry = Job['history'][number];

const nowIso = () => new Date().toISOString();

function jobFromRow(row: JobRow): Job {
  const job: Job = {
    id: row.id,
    objectId: row.object_id,
    modality: row.modality as Job['modality'],
    datapointIds: JSON.parse(row.datapoint_ids),
    options: JSON.parse(row.options),
    status: row.status as JobStatus,
    attempts: row.attempts,
    history: JSON.parse(row.history),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.error !== null) job.error = JSON.parse(row.error);
  if (row.classification_id !== null) job.classificationId = row.classification_id;
  if (row.lease_until !== null) job.leaseUntil = row.lease_until;
  return job;
}

function classificationFromRow(row: ClassificationRow): Classification {
  return {
    id: row.id,
    jobId: row.job_id,
    objectId: row.object_id,
    traceId: row.trace_id,
    model: { name: row.model_name, version: row.model_version },
    datapointIds: JSON.parse(row.datapoint_ids),
    options: JSON.parse(row.options),
    result: JSON.parse(row.result),
    createdAt: row.created_at,
  };
}

function datapointFromRow(row: DatapointRow): Datapoint {
  return {
    id: row.id,
    objectId: row.object_id,
    modality: row.modality as Datapoint['modality'],
    content: JSON.parse(row.content),
    source: JSON.parse(row.source),
    createdAt: row.created_at,
  };
}

function journalFromRow(row: JournalRow): JournalEntry {
  const entry: JournalEntry = { at: row.at, event: row.event as JournalEntry['event'], jobId: row.job_id };
  if (row.trace_id !== null) entry.traceId = row.trace_id;
  if (row.classification_id !== null) entry.classificationId = row.classification_id;
  if (row.detail !== null) entry.detail = row.detail;
  return entry;
}

/** The WHERE clause and parameters for a classification filter and an optional cursor position. */
export function classificationWhere(
  filter: ClassificationFilter,
  after?: { createdAt: string; id: string },
): { where: string; params: Record<string, string> } {
  const clauses: string[] = [];
  const params: Record<string, string> = {};
  const equalities = { objectId: 'object_id', traceId: 'trace_id', decision: 'decision', class: 'predicted_class' } as const;
  for (const [key, column] of Object.entries(equalities) as [keyof typeof equalities, string][]) {
    if (filter[key] === undefined) continue;
    clauses.push(`${column} = @${key}`);
    params[key] = filter[key]!;
  }
  for (const [key, operator] of [['since', '>='], ['until', '<=']] as const) {
    if (filter[key] === undefined) continue;
    clauses.push(`created_at ${operator} @${key}`);
    params[key] = normaliseTimestamp(filter[key]!, key);
  }
  if (after) {
    clauses.push('(created_at < @afterCreatedAt OR (created_at = @afterCreatedAt AND id < @afterId))');
    params.afterCreatedAt = after.createdAt;
    params.afterId = after.id;
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export interface SqliteStoreOptions {
  /** Milliseconds to wait for a lock held by another connection to the same file (default 5000). */
  busyTimeoutMs?: number;
}

export class SqliteStore implements ProvenanceStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;

  /** Opens (creating if needed) the database at `path`; `:memory:` gives a private in-memory database. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      this.migrate();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** The schema version of the open database (`PRAGMA user_version`). */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const apply = this.db.transaction(() => {
      const current = this.db.pragma('user_version', { simple: true }) as number;
      if (current > MIGRATIONS.length) {
        throw new Error(`database schema version ${current} is newer than this build supports (${MIGRATIONS.length})`);
      }
      for (let version = current; version < MIGRATIONS.length; version++) {
        this.db.exec(MIGRATIONS[version]);
        this.db.pragma(`user_version = ${version + 1}`);
      }
    });
    apply.immediate();
  }

  // --- statements -----------------------------------------------------------------------------------------

  private readonly stmt = (() => {
    const cache = new Map<string, Database.Statement>();
    return (sql: string): Database.Statement => {
      let statement = cache.get(sql);
      if (!statement) {
        statement = this.db.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    };
  })();

  private jobRow(id: string): JobRow | undefined {
    return this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  private classificationRowByJob(jobId: string): ClassificationRow | undefined {
    return this.stmt('SELECT * FROM classifications WHERE job_id = ?').get(jobId) as ClassificationRow | undefined;
  }

  private insertJournal(objectId: string, entry: JournalEntry): void {
    this.stmt(
      `INSERT INTO journal (object_id, at, event, job_id, trace_id, classification_id, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      objectId,
      normaliseTimestamp(entry.at, 'journal'),
      entry.event,
      entry.jobId,
      entry.traceId ?? null,
      entry.classificationId ?? null,
      entry.detail ?? null,
    );
  }

  /** Writes the mutable part of a job. */
  private saveJob(job: Job): void {
    this.stmt(
      `UPDATE jobs SET status = @status, attempts = @attempts, history = @history, error = @error,
         classification_id = @classificationId, lease_until = @leaseUntil, updated_at = @updatedAt
       WHERE id = @id`,
    ).run({
      id: job.id,
      status: job.status,
      attempts: job.attempts,
      history: JSON.stringify(job.history),
      error: job.error === undefined ? null : JSON.stringify(job.error),
      classificationId: job.classificationId ?? null,
      leaseUntil: job.leaseUntil ?? null,
      updatedAt: job.updatedAt,
    });
  }

  // --- ProvenanceStore -------------------------------------------------------------------------------------

  async submitJob(input: NewJob): Promise<Job> {
    const run = this.db.transaction((): Job => {
      if (this.jobRow(input.id)) throw new JobExistsError(input.id);
      const at = nowIso();
      this.stmt(
        `INSERT INTO objects (object_id, aliases, first_seen, last_seen) VALUES (?, '[]', ?, ?)
         ON CONFLICT (object_id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
      ).run(input.objectId, at, at);
      const insertDatapoint = this.stmt(
        `INSERT INTO datapoints (id, object_id, modality, content, source, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      );
      for (const dp of input.datapoints) {
        insertDatapoint.run(
          dp.id,
          dp.objectId,
          dp.modality,
          JSON.stringify(dp.content),
          JSON.stringify(dp.source),
          normaliseTimestamp(dp.createdAt, 'datapoint createdAt'),
        );
      }
      this.insertJournal(input.objectId, { at, event: 'received', jobId: input.id });
      const job: Job = {
        id: input.id,
        objectId: input.objectId,
        modality: input.modality,
        datapointIds: input.datapoints.map((dp) => dp.id),
        options: input.options,
        status: 'queued',
        attempts: 0,
        history: [{ status: 'queued', at }],
        createdAt: at,
        updatedAt: at,
      };
      this.stmt(
        `INSERT INTO jobs (id, object_id, modality, datapoint_ids, options, status, attempts, history,
           created_at, updated_at)
         VALUES (@id, @objectId, @modality, @datapointIds, @options, @status, 0, @history, @at, @at)`,
      ).run({
        id: job.id,
        objectId: job.objectId,
        modality: job.modality,
        datapointIds: JSON.stringify(job.datapointIds),
        options: JSON.stringify(job.options),
        status: job.status,
        history: JSON.stringify(job.history),
        at,
      });
      return job;
    });
    return run.immediate();
  }

  async getJob(id: string): Promise<Job | null> {
    const row = this.jobRow(id);
    return row ? jobFromRow(row) : null;
  }

  async getDatapoints(ids: string[]): Promise<Datapoint[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const found = new Map<string, Datapoint>();
    // Chunked to stay well below SQLite's bound-parameter limit.
    for (let i = 0; i < unique.length; i += 500) {
      const chunk = unique.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT * FROM datapoints WHERE id IN (${chunk.map(() => '?').join(', ')})`)
        .all(...chunk) as DatapointRow[];
      for (const row of rows) found.set(row.id, datapointFromRow(row));
    }
    return unique.flatMap((id) => found.get(id) ?? []);
  }

  async claimJob(id: string, leaseMs: number): Promise<Job | null> {
    const run = this.db.transaction((): Job | null => {
      const row = this.jobRow(id);
      if (!row) return null;
      const now = new Date();
      const at = now.toISOString();
      const job = jobFromRow(row);
      const leaseExpired = job.status === 'running' && (job.leaseUntil === undefined || job.leaseUntil <= at);
      if (job.status !== 'queued' && !leaseExpired) return null;
      job.status = 'running';
      job.attempts += 1;
      job.leaseUntil = new Date(now.getTime() + Math.max(0, leaseMs)).toISOString();
      job.updatedAt = at;
      job.history.push({ status: 'running', at, detail: `attempt ${job.attempts}` });
      this.saveJob(job);
      return job;
    });
    return run.immediate();
  }

  async completeJob(classification: Classification, trace: Trace): Promise<Classification> {
    const run = this.db.transaction((): Classification => {
      const existing = this.classificationRowByJob(classification.jobId);
      if (existing) return classificationFromRow(existing);
      const row = this.jobRow(classification.jobId);
      if (!row) throw new UnknownJobError(classification.jobId);
      const at = nowIso();
      this.stmt('INSERT INTO traces (id, content, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING').run(
        trace.id,
        JSON.stringify(trace.content),
        normaliseTimestamp(trace.createdAt, 'trace createdAt'),
      );
      const stored: Classification = { ...classification, createdAt: normaliseTimestamp(classification.createdAt, 'createdAt') };
      this.stmt(
        `INSERT INTO classifications (id, job_id, object_id, trace_id, model_name, model_version, datapoint_ids,
           options, result, decision, predicted_class, created_at)
         VALUES (@id, @jobId, @objectId, @traceId, @modelName, @modelVersion, @datapointIds, @options, @result,
           @decision, @predictedClass, @createdAt)`,
      ).run({
        id: stored.id,
        jobId: stored.jobId,
        objectId: stored.objectId,
        traceId: stored.traceId,
        modelName: stored.model.name,
        modelVersion: stored.model.version,
        datapointIds: JSON.stringify(stored.datapointIds),
        options: JSON.stringify(stored.options),
        result: JSON.stringify(stored.result),
        decision: stored.result.decision.value,
        predictedClass: stored.result.prediction.class,
        createdAt: stored.createdAt,
      });
      const job = jobFromRow(row);
      job.status = 'completed';
      job.classificationId = stored.id;
      delete job.leaseUntil;
      delete job.error;
      job.updatedAt = at;
      job.history.push({ status: 'completed', at });
      this.saveJob(job);
      // The job's object normally exists (submitJob made it); create it if a caller classifies another one.
      this.stmt(
        `INSERT INTO objects (object_id, aliases, first_seen, last_seen) VALUES (?, '[]', ?, ?)
         ON CONFLICT (object_id) DO NOTHING`,
      ).run(stored.objectId, at, at);
      this.insertJournal(stored.objectId, {
        at,
        event: 'classified',
        jobId: stored.jobId,
        traceId: stored.traceId,
        classificationId: stored.id,
      });
      return stored;
    });
    return run.immediate();
  }

  async failJob(jobId: string, error: JobError, retry: boolean): Promise<Job | null> {
    const run = this.db.transaction((): Job | null => {
      const row = this.jobRow(jobId);
      if (!row) return null;
      const job = jobFromRow(row);
      // A finished job keeps its outcome: a late error from a worker that lost its lease changes nothing.
      if (job.status === 'completed' || job.status === 'failed') return job;
      const at = nowIso();
      job.status = retry ? 'queued' : 'failed';
      job.error = { title: error.title, detail: error.detail };
      delete job.leaseUntil;
      job.updatedAt = at;
      const entry: HistoryEntry = { status: job.status, at, detail: `${error.title}: ${error.detail}` };
      job.history.push(entry);
      this.saveJob(job);
      if (!retry) {
        this.insertJournal(job.objectId, { at, event: 'failed', jobId, detail: `${error.title}: ${error.detail}` });
      }
      return job;
    });
    return run.immediate();
  }

  async requeueJob(jobId: string): Promise<Job | null> {
    const run = this.db.transaction((): Job | null => {
      const row = this.jobRow(jobId);
      if (!row) return null;
      const job = jobFromRow(row);
      if (job.status === 'completed' || job.status === 'failed') return job;
      const at = nowIso();
      job.status = 'queued';
      delete job.leaseUntil;
      job.updatedAt = at;
      job.history.push({ status: 'queued', at, detail: 'requeued' });
      this.saveJob(job);
      return job;
    });
    return run.immediate();
  }

  async findStaleJobs(olderThan: Date, limit: number): Promise<Job[]> {
    const n = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    if (n === 0) return [];
    const rows = this.stmt(
      `SELECT * FROM (
         SELECT * FROM jobs WHERE status = 'queued' AND updated_at < @olderThan
         UNION ALL
         SELECT * FROM jobs WHERE status = 'running' AND (lease_until IS NULL OR lease_until <= @now)
       ) ORDER BY updated_at ASC, id ASC LIMIT @limit`,
    ).all({ olderThan: olderThan.toISOString(), now: nowIso(), limit: n }) as JobRow[];
    return rows.map(jobFromRow);
  }

  async getClassification(id: string): Promise<Classification | null> {
    const row = this.stmt('SELECT * FROM classifications WHERE id = ?').get(id) as ClassificationRow | undefined;
    return row ? classificationFromRow(row) : null;
  }

  async listClassifications(filter: ClassificationFilter, first: number, after?: string): Promise<Page<Classification>> {
    const position = after === undefined ? undefined : decodeCursor(after);
    const size = clampFirst(first);
    const { where, params } = classificationWhere(filter, position);
    const rows = this.db
      .prepare(`SELECT * FROM classifications ${where} ORDER BY created_at DESC, id DESC LIMIT ${size + 1}`)
      .all(params) as ClassificationRow[];
    const items = rows.slice(0, size).map(classificationFromRow);
    const page: Page<Classification> = { items };
    if (rows.length > size) {
      const last = items[items.length - 1];
      page.nextCursor = encodeCursor({ createdAt: last.createdAt, id: last.id });
    }
    return page;
  }

  async getObject(objectId: string): Promise<AstroObject | null> {
    const row = this.stmt('SELECT * FROM objects WHERE object_id = ?').get(objectId) as ObjectRow | undefined;
    if (!row) return null;
    const journal = this.stmt(
      'SELECT at, event, job_id, trace_id, classification_id, detail FROM journal WHERE object_id = ? ORDER BY id',
    ).all(objectId) as JournalRow[];
    return {
      objectId: row.object_id,
      aliases: JSON.parse(row.aliases),
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      journal: journal.map(journalFromRow),
    };
  }

  async appendJournal(objectId: string, entry: JournalEntry): Promise<void> {
    const run = this.db.transaction(() => {
      if (!this.stmt('SELECT 1 FROM objects WHERE object_id = ?').get(objectId)) throw new UnknownObjectError(objectId);
      this.insertJournal(objectId, entry);
    });
    run.immediate();
  }

  async getTrace(id: string): Promise<Trace | null> {
    const row = this.stmt('SELECT * FROM traces WHERE id = ?').get(id) as
      | { id: string; content: string; created_at: string }
      | undefined;
    return row ? { id: row.id, content: JSON.parse(row.content), createdAt: row.created_at } : null;
  }

  async ping(): Promise<void> {
    if (!this.db.open) throw new Error('sqlite store is closed');
    this.stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens the SQLite store at `path` (`:memory:` for a private in-memory database). */
export async function createSqliteStore(path: string, options?: SqliteStoreOptions): Promise<SqliteStore> {
  return new SqliteStore(path, options);
}
