/**
 * The production provenance store: MongoDB through mongoose 8, on a connection of its own
 * (`mongoose.createConnection`, never the global default one).
 *
 * Multi-document writes run in a transaction when the server supports them (replica set or sharded
 * cluster). On a standalone server they run without one, and every such write is ordered so that a crash
 * between two of its steps leaves nothing the service cannot recover from:
 *
 * - submitJob: datapoints (immutable, content-addressed upserts) → object + `received` journal entry (one
 *   atomic single-document update, the journal being embedded) → job. A crash before the job insert leaves
 *   at most unreferenced datapoints and a `received` entry naming a job that does not exist; the client got
 *   an error and submits again. No job ever exists without its datapoints.
 * - completeJob: trace (content-addressed upsert) → classification (the commit point: the unique `jobId`
 *   index allows one per job) → job `completed` → `classified` journal entry. A crash after the
 *   classification insert leaves the job `running`/`queued`; the reconciler re-enqueues it, and the next
 *   `completeJob` finds the classification, returns it and finishes the two missing writes (each of them
 *   conditional, so repeating them is harmless). A duplicate-key error (11000) on the classification means
 *   another attempt won the race: its classification is returned.
 * - failJob: job → `failed` journal entry.
 */
import mongoose, { type Connection } from 'mongoose';
import type {
  AstroObject,
  Classification,
  ClassificationFilter,
  Datapoint,
  Job,
  JobError,
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
  type CursorPosition,
} from './cursor.js';
import {
  registerModels,
  type ClassificationDoc,
  type DatapointDoc,
  type JobDoc,
  type JournalEntryDoc,
  type ObjectDoc,
  type StoreModels,
  type TraceDoc,
} from '../../models/index.js';

type Session = mongoose.mongo.ClientSession;

/** The driver collection behind a model, typed with string ids (mongoose casts nothing on this path). */
function raw<T extends { _id: string }>(model: { collection: unknown }): mongoose.mongo.Collection<T> {
  return model.collection as mongoose.mongo.Collection<T>;
}

// --- document <-> record mapping (pure, exported for unit tests) -------------------------------------------

const iso = (date: Date) => date.toISOString();
const toDate = (value: string, what: string) => new Date(normaliseTimestamp(value, what));

export function datapointToDoc(dp: Datapoint): DatapointDoc {
  const source: DatapointDoc['source'] = { format: dp.source.format };
  if (dp.source.originId !== undefined) source.originId = dp.source.originId;
  return {
    _id: dp.id,
    objectId: dp.objectId,
    modality: dp.modality,
    content: dp.content as unknown as Record<string, unknown>,
    source,
    createdAt: toDate(dp.createdAt, 'datapoint createdAt'),
  };
}

export function datapointFromDoc(doc: DatapointDoc): Datapoint {
  const source: Datapoint['source'] = { format: doc.source.format };
  if (doc.source.originId !== undefined && doc.source.originId !== null) source.originId = doc.source.originId;
  return {
    id: doc._id,
    objectId: doc.objectId,
    modality: doc.modality,
    content: doc.content as unknown as Datapoint['content'],
    source,
    createdAt: iso(doc.createdAt),
  };
}

export function jobFromDoc(doc: JobDoc): Job {
  const job: Job = {
    id: doc._id,
    objectId: doc.objectId,
    modality: doc.modality,
    datapointIds: [...doc.datapointIds],
    options: { alpha: doc.options.alpha, model: doc.options.model },
    status: doc.status,
    attempts: doc.attempts,
    history: doc.history.map((h) => {
      const entry: Job['history'][number] = { status: h.status, at: iso(h.at) };
      if (h.detail !== undefined && h.detail !== null) entry.detail = h.detail;
      return entry;
    }),
    createdAt: iso(doc.createdAt),
    updatedAt: iso(doc.updatedAt),
  };
  if (doc.error) job.error = { title: doc.error.title, detail: doc.error.detail };
  if (doc.classificationId) job.classificationId = doc.classificationId;
  if (doc.leaseUntil) job.leaseUntil = iso(doc.leaseUntil);
  return job;
}

export function classificationToDoc(c: Classification): ClassificationDoc {
  return {
    _id: c.id,
    jobId: c.jobId,
    objectId: c.objectId,
    traceId: c.traceId,
    model: { name: c.model.name, version: c.model.version },
    datapointIds: [...c.datapointIds],
    options: { alpha: c.options.alpha },
    result: c.result as unknown as Record<string, unknown>,
    decision: c.result.decision.value,
    predictedClass: c.result.prediction.class,
    createdAt: toDate(c.createdAt, 'createdAt'),
  };
}

