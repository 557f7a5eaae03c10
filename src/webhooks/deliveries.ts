/**
 * Creating, scheduling and redelivering deliveries. A delivery goes on the `candela-deliver` queue once per
 * attempt, keyed `<deliveryId>-<attempt>`, so scheduling the same attempt twice (a duplicate event, the
 * reconciler) enqueues it once; the store's claim decides who sends it.
 */
import type { Logger } from 'pino';
import { contentHash } from '../provenance/hash.js';
import type { JobQueue } from '../queue/job-queue.js';
import { runPeriodically } from '../queue/reconciler.js';
import type { Delivery, DeliveryAttempt, DeliveryKind, DeliveryStore, NewDelivery } from '../store/delivery-store.js';
import type { ProvenanceStore } from '../store/provenance-store.js';

export const deliveryId = (kind: DeliveryKind, subject: Record<string, string>): string => `dlv_${contentHash({ kind, ...subject }).slice(0, 24)}`;

export class Deliveries {
  constructor(
    readonly store: DeliveryStore,
    private readonly queue: JobQueue,
    private readonly settings: { maxAttempts: number },
  ) {}

  /** Creates the delivery (once per id) and schedules its first attempt. */
  async create(delivery: Omit<NewDelivery, 'maxAttempts'>): Promise<Delivery> {
    const { delivery: stored, created } = await this.store.createDelivery({ ...delivery, maxAttempts: this.settings.maxAttempts });
    if (created) await this.schedule(stored);
    return stored;
  }

  /** Puts the next attempt of a pending delivery on the queue, delayed until it is due. */
  async schedule(delivery: Delivery): Promise<void> {
    const delayMs = Math.max(0, Date.parse(delivery.nextAttemptAt) - Date.now());
    await this.queue.enqueue(delivery.id, { key: `${delivery.id}-${delivery.attempts + 1}`, delayMs });
  }

  /** A finished delivery goes out again with the same id and a fresh set of attempts. */
  async redeliver(id: string): Promise<Delivery | null> {
    const delivery = await this.store.redeliver(id, this.settings.maxAttempts);
    if (delivery) await this.schedule(delivery);
    return delivery;
  }

  /** The delivery with every attempt made so far, as the API shows it. */
  async withAttemptLog(delivery: Delivery): Promise<Delivery & { attemptLog: DeliveryAttempt[] }> {
    return { ...delivery, attemptLog: await this.store.listAttempts(delivery.id) };
  }

  /** Schedules every delivery that is due or whose worker died mid-attempt; safe to run anywhere, any time. */
  async reconcileOnce(): Promise<number> {
    const due = await this.store.findDueDeliveries(500);
    for (const delivery of due) await this.schedule(delivery);
    return due.length;
  }

  startReconciler(options: { intervalMs: number; log: Logger }) {
    return runPeriodically(() => this.reconcileOnce(), { ...options, what: 'delivery reconciliation' });
  }
}

/** Notes a delivered classification in its object's journal (AMPEL's "what was done when"). */
export async function journalDelivered(store: ProvenanceStore, delivery: Delivery): Promise<void> {
  const classification = delivery.classificationId ? await store.getClassification(delivery.classificationId) : null;
  if (!classification) return;
  await store.appendJournal(classification.objectId, {
    at: new Date().toISOString(),
    event: 'delivered',
    jobId: classification.jobId,
    classificationId: classification.id,
    traceId: classification.traceId,
    detail: `${delivery.kind} ${delivery.id}`,
  });
}
