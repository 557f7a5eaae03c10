/**
 * Delivery records in their own SQLite file (WAL, like the provenance store). Claims and attempt results are
 * single conditional UPDATEs, so two workers can never both hold one attempt.
 */
import Database from 'better-sqlite3';
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

/** Applied in order; `PRAGMA user_version` holds how many have run. Append, never edit. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL CHECK (target IN ('webhook', 'skyportal')),
    url TEXT NOT NULL,
    rule TEXT NOT NULL,
    active INTEGER NOT NULL,
    secret TEXT NOT NULL,
    secret_hint TEXT NOT NULL,
    skyportal TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'skyportal-classification', 'skyportal-annotation', 'analysis-callback')),
    webhook_id TEXT,
    analysis_id TEXT,
    classification_id TEXT,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'succeeded', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_until TEXT,
    invalid_after TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at, id);
  CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
  CREATE INDEX deliveries_lease ON deliveries (status, lease_until);

  CREATE TABLE delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    number INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'retry', 'dead')),
    retry_in_ms INTEGER,
    retry_after_honoured INTEGER,
    PRIMARY KEY (delivery_id, number)
  );

  CREATE TABLE analysis_requests (
    id TEXT PRIMARY KEY,
    job_id TEXT UNIQUE,
    object_id TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    invalid_after TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    parameters TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
];

interface WebhookRow {
  id: string;
  target: string;
  url: string;
  rule: string;
  active: number;
  secret: string;
  secret_hint: string;
  skyportal: string | null;
  created_at: string;
  updated_at: string;
}

interface DeliveryRow {
  id: string;
  kind: string;
  webhook_id: string | null;
  analysis_id: string | null;
  classification_id: string | null;
  url: string;
  payload: string;
  status: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: string;
  lease_until: string | null;
  invalid_after: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

interface AttemptRow {
  delivery_id: string;
  number: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  outcome: string;
  retry_in_ms: number | null;
  retry_after_honoured: number | null;
}

interface AnalysisRow {
  id: string;
  job_id: string | null;
  object_id: string;
  callback_url: string;
  invalid_after: string;
  resource_type: string;
  resource_id: string;
  parameters: string;
  created_at: string;
}

const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString();


function webhookWithSecretFromRow(row: WebhookRow): WebhookWithSecret {
  return definedFields({
    id: row.id,
    target: row.target as Webhook['target'],
    url: row.url,
    rule: JSON.parse(row.rule),
    active: row.active === 1,
    secret: row.secret,
    secretHint: row.secret_hint,
    skyportal: row.skyportal === null ? undefined : JSON.parse(row.skyportal),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}


function deliveryFromRow(row: DeliveryRow): Delivery {
  return definedFields({
    id: row.id,
    kind: row.kind as Delivery['kind'],
    webhookId: row.webhook_id ?? undefined,
    analysisId: row.analysis_id ?? undefined,
    classificationId: row.classification_id ?? undefined,
    url: row.url,
    payload: JSON.parse(row.payload),
    status: row.status as Delivery['status'],
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.next_attempt_at,
    leaseUntil: row.lease_until ?? undefined,
    invalidAfter: row.invalid_after ?? undefined,
    lastError: row.last_error ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

function attemptFromRow(row: AttemptRow): DeliveryAttempt {
  return definedFields({
    deliveryId: row.delivery_id,
    number: row.number,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    statusCode: row.status_code ?? undefined,
    error: row.error ?? undefined,
    outcome: row.outcome as DeliveryAttempt['outcome'],
    retryInMs: row.retry_in_ms ?? undefined,
    retryAfterHonoured: row.retry_after_honoured === null ? undefined : row.retry_after_honoured === 1,
  });
}

function analysisFromRow(row: AnalysisRow): AnalysisRequest {
  return definedFields({
    id: row.id,
    jobId: row.job_id ?? undefined,
    objectId: row.object_id,
    callbackUrl: row.callback_url,
    invalidAfter: row.invalid_after,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    parameters: JSON.parse(row.parameters),
    createdAt: row.created_at,
  });
}

export class SqliteDeliveryStore implements DeliveryStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.transaction(() => {
      const current = this.db.pragma('user_version', { simple: true }) as number;
      for (let version = current; version < MIGRATIONS.length; version++) this.db.exec(MIGRATIONS[version]);
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    }).immediate();
  }

  async createWebhook(webhook: WebhookWithSecret): Promise<Webhook> {
    this.db
      .prepare(`INSERT INTO webhooks (id, target, url, rule, active, secret, secret_hint, skyportal, created_at, updated_at)
                VALUES (@id, @target, @url, @rule, @active, @secret, @secretHint, @skyportal, @createdAt, @updatedAt)`)
      .run({ ...webhook, rule: JSON.stringify(webhook.rule), active: webhook.active ? 1 : 0, skyportal: webhook.skyportal ? JSON.stringify(webhook.skyportal) : null });
    return withoutSecret(webhook);
  }

  async getWebhookWithSecret(id: string): Promise<WebhookWithSecret | null> {
    const row = this.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    return row ? webhookWithSecretFromRow(row) : null;
  }

  async getWebhook(id: string): Promise<Webhook | null> {
    const webhook = await this.getWebhookWithSecret(id);
    return webhook ? withoutSecret(webhook) : null;
  }

  async listWebhooks(): Promise<Webhook[]> {
    const rows = this.db.prepare('SELECT * FROM webhooks ORDER BY created_at, id').all() as WebhookRow[];
    return rows.map((row) => withoutSecret(webhookWithSecretFromRow(row)));
  }

  async listActiveWebhooks(): Promise<WebhookWithSecret[]> {
    const rows = this.db.prepare('SELECT * FROM webhooks WHERE active = 1 ORDER BY created_at, id').all() as WebhookRow[];
    return rows.map(webhookWithSecretFromRow);
  }

  async updateWebhook(id: string, patch: WebhookPatch): Promise<Webhook | null> {
    const current = await this.getWebhookWithSecret(id);
    if (!current) return null;
    const next: WebhookWithSecret = { ...current, ...patch, updatedAt: new Date().toISOString() };
    this.db
      .prepare('UPDATE webhooks SET url = ?, rule = ?, active = ?, secret = ?, secret_hint = ?, skyportal = ?, updated_at = ? WHERE id = ?')
      .run(next.url, JSON.stringify(next.rule), next.active ? 1 : 0, next.secret, next.secretHint, next.skyportal ? JSON.stringify(next.skyportal) : null, next.updatedAt, id);
    return withoutSecret(next);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes === 1;
  }

  async createDelivery(delivery: NewDelivery): Promise<{ delivery: Delivery; created: boolean }> {
    const now = new Date().toISOString();
    const inserted = this.db
      .prepare(`INSERT OR IGNORE INTO deliveries
                (id, kind, webhook_id, analysis_id, classification_id, url, payload, status, attempts, max_attempts, next_attempt_at, invalid_after, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)`)
      .run(delivery.id, delivery.kind, delivery.webhookId ?? null, delivery.analysisId ?? null, delivery.classificationId ?? null, delivery.url,
        JSON.stringify(delivery.payload), delivery.maxAttempts, now, delivery.invalidAfter ?? null, now, now);
    return { delivery: (await this.getDelivery(delivery.id))!, created: inserted.changes === 1 };
  }

  async getDelivery(id: string): Promise<Delivery | null> {
    const row = this.db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return row ? deliveryFromRow(row) : null;
  }

  async listDeliveries(webhookId: string, first: number, after?: string): Promise<Page<Delivery>> {
    const position = after === undefined ? undefined : decodeCursor(after);
    const size = clampFirst(first);
    const rows = (position
      ? this.db.prepare(`SELECT * FROM deliveries WHERE webhook_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
                         ORDER BY created_at DESC, id DESC LIMIT ?`).all(webhookId, position.createdAt, position.createdAt, position.id, size + 1)
      : this.db.prepare('SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(webhookId, size + 1)) as DeliveryRow[];
    const items = rows.slice(0, size).map(deliveryFromRow);
    const last = items[items.length - 1];
    return rows.length > size ? { items, nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) } : { items };
  }

  async claimDelivery(id: string, leaseMs: number): Promise<Delivery | null> {
    const now = new Date().toISOString();
    const claimed = this.db
      .prepare(`UPDATE deliveries SET status = 'delivering', attempts = attempts + 1, lease_until = ?, updated_at = ?
                WHERE id = ? AND (status = 'pending' OR (status = 'delivering' AND lease_until <= ?))`)
      .run(isoIn(leaseMs), now, id, now);
    return claimed.changes === 1 ? this.getDelivery(id) : null;
  }

  async finishAttempt(id: string, attempt: number, result: AttemptResult): Promise<Delivery | null> {
    const finish = this.db.transaction((): boolean => {
      const status = result.outcome === 'retry' ? 'pending' : result.outcome;
      const now = new Date().toISOString();
      const updated = this.db
        .prepare(`UPDATE deliveries SET status = ?, next_attempt_at = ?, lease_until = NULL, last_error = ?, updated_at = ?
                  WHERE id = ? AND attempts = ? AND status = 'delivering'`)
        .run(status, isoIn(result.retryInMs ?? 0), result.error ?? null, now, id, attempt);
      if (updated.changes !== 1) return false;
      this.db
        .prepare(`INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, status_code, error, outcome, retry_in_ms, retry_after_honoured)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(id, attempt, result.startedAt, Math.round(result.durationMs), result.statusCode ?? null, result.error ?? null, result.outcome,
          result.retryInMs ?? null, result.retryAfterHonoured === undefined ? null : result.retryAfterHonoured ? 1 : 0);
      return true;
    });
    return finish.immediate() ? this.getDelivery(id) : null;
  }

  async listAttempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    const rows = this.db.prepare('SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY number').all(deliveryId) as AttemptRow[];
    return rows.map(attemptFromRow);
  }

  async redeliver(id: string, extraAttempts: number): Promise<Delivery | null> {
    const now = new Date().toISOString();
    const updated = this.db
      .prepare(`UPDATE deliveries SET status = 'pending', max_attempts = attempts + ?, next_attempt_at = ?, updated_at = ?
                WHERE id = ? AND status IN ('succeeded', 'dead')`)
      .run(extraAttempts, now, now, id);
    return updated.changes === 1 ? this.getDelivery(id) : null;
  }

  async findDueDeliveries(limit: number): Promise<Delivery[]> {
    const now = new Date().toISOString();
    const rows = this.db
      .prepare(`SELECT * FROM deliveries WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'delivering' AND lease_until <= ?)
                ORDER BY next_attempt_at LIMIT ?`)
      .all(now, now, limit) as DeliveryRow[];
    return rows.map(deliveryFromRow);
  }

  async createAnalysisRequest(request: AnalysisRequest): Promise<AnalysisRequest> {
    this.db
      .prepare(`INSERT INTO analysis_requests (id, job_id, object_id, callback_url, invalid_after, resource_type, resource_id, parameters, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(request.id, request.jobId ?? null, request.objectId, request.callbackUrl, request.invalidAfter, request.resourceType, request.resourceId,
        JSON.stringify(request.parameters), request.createdAt);
    return request;
  }

  async getAnalysisRequest(id: string): Promise<AnalysisRequest | null> {
    const row = this.db.prepare('SELECT * FROM analysis_requests WHERE id = ?').get(id) as AnalysisRow | undefined;
    return row ? analysisFromRow(row) : null;
  }

  async findAnalysisRequestByJob(jobId: string): Promise<AnalysisRequest | null> {
    const row = this.db.prepare('SELECT * FROM analysis_requests WHERE job_id = ?').get(jobId) as AnalysisRow | undefined;
    return row ? analysisFromRow(row) : null;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export async function createSqliteDeliveryStore(path: string): Promise<SqliteDeliveryStore> {
  return new SqliteDeliveryStore(path);
}
