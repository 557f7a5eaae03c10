/**
 * Delivery records in MongoDB (mongoose, a connection of its own). Every write touches one document, so each
 * is atomic without transactions: a claim is one conditional findOneAndUpdate, and an attempt result is
 * pushed onto the delivery's embedded log by the same update that moves its status on.
 */
import mongoose, { type Connection } from 'mongoose';
import {
  registerDeliveryModels,
  type AnalysisRequestDoc,
  type DeliveryAttemptDoc,
  type DeliveryDoc,
  type DeliveryModels,
  type WebhookDoc,
} from '../../models/delivery.js';
import type { Page } from '../provenance/records.js';
import { clampFirst, decodeCursor, encodeCursor } from './cursor.js';
import type {
  AnalysisRequest,
  AttemptResult,
  Delivery,
  DeliveryAttempt,
  DeliveryStore,
  NewDelivery,
  Webhook,
  WebhookPatch,
  WebhookWithSecret,
} from './delivery-store.js';
import { definedFields, withoutSecret } from './delivery-store.js';
import { isDuplicateKeyError } from './mongo-store.js';

type Query = Record<string, unknown>;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : undefined);

export function webhookFromDoc(doc: WebhookDoc): WebhookWithSecret {
  return definedFields({
    id: doc._id,
    target: doc.target,
    url: doc.url,
    rule: doc.rule,
    active: doc.active,
    secret: doc.secret,
    secretHint: doc.secretHint,
    skyportal: doc.skyportal ? definedFields({ ...doc.skyportal }) : undefined,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  });
}

export function deliveryFromDoc(doc: DeliveryDoc): Delivery {
  return definedFields({
    id: doc._id,
    kind: doc.kind,
    webhookId: doc.webhookId,
    analysisId: doc.analysisId,
    classificationId: doc.classificationId,
    url: doc.url,
    payload: doc.payload,
    status: doc.status,
    attempts: doc.attempts,
    maxAttempts: doc.maxAttempts,
    nextAttemptAt: doc.nextAttemptAt.toISOString(),
    leaseUntil: iso(doc.leaseUntil),
    invalidAfter: iso(doc.invalidAfter),
    lastError: doc.lastError,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  }) as Delivery;
}

export function attemptFromDoc(deliveryId: string, doc: DeliveryAttemptDoc): DeliveryAttempt {
  return definedFields({ ...doc, deliveryId, startedAt: doc.startedAt.toISOString() }) as DeliveryAttempt;
}

export function analysisFromDoc(doc: AnalysisRequestDoc): AnalysisRequest {
  return definedFields({
    id: doc._id,
    jobId: doc.jobId,
    objectId: doc.objectId,
    callbackUrl: doc.callbackUrl,
    invalidAfter: doc.invalidAfter.toISOString(),
    resourceType: doc.resourceType,
    resourceId: doc.resourceId,
    parameters: doc.parameters,
    createdAt: doc.createdAt.toISOString(),
  }) as AnalysisRequest;
}

/** Deliveries a worker may take at `now`: pending, or delivering with an ended lease. */
export function claimableDeliveryQuery(id: string, now: Date): Query {
  return { _id: id, $or: [{ status: 'pending' }, { status: 'delivering', leaseUntil: { $lte: now } }] };
}

/** What the reconciler schedules: pending and due, or delivering with an ended lease. */
export function dueDeliveriesQuery(now: Date): Query {
  return { $or: [{ status: 'pending', nextAttemptAt: { $lte: now } }, { status: 'delivering', leaseUntil: { $lte: now } }] };
}

/** A subscription's deliveries after `after` (a cursor), newest first. */
export function deliveriesPageQuery(webhookId: string, after?: string): Query {
  if (after === undefined) return { webhookId };
  const position = decodeCursor(after);
  const createdAt = new Date(position.createdAt);
  return { webhookId, $or: [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: position.id } }] };
}

export class MongoDeliveryStore implements DeliveryStore {
  readonly kind = 'mongodb' as const;
  private readonly m: DeliveryModels;

  constructor(readonly connection: Connection) {
    this.m = registerDeliveryModels(connection);
  }

  async createWebhook(webhook: WebhookWithSecret): Promise<Webhook> {
    const { id, createdAt, updatedAt, ...rest } = webhook;
    await this.m.Webhook.create({ ...rest, _id: id, createdAt: new Date(createdAt), updatedAt: new Date(updatedAt) });
    return (await this.getWebhook(id))!;
  }

  async getWebhookWithSecret(id: string): Promise<WebhookWithSecret | null> {
    const doc = await this.m.Webhook.findById(id).lean<WebhookDoc>();
    return doc ? webhookFromDoc(doc) : null;
  }

  async getWebhook(id: string): Promise<Webhook | null> {
    const doc = await this.m.Webhook.findById(id, { secret: 0 }).lean<WebhookDoc>();
    return doc ? withoutSecret(webhookFromDoc(doc)) : null;
  }

  async listWebhooks(): Promise<Webhook[]> {
    const docs = await this.m.Webhook.find({}, { secret: 0 }).sort({ createdAt: 1, _id: 1 }).lean<WebhookDoc[]>();
    return docs.map((doc) => withoutSecret(webhookFromDoc(doc)));
  }

  async listActiveWebhooks(): Promise<WebhookWithSecret[]> {
    const docs = await this.m.Webhook.find({ active: true }).sort({ createdAt: 1, _id: 1 }).lean<WebhookDoc[]>();
    return docs.map(webhookFromDoc);
  }