export function classificationFromDoc(doc: ClassificationDoc): Classification {
  return {
    id: doc._id,
    jobId: doc.jobId,
    objectId: doc.objectId,
    traceId: doc.traceId,
    model: { name: doc.model.name, version: doc.model.version },
    datapointIds: [...doc.datapointIds],
    options: { alpha: doc.options.alpha },
    result: doc.result as unknown as Classification['result'],
    createdAt: iso(doc.createdAt),
  };
}

export function journalEntryToDoc(entry: JournalEntry): JournalEntryDoc {
  const doc: JournalEntryDoc = { at: toDate(entry.at, 'journal'), event: entry.event, jobId: entry.jobId };
  if (entry.traceId !== undefined) doc.traceId = entry.traceId;
  if (entry.classificationId !== undefined) doc.classificationId = entry.classificationId;
  if (entry.detail !== undefined) doc.detail = entry.detail;
  return doc;
}

export function objectFromDoc(doc: ObjectDoc): AstroObject {
  return {
    objectId: doc._id,
    aliases: [...(doc.aliases ?? [])],
    firstSeen: iso(doc.firstSeen),
    lastSeen: iso(doc.lastSeen),
    journal: (doc.journal ?? []).map((e) => {
      const entry: JournalEntry = { at: iso(e.at), event: e.event, jobId: e.jobId };
      if (e.traceId) entry.traceId = e.traceId;
      if (e.classificationId) entry.classificationId = e.classificationId;
      if (e.detail !== undefined && e.detail !== null) entry.detail = e.detail;
      return entry;
    }),
  };
}

// --- query building (pure, exported for unit tests) ---------------------------------------------------------

export type MongoQuery = Record<string, unknown>;

/** Sort of every classification listing: newest first, id as the tie-breaker. */
export const CLASSIFICATION_SORT = { createdAt: -1, _id: -1 } as const;

/**
 * The MongoDB filter for a classification listing: the filter's fields, plus, after a cursor, only the
 * items strictly after the cursor position in (createdAt DESC, _id DESC) order.
 */
export function classificationQuery(filter: ClassificationFilter, cursor?: CursorPosition): MongoQuery {
  const and: MongoQuery[] = [];
  if (filter.objectId !== undefined) and.push({ objectId: filter.objectId });
  if (filter.traceId !== undefined) and.push({ traceId: filter.traceId });
  if (filter.decision !== undefined) and.push({ decision: filter.decision });
  if (filter.class !== undefined) and.push({ predictedClass: filter.class });
  const range: Record<string, Date> = {};
  if (filter.since !== undefined) range.$gte = toDate(filter.since, 'since');
  if (filter.until !== undefined) range.$lte = toDate(filter.until, 'until');
  if (Object.keys(range).length > 0) and.push({ createdAt: range });
  if (cursor) {
    const at = new Date(cursor.createdAt);
    and.push({ $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: cursor.id } }] });
  }
  if (and.length === 0) return {};
  if (and.length === 1) return and[0];
  return { $and: and };
}

/** Jobs the reconciler should re-enqueue (see `ProvenanceStore.findStaleJobs`). */
export function staleJobsQuery(olderThan: Date, now: Date): MongoQuery {
  return {
    $or: [
      { status: 'queued', updatedAt: { $lt: olderThan } },
      { status: 'running', leaseUntil: { $lte: now } },
      { status: 'running', leaseUntil: null },
    ],
  };
}

/** Jobs that `claimJob` may take at `now`: queued, or running with an ended (or missing) lease. */
export function claimableQuery(id: string, now: Date): MongoQuery {
  return {
    _id: id,
    $or: [{ status: 'queued' }, { status: 'running', leaseUntil: { $lte: now } }, { status: 'running', leaseUntil: null }],
  };
}

export function isDuplicateKeyError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { code?: unknown; writeErrors?: { code?: unknown }[]; cause?: unknown };
  if (e.code === 11000 || e.code === 11001) return true;
  if (Array.isArray(e.writeErrors) && e.writeErrors.some((w) => w?.code === 11000)) return true;
  return false;
}

// --- the store -----------------------------------------------------------------------------------------------

