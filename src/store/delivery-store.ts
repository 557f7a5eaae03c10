/**
 * Follow-up delivery records: webhook subscriptions, deliveries (one message to one target, retried until it
 * succeeds or is dead-lettered), every attempt, and SkyPortal analysis requests waiting for their result.
 * Like the provenance store, the store is the source of truth and the queue carries delivery ids only.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Modality, Page } from '../provenance/records.js';
import type { Decision } from '../confidence/result.js';

/** Conditions over a result; every condition given must hold (an empty rule matches every result). */
export interface WebhookRule {
  decisions?: Decision[];
  /** The predicted fine class is one of these... */
  classes?: string[];
  /** ...with at least this probability (applies to the predicted class, with or without `classes`). */
  minProbability?: number;
  /** Conformal p-value p_M strictly below this. */
  maxPValue?: number;
  minSetSize?: number;
  maxSetSize?: number;
  minAnomalyScore?: number;
  modalities?: Modality[];
  /** A regular expression the object id must match. */
  objectIdPattern?: string;
}

export type WebhookTarget = 'webhook' | 'skyportal';

export interface SkyPortalPushSettings {
  /** SkyPortal's id of the taxonomy the class names belong to (tdtax). */
  taxonomyId: number;
  origin: string;
  groupIds?: number[];
}

export interface Webhook {
  id: string;
  /** `webhook`: signed JSON POSTs to `url`. `skyportal`: classification and annotation pushed to the SkyPortal at `url`. */
  target: WebhookTarget;
  url: string;
  rule: WebhookRule;
  active: boolean;
  /** The last characters of the secret, to tell secrets apart; the secret itself is never returned again. */
  secretHint: string;
  skyportal?: SkyPortalPushSettings;
  createdAt: string;
  updatedAt: string;
}

/** The stored form: with the HMAC secret (or, for a SkyPortal target, the API token). */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export type WebhookPatch = Partial<Pick<WebhookWithSecret, 'url' | 'rule' | 'active' | 'secret' | 'secretHint' | 'skyportal'>>;

export type DeliveryKind = 'webhook' | 'skyportal-classification' | 'skyportal-annotation' | 'analysis-callback';
export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'dead';

export interface Delivery {
  /** Sent as `X-Candela-Delivery`; the same on every attempt, so receivers can deduplicate. */
  id: string;
  kind: DeliveryKind;
  webhookId?: string;
  /** For an analysis callback, the SkyPortal analysis request it answers. */
  analysisId?: string;
  classificationId?: string;
  url: string;
  /** The JSON body, fixed when the delivery is created. */
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string;
  leaseUntil?: string;
  /** No attempt is made after this time (SkyPortal's `invalid_after`). */
  invalidAfter?: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
}

export type NewDelivery = Pick<Delivery, 'id' | 'kind' | 'url' | 'payload' | 'maxAttempts'> &
  Partial<Pick<Delivery, 'webhookId' | 'analysisId' | 'classificationId' | 'invalidAfter'>>;

export type AttemptOutcome = 'succeeded' | 'retry' | 'dead';

export interface DeliveryAttempt {
  deliveryId: string;
  number: number;
  startedAt: string;
  durationMs: number;
  statusCode?: number;
  error?: string;
  outcome: AttemptOutcome;
  /** For `retry`: the wait before the next attempt, and whether the receiver asked for it (Retry-After). */
  retryInMs?: number;
  retryAfterHonoured?: boolean;
}

/** What follows an attempt: the delivery is finished, or waits `retryInMs` for the next one. */
export type AttemptResult = Omit<DeliveryAttempt, 'deliveryId' | 'number'>;

export interface AnalysisRequest {
  id: string;
  jobId?: string;
  objectId: string;
  callbackUrl: string;
  invalidAfter: string;
  resourceType: string;
  resourceId: string;
  parameters: Record<string, unknown>;
  createdAt: string;
}