  async updateWebhook(id: string, patch: WebhookPatch): Promise<Webhook | null> {
    const doc = await this.m.Webhook.findByIdAndUpdate(id, { $set: { ...patch, updatedAt: new Date() } }, { new: true, projection: { secret: 0 } }).lean<WebhookDoc>();
    return doc ? withoutSecret(webhookFromDoc(doc)) : null;
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return (await this.m.Webhook.deleteOne({ _id: id })).deletedCount === 1;
  }

  async createDelivery(delivery: NewDelivery): Promise<{ delivery: Delivery; created: boolean }> {
    const now = new Date();
    const { id, invalidAfter, ...rest } = delivery;
    try {
      await this.m.Delivery.create({
        ...rest, _id: id, status: 'pending', attempts: 0, nextAttemptAt: now, attemptLog: [], createdAt: now, updatedAt: now,
        ...(invalidAfter ? { invalidAfter: new Date(invalidAfter) } : {}),
      });
      return { delivery: (await this.getDelivery(id))!, created: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      return { delivery: (await this.getDelivery(id))!, created: false };
    }
  }

  async getDelivery(id: string): Promise<Delivery | null> {
    const doc = await this.m.Delivery.findById(id, { attemptLog: 0 }).lean<DeliveryDoc>();
    return doc ? deliveryFromDoc(doc) : null;
  }

  async listDeliveries(webhookId: string, first: number, after?: string): Promise<Page<Delivery>> {
    const size = clampFirst(first);
    const docs = await this.m.Delivery.find(deliveriesPageQuery(webhookId, after), { attemptLog: 0 }).sort({ createdAt: -1, _id: -1 }).limit(size + 1).lean<DeliveryDoc[]>();
    const items = docs.slice(0, size).map(deliveryFromDoc);
    const last = items[items.length - 1];
    return docs.length > size ? { items, nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) } : { items };
  }

  async claimDelivery(id: string, leaseMs: number): Promise<Delivery | null> {
    const now = new Date();
    const doc = await this.m.Delivery.findOneAndUpdate(
      claimableDeliveryQuery(id, now),
      { $set: { status: 'delivering', leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: now }, $inc: { attempts: 1 } },
      { new: true, projection: { attemptLog: 0 } },
    ).lean<DeliveryDoc>();
    return doc ? deliveryFromDoc(doc) : null;
  }

  async finishAttempt(id: string, attempt: number, result: AttemptResult): Promise<Delivery | null> {
    const now = new Date();
    const logged: DeliveryAttemptDoc = definedFields({ ...result, number: attempt, startedAt: new Date(result.startedAt), durationMs: Math.round(result.durationMs) });
    const doc = await this.m.Delivery.findOneAndUpdate(
      { _id: id, attempts: attempt, status: 'delivering' },
      {
        $set: {
          status: result.outcome === 'retry' ? 'pending' : result.outcome,
          nextAttemptAt: new Date(now.getTime() + (result.retryInMs ?? 0)),
          leaseUntil: null,
          lastError: result.error ?? null,
          updatedAt: now,
        },
        $push: { attemptLog: logged },
      },
      { new: true, projection: { attemptLog: 0 } },
    ).lean<DeliveryDoc>();
    return doc ? deliveryFromDoc(doc) : null;
  }

  async listAttempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    const doc = await this.m.Delivery.findById(deliveryId, { attemptLog: 1 }).lean<Pick<DeliveryDoc, 'attemptLog'>>();
    return (doc?.attemptLog ?? []).map((a) => attemptFromDoc(deliveryId, a));
  }

  async redeliver(id: string, extraAttempts: number): Promise<Delivery | null> {
    const now = new Date();
    const doc = await this.m.Delivery.findOneAndUpdate(
      { _id: id, status: { $in: ['succeeded', 'dead'] } },
      [{ $set: { status: 'pending', maxAttempts: { $add: ['$attempts', extraAttempts] }, nextAttemptAt: now, updatedAt: now } }],
      { new: true, projection: { attemptLog: 0 } },
    ).lean<DeliveryDoc>();
    return doc ? deliveryFromDoc(doc) : null;
  }

  async findDueDeliveries(limit: number): Promise<Delivery[]> {
    const docs = await this.m.Delivery.find(dueDeliveriesQuery(new Date()), { attemptLog: 0 }).sort({ nextAttemptAt: 1 }).limit(limit).lean<DeliveryDoc[]>();
    return docs.map(deliveryFromDoc);
  }

  async createAnalysisRequest(request: AnalysisRequest): Promise<AnalysisRequest> {
    const { id, invalidAfter, createdAt, ...rest } = request;
    await this.m.AnalysisRequest.create({ ...rest, _id: id, invalidAfter: new Date(invalidAfter), createdAt: new Date(createdAt) });
    return request;
  }

  async getAnalysisRequest(id: string): Promise<AnalysisRequest | null> {
    const doc = await this.m.AnalysisRequest.findById(id).lean<AnalysisRequestDoc>();
    return doc ? analysisFromDoc(doc) : null;
  }

  async findAnalysisRequestByJob(jobId: string): Promise<AnalysisRequest | null> {
    const doc = await this.m.AnalysisRequest.findOne({ jobId }).lean<AnalysisRequestDoc>();
    return doc ? analysisFromDoc(doc) : null;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}


export async function createMongoDeliveryStore(uri: string, options: { dbName?: string; serverSelectionTimeoutMS?: number } = {}): Promise<MongoDeliveryStore> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    ...(options.dbName ? { dbName: options.dbName } : {}),
  });
  try {
    await connection.asPromise();
    await Promise.all(Object.values(registerDeliveryModels(connection)).map((model) => model.init()));
    return new MongoDeliveryStore(connection);
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}