export interface MongoStoreOptions {
  /**
   * `'auto'` (default): use transactions when the server is a replica set member or mongos. `false` forces
   * the ordered, transaction-free writes (tests exercise both paths against a replica set).
   */
  transactions?: boolean | 'auto';
  /** Passed to the driver (default 10 s). */
  serverSelectionTimeoutMS?: number;
  /** Database name, overriding the one in the URI (tests use a fresh one per run). */
  dbName?: string;
}

export class MongoStore implements ProvenanceStore {
  readonly kind = 'mongodb' as const;
  private readonly m: StoreModels;

  constructor(
    readonly connection: Connection,
    /** Whether multi-document writes run inside transactions. */
    readonly transactions: boolean,
  ) {
    this.m = registerModels(connection);
  }

  /** Runs `fn` in a transaction when enabled (retried by the driver on transient errors), else directly. */
  private async write<T>(fn: (session: Session | undefined) => Promise<T>): Promise<T> {
    if (!this.transactions) return fn(undefined);
    const session = await this.connection.startSession();
    try {
      let out!: T;
      await session.withTransaction(async () => {
        out = await fn(session);
      });
      return out;
    } finally {
      await session.endSession();
    }
  }

  async submitJob(input: NewJob): Promise<Job> {
    const { Datapoint: Datapoints, AstroObject, Job: Jobs } = this.m;
    // Validate everything before writing anything.
    const datapointDocs = input.datapoints.map((dp) => {
      const doc = new Datapoints(datapointToDoc(dp));
      const error = doc.validateSync();
      if (error) throw error;
      return doc.toObject() as DatapointDoc;
    });
    const at = new Date();
    const jobDoc = new Jobs({
      _id: input.id,
      objectId: input.objectId,
      modality: input.modality,
      datapointIds: input.datapoints.map((dp) => dp.id),
      options: { alpha: input.options.alpha, model: input.options.model },
      status: 'queued',
      attempts: 0,
      history: [{ status: 'queued', at }],
      createdAt: at,
      updatedAt: at,
    });
    const jobError = jobDoc.validateSync();
    if (jobError) throw jobError;
    const jobObject = jobDoc.toObject() as JobDoc;

    await this.write(async (session) => {
      if (await Jobs.exists({ _id: input.id }).session(session ?? null)) throw new JobExistsError(input.id);
      if (datapointDocs.length > 0) {
        await raw<DatapointDoc>(Datapoints).bulkWrite(
          datapointDocs.map(({ _id, ...rest }) => ({
            updateOne: { filter: { _id }, update: { $setOnInsert: rest }, upsert: true },
          })),
          { ordered: false, session },
        );
      }
      await raw<ObjectDoc>(AstroObject).updateOne(
        { _id: input.objectId },
        {
          $setOnInsert: { firstSeen: at, aliases: [] },
          $max: { lastSeen: at },
          $push: { journal: { at, event: 'received', jobId: input.id } },
        },
        { upsert: true, session },
      );
      try {
        await raw<JobDoc>(Jobs).insertOne(jobObject, { session });
      } catch (err) {
        if (isDuplicateKeyError(err)) throw new JobExistsError(input.id);
        throw err;
      }
    });
    return jobFromDoc(jobObject);
  }

  async getJob(id: string): Promise<Job | null> {
    const doc = await this.m.Job.findById(id).lean<JobDoc>();
    return doc ? jobFromDoc(doc) : null;
  }

  async getDatapoints(ids: string[]): Promise<Datapoint[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const docs = await this.m.Datapoint.find({ _id: { $in: unique } }).lean<DatapointDoc[]>();
    const found = new Map(docs.map((d) => [d._id, datapointFromDoc(d)]));
    return unique.flatMap((id) => found.get(id) ?? []);
  }

  async claimJob(id: string, leaseMs: number): Promise<Job | null> {
    const Jobs = this.m.Job;
    const now = new Date();
    const current = await Jobs.findOne(claimableQuery(id, now)).lean<JobDoc>();
    if (!current) return null;
    const attempts = current.attempts + 1;
    // Compare-and-set on (claimable, attempts): of two concurrent claims, exactly one matches.
    const doc = await Jobs.findOneAndUpdate(
      { ...claimableQuery(id, now), attempts: current.attempts },
      {
        $set: { status: 'running', leaseUntil: new Date(now.getTime() + Math.max(0, leaseMs)), updatedAt: now },
        $inc: { attempts: 1 },
        $push: { history: { status: 'running', at: now, detail: `attempt ${attempts}` } },
      },
      { new: true },
    ).lean<JobDoc>();
    return doc ? jobFromDoc(doc) : null;
  }

