/**
 * The follow-up delivery collections: `webhooks` (subscriptions, with their secret), `deliveries` (one message
 * to one target, its attempt log embedded so that recording an attempt is one atomic update) and
 * `analysis_requests` (SkyPortal analysis requests waiting for their job).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { AttemptOutcome, DeliveryKind, DeliveryStatus, WebhookTarget } from '../src/store/delivery-store.js';

export const WEBHOOK_TARGETS = ['webhook', 'skyportal'] as const satisfies readonly WebhookTarget[];
export const DELIVERY_KINDS = ['webhook', 'skyportal-classification', 'skyportal-annotation', 'analysis-callback'] as const satisfies readonly DeliveryKind[];
export const DELIVERY_STATUSES = ['pending', 'delivering', 'succeeded', 'dead'] as const satisfies readonly DeliveryStatus[];
export const ATTEMPT_OUTCOMES = ['succeeded', 'retry', 'dead'] as const satisfies readonly AttemptOutcome[];

export interface WebhookDoc {
  _id: string;
  target: WebhookTarget;
  url: string;
  rule: Record<string, unknown>;
  active: boolean;
  secret: string;
  secretHint: string;
  skyportal?: { taxonomyId: number; origin: string; groupIds?: number[] } | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryAttemptDoc {
  number: number;
  startedAt: Date;
  durationMs: number;
  statusCode?: number | null;
  error?: string | null;
  outcome: AttemptOutcome;
  retryInMs?: number | null;
  retryAfterHonoured?: boolean | null;
}

export interface DeliveryDoc {
  _id: string;
  kind: DeliveryKind;
  webhookId?: string | null;
  analysisId?: string | null;
  classificationId?: string | null;
  url: string;
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date;
  leaseUntil?: Date | null;
  invalidAfter?: Date | null;
  lastError?: string | null;
  attemptLog: DeliveryAttemptDoc[];
  createdAt: Date;
  updatedAt: Date;
}

export interface AnalysisRequestDoc {
  _id: string;
  jobId?: string | null;
  objectId: string;
  callbackUrl: string;
  invalidAfter: Date;
  resourceType: string;
  resourceId: string;
  parameters: Record<string, unknown>;
  createdAt: Date;
}

const options = { versionKey: false, minimize: false, suppressReservedKeysWarning: true } as const;

export const webhookSchema = new Schema<WebhookDoc>(
  {
    _id: { type: String, required: true, minlength: 1 },
    target: { type: String, required: true, enum: WEBHOOK_TARGETS },
    url: { type: String, required: true },
    rule: { type: Schema.Types.Mixed, required: true, default: {} },
    active: { type: Boolean, required: true },
    secret: { type: String, required: true, minlength: 1 },
    secretHint: { type: String, required: true },
    skyportal: {
      type: new Schema({ taxonomyId: { type: Number, required: true, min: 1 }, origin: { type: String, required: true }, groupIds: { type: [Number], default: undefined } }, { _id: false }),
    },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'webhooks' },
);
webhookSchema.index({ active: 1, createdAt: 1 });

const attemptSchema = new Schema<DeliveryAttemptDoc>(
  {
    number: { type: Number, required: true, min: 1 },
    startedAt: { type: Date, required: true },
    durationMs: { type: Number, required: true, min: 0 },
    statusCode: { type: Number },
    error: { type: String },
    outcome: { type: String, required: true, enum: ATTEMPT_OUTCOMES },
    retryInMs: { type: Number, min: 0 },
    retryAfterHonoured: { type: Boolean },
  },
  { _id: false },
);

export const deliverySchema = new Schema<DeliveryDoc>(
  {
    _id: { type: String, required: true, minlength: 1 },
    kind: { type: String, required: true, enum: DELIVERY_KINDS },
    webhookId: { type: String },
    analysisId: { type: String },
    classificationId: { type: String },
    url: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    status: { type: String, required: true, enum: DELIVERY_STATUSES },
    attempts: { type: Number, required: true, min: 0, default: 0 },
    maxAttempts: { type: Number, required: true, min: 1 },
    nextAttemptAt: { type: Date, required: true },
    leaseUntil: { type: Date },
    invalidAfter: { type: Date },
    lastError: { type: String },
    attemptLog: { type: [attemptSchema], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'deliveries' },
);
/** A subscription's log (newest first), and the reconciler's two questions: due, and lease ended. */
deliverySchema.index({ webhookId: 1, createdAt: -1, _id: -1 });
deliverySchema.index({ status: 1, nextAttemptAt: 1 });
deliverySchema.index({ status: 1, leaseUntil: 1 });

export const analysisRequestSchema = new Schema<AnalysisRequestDoc>(
  {
    _id: { type: String, required: true, minlength: 1 },
    jobId: { type: String },
    objectId: { type: String, required: true },
    callbackUrl: { type: String, required: true },
    invalidAfter: { type: Date, required: true },
    resourceType: { type: String, required: true },
    resourceId: { type: String, required: true },
    parameters: { type: Schema.Types.Mixed, required: true, default: {} },
    createdAt: { type: Date, required: true },
  },
  { ...options, collection: 'analysis_requests' },
);
analysisRequestSchema.index({ jobId: 1 }, { unique: true, partialFilterExpression: { jobId: { $type: 'string' } } });

export interface DeliveryModels {
  Webhook: Model<WebhookDoc>;
  Delivery: Model<DeliveryDoc>;
  AnalysisRequest: Model<AnalysisRequestDoc>;
}

/** Registers (or returns the already registered) models on `conn`. */
export function registerDeliveryModels(conn: Connection): DeliveryModels {
  return {
    Webhook: (conn.models.Webhook as Model<WebhookDoc> | undefined) ?? conn.model<WebhookDoc>('Webhook', webhookSchema),
    Delivery: (conn.models.Delivery as Model<DeliveryDoc> | undefined) ?? conn.model<DeliveryDoc>('Delivery', deliverySchema),
    AnalysisRequest: (conn.models.AnalysisRequest as Model<AnalysisRequestDoc> | undefined) ?? conn.model<AnalysisRequestDoc>('AnalysisRequest', analysisRequestSchema),
  };
}