export interface DeliveryStore {
  readonly kind: 'sqlite' | 'mongodb';

  createWebhook(webhook: WebhookWithSecret): Promise<Webhook>;
  /** With its secret: for the delivery worker only. */
  getWebhookWithSecret(id: string): Promise<WebhookWithSecret | null>;
  getWebhook(id: string): Promise<Webhook | null>;
  /** Oldest first. */
  listWebhooks(): Promise<Webhook[]>;
  listActiveWebhooks(): Promise<WebhookWithSecret[]>;
  updateWebhook(id: string, patch: WebhookPatch): Promise<Webhook | null>;
  /** Returns false for an unknown id. The deliveries and their log stay, for the record. */
  deleteWebhook(id: string): Promise<boolean>;

  /**
   * Insert a delivery, `pending` and due now. Idempotent by id: a delivery that exists is returned as stored
   * with `created: false`, so that a result seen twice (events reach every worker) is delivered once.
   */
  createDelivery(delivery: NewDelivery): Promise<{ delivery: Delivery; created: boolean }>;
  getDelivery(id: string): Promise<Delivery | null>;
  /** Newest first; `after` is a cursor from a previous page. */
  listDeliveries(webhookId: string, first: number, after?: string): Promise<Page<Delivery>>;
  /**
   * Take a delivery for one attempt: a `pending` one (the queue's delay decides when; timers may fire a
   * millisecond before `nextAttemptAt`), or a `delivering` one whose lease ended (its worker died
   * mid-attempt), becomes `delivering` with attempts + 1 and a lease until now + leaseMs. Returns null
   * otherwise: finished, or in another worker's hands.
   */
  claimDelivery(id: string, leaseMs: number): Promise<Delivery | null>;
  /**
   * Log attempt number `attempt` and move the delivery on, atomically: `succeeded`, `dead`, or back to
   * `pending`, due after `retryInMs`. Only while that attempt still holds the delivery (same attempt number,
   * still `delivering`); otherwise nothing is written and null is returned.
   */
  finishAttempt(id: string, attempt: number, result: AttemptResult): Promise<Delivery | null>;
  listAttempts(deliveryId: string): Promise<DeliveryAttempt[]>;
  /** A finished (`succeeded` or `dead`) delivery becomes `pending` again, due now, with `extraAttempts` more. */
  redeliver(id: string, extraAttempts: number): Promise<Delivery | null>;
  /** `pending` deliveries that are due, and `delivering` ones whose lease has ended. */
  findDueDeliveries(limit: number): Promise<Delivery[]>;

  createAnalysisRequest(request: AnalysisRequest): Promise<AnalysisRequest>;
  getAnalysisRequest(id: string): Promise<AnalysisRequest | null>;
  findAnalysisRequestByJob(jobId: string): Promise<AnalysisRequest | null>;

  close(): Promise<void>;
}

/** A subscription as it may be shown: without its secret. */
export function withoutSecret({ secret: _secret, ...webhook }: WebhookWithSecret): Webhook {
  return webhook;
}

/** Drops null and undefined members, so that records read back carry only the optional fields that are set. */
export function definedFields<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined)) as T;
}

export const DELIVERY_SQLITE_FILE_NAME = 'deliveries.sqlite';

/** MongoDB when a URI is configured (the provenance store's database), else `<dataDir>/deliveries.sqlite`. */
export async function createDeliveryStore(options: { mongodbUri?: string; dataDir: string }): Promise<DeliveryStore> {
  const uri = options.mongodbUri?.trim();
  if (uri) {
    const { createMongoDeliveryStore } = await import('./mongo-delivery-store.js');
    return createMongoDeliveryStore(uri);
  }
  await mkdir(options.dataDir, { recursive: true });
  const { createSqliteDeliveryStore } = await import('./sqlite-delivery-store.js');
  return createSqliteDeliveryStore(join(options.dataDir, DELIVERY_SQLITE_FILE_NAME));
}