  async completeJob(classification: Classification, trace: Trace): Promise<Classification> {
    const { Classification: Classifications, Job: Jobs, Trace: Traces } = this.m;
    const existing = await Classifications.findOne({ jobId: classification.jobId }).lean<ClassificationDoc>();
    if (existing) return this.finishCompletion(existing);

    const classificationDoc = new Classifications(classificationToDoc(classification));
    const classificationError = classificationDoc.validateSync();
    if (classificationError) throw classificationError;
    const traceDoc = new Traces({
      _id: trace.id,
      content: trace.content,
      createdAt: toDate(trace.createdAt, 'trace createdAt'),
    });
    const traceError = traceDoc.validateSync();
    if (traceError) throw traceError;
    const stored = classificationDoc.toObject() as ClassificationDoc;
    const { _id: traceId, ...traceRest } = traceDoc.toObject() as TraceDoc;

    try {
      return await this.write(async (session) => {
        const raced = await Classifications.findOne({ jobId: stored.jobId })
          .session(session ?? null)
          .lean<ClassificationDoc>();
        if (raced) return classificationFromDoc(raced);
        const job = await Jobs.findById(stored.jobId).session(session ?? null).lean<JobDoc>();
        if (!job) throw new UnknownJobError(stored.jobId);
        try {
          await raw<TraceDoc>(Traces).updateOne({ _id: traceId }, { $setOnInsert: traceRest }, { upsert: true, session });
        } catch (err) {
          // Two first uses of one trace at once: the other insert won, and the content is the same.
          if (!isDuplicateKeyError(err) || session) throw err;
        }
        await raw<ClassificationDoc>(Classifications).insertOne(stored, { session });
        await this.markCompleted(stored, session);
        return classificationFromDoc(stored);
      });
    } catch (err) {
      if (isDuplicateKeyError(err)) {
        const winner = await Classifications.findOne({ jobId: stored.jobId }).lean<ClassificationDoc>();
        if (winner) return this.finishCompletion(winner);
      }
      throw err;
    }
  }

  /**
   * The idempotent path of completeJob: returns the stored classification, first finishing a completion
   * that a crash interrupted (job not marked, journal entry missing). Writes nothing in the normal case.
   */
  private async finishCompletion(doc: ClassificationDoc): Promise<Classification> {
    const job = await this.m.Job.findById(doc.jobId).lean<JobDoc>();
    if (job && (job.status !== 'completed' || job.classificationId !== doc._id)) {
      await this.write((session) => this.markCompleted(doc, session));
    }
    return classificationFromDoc(doc);
  }

  /** Job → completed, then the `classified` journal entry; both conditional, so safe to repeat. */
  private async markCompleted(doc: ClassificationDoc, session: Session | undefined): Promise<void> {
    const at = new Date();
    await raw<JobDoc>(this.m.Job).updateOne(
      { _id: doc.jobId, $or: [{ status: { $ne: 'completed' } }, { classificationId: { $ne: doc._id } }] },
      {
        $set: { status: 'completed', classificationId: doc._id, updatedAt: at },
        $unset: { leaseUntil: '', error: '' },
        $push: { history: { status: 'completed', at } },
      },
      { session },
    );
    await raw<ObjectDoc>(this.m.AstroObject).updateOne(
      { _id: doc.objectId, 'journal.classificationId': { $ne: doc._id } },
      {
        $setOnInsert: { firstSeen: at, lastSeen: at, aliases: [] },
        $push: {
          journal: { at, event: 'classified', jobId: doc.jobId, traceId: doc.traceId, classificationId: doc._id },
        },
      },
      { upsert: !(await this.m.AstroObject.exists({ _id: doc.objectId }).session(session ?? null)), session },
    );
  }

  async failJob(jobId: string, error: JobError, retry: boolean): Promise<Job | null> {
    const Jobs = this.m.Job;
    const detail = `${error.title}: ${error.detail}`;
    return this.write(async (session) => {
      const at = new Date();
      const status = retry ? 'queued' : 'failed';
      const doc = await Jobs.findOneAndUpdate(
        { _id: jobId, status: { $in: ['queued', 'running'] } },
        {
          $set: { status, error: { title: error.title, detail: error.detail }, updatedAt: at },
          $unset: { leaseUntil: 1 },
          $push: { history: { status, at, detail } },
        },
        { new: true, session, runValidators: true },
      ).lean<JobDoc>();
      if (!doc) {
        // Unknown (null), or finished already: a finished job keeps its outcome.
        const current = await Jobs.findById(jobId).session(session ?? null).lean<JobDoc>();
        return current ? jobFromDoc(current) : null;
      }
      if (!retry) {
        await raw<ObjectDoc>(this.m.AstroObject).updateOne(
          { _id: doc.objectId },
          { $push: { journal: { at, event: 'failed', jobId, detail } } },
          { session },
        );
      }
      return jobFromDoc(doc);
    });
  }

