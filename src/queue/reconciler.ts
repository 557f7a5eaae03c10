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

/** Runs `task` every `intervalMs` (never two at once; 0 = never); errors are logged as `what` failing. */
export function runPeriodically(task: () => Promise<unknown>, options: { intervalMs: number; log: Logger; what: string }) {
  if (options.intervalMs <= 0) return { stop: () => undefined };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((error) => options.log.error({ err: error }, `${options.what} failed`))
      .finally(() => (running = false));
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export function startReconciler(store: ProvenanceStore, queue: JobQueue, options: { leaseMs: number; intervalMs: number; log: Logger }) {
  return runPeriodically(() => reconcileOnce(store, queue, options.leaseMs, options.log), { ...options, what: 'reconciliation' });
}
