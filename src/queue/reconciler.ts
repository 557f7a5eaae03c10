/**
 * Finds jobs the queue lost (Redis restarted, a crash between store and enqueue, a worker died while holding
 * one) and enqueues them again. Safe to run in every process: enqueue is idempotent and so is processing.
 */
import type { Logger } from 'pino';
import type { ProvenanceStore } from '../store/provenance-store.js';
import type { JobQueue } from './job-queue.js';

export async function reconcileOnce(store: ProvenanceStore, queue: JobQueue, leaseMs: number, log: Logger): Promise<number> {
  const stale = await store.findStaleJobs(new Date(Date.now() - leaseMs), 500);
  for (const job of stale) {
    const requeued = await store.requeueJob(job.id);
    if (requeued) await queue.enqueue(job.id);
  }
  if (stale.length > 0) log.warn({ count: stale.length }, 'requeued jobs the queue had lost');
  return stale.length;
}

export function startReconciler(store: ProvenanceStore, queue: JobQueue, options: { leaseMs: number; intervalMs: number; log: Logger }) {
  if (options.intervalMs <= 0) return { stop: () => undefined };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcileOnce(store, queue, options.leaseMs, options.log)
      .catch((error) => options.log.error({ err: error }, 'reconciliation failed'))
      .finally(() => (running = false));
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