  async requeueJob(jobId: string): Promise<Job | null> {
    const Jobs = this.m.Job;
    const at = new Date();
    const doc = await Jobs.findOneAndUpdate(
      { _id: jobId, status: { $in: ['queued', 'running'] } },
      {
        $set: { status: 'queued', updatedAt: at },
        $unset: { leaseUntil: 1 },
        $push: { history: { status: 'queued', at, detail: 'requeued' } },
      },
      { new: true },
    ).lean<JobDoc>();
    if (doc) return jobFromDoc(doc);
    const current = await Jobs.findById(jobId).lean<JobDoc>();
    return current ? jobFromDoc(current) : null;
  }

  async findStaleJobs(olderThan: Date, limit: number): Promise<Job[]> {
    const n = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    if (n === 0) return [];
    const docs = await this.m.Job.find(staleJobsQuery(olderThan, new Date()))
      .sort({ updatedAt: 1, _id: 1 })
      .limit(n)
      .lean<JobDoc[]>();
    return docs.map(jobFromDoc);
  }

  async getClassification(id: string): Promise<Classification | null> {
    const doc = await this.m.Classification.findById(id).lean<ClassificationDoc>();
    return doc ? classificationFromDoc(doc) : null;
  }

  async listClassifications(filter: ClassificationFilter, first: number, after?: string): Promise<Page<Classification>> {
    const position = after === undefined ? undefined : decodeCursor(after);
    const size = clampFirst(first);
    const docs = await this.m.Classification.find(classificationQuery(filter, position))
      .sort(CLASSIFICATION_SORT)
      .limit(size + 1)
      .lean<ClassificationDoc[]>();
    const items = docs.slice(0, size).map(classificationFromDoc);
    const page: Page<Classification> = { items };
    if (docs.length > size) {
      const last = items[items.length - 1];
      page.nextCursor = encodeCursor({ createdAt: last.createdAt, id: last.id });
    }
    return page;
  }

  async getObject(objectId: string): Promise<AstroObject | null> {
    const doc = await this.m.AstroObject.findById(objectId).lean<ObjectDoc>();
    return doc ? objectFromDoc(doc) : null;
  }

  async appendJournal(objectId: string, entry: JournalEntry): Promise<void> {
    const doc = journalEntryToDoc(entry);
    const result = await this.m.AstroObject.updateOne(
      { _id: objectId },
      { $push: { journal: doc } },
      { runValidators: true },
    );
    if (result.matchedCount === 0) throw new UnknownObjectError(objectId);
  }

  async getTrace(id: string): Promise<Trace | null> {
    const doc = await this.m.Trace.findById(id).lean<TraceDoc>();
    return doc ? { id: doc._id, content: doc.content as unknown as Trace['content'], createdAt: iso(doc.createdAt) } : null;
  }

  async ping(): Promise<void> {
    const db = this.connection.db;
    if (this.connection.readyState !== 1 || !db) throw new Error('mongodb store is not connected');
    await db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/** Whether the server behind `conn` can run multi-document transactions (replica set member or mongos). */
export async function supportsTransactions(conn: Connection): Promise<boolean> {
  const db = conn.db;
  if (!db) return false;
  type Hello = { setName?: string; msg?: string };
  let hello: Hello;
  try {
    hello = (await db.admin().command({ hello: 1 })) as Hello;
  } catch {
    hello = (await db.admin().command({ isMaster: 1 })) as Hello; // servers before 4.4.2
  }
  return Boolean(hello.setName) || hello.msg === 'isdbgrid';
}

/** Connects to `uri` on a connection of its own, builds the indexes, and returns the store. */
export async function createMongoStore(uri: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    ...(options.dbName ? { dbName: options.dbName } : {}),
  });
  try {
    await connection.asPromise();
    const transactions =
      options.transactions === undefined || options.transactions === 'auto'
        ? await supportsTransactions(connection)
        : options.transactions;
    const store = new MongoStore(connection, transactions);
    // Create the collections (a transaction cannot on older servers) and their indexes.
    await Promise.all(Object.values(registerModels(connection)).map((model) => model.init()));
    return store;
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}
