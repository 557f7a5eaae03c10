/** The embedded queue: same contract as BullMQ's, in memory, for the single-process default. */
import type { JobHandler, JobWorker, QueueBackend } from './job-queue.js';
import { backoffMs } from './job-queue.js';

export function inProcessQueue(options: { attempts: number; backoffBaseMs?: number }): QueueBackend {
  const waiting: { jobId: string; key: string }[] = [];
  const known = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let handler: JobHandler | undefined;
  let concurrency = 1;
  let active = 0;
  let closed = false;
  let drained: (() => void) | undefined;

  const pump = () => {
    while (handler && !closed && active < concurrency && waiting.length > 0) {
      const { jobId, key } = waiting.shift()!;
      active++;
      void attempt(jobId, key, 1);
    }
  };

  const attempt = async (jobId: string, key: string, attemptNumber: number) => {
    try {
      await handler!(jobId);
      known.delete(key);
    } catch {
      if (attemptNumber < options.attempts && !closed) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          active++;
          void attempt(jobId, key, attemptNumber + 1);
        }, backoffMs(attemptNumber, options.backoffBaseMs));
        timers.add(timer);
      } else {
        known.delete(key);
      }
    } finally {
      active--;
      if (active === 0 && drained) drained();
      pump();
    }
  };

  return {
    kind: 'in-process',
    queue: {
      async enqueue(jobId, { delayMs = 0, key = jobId } = {}) {
        if (closed || known.has(key)) return;
        known.add(key);
        const release = () => {
          waiting.push({ jobId, key });
          pump();
        };
        if (delayMs <= 0) return release();
        const timer = setTimeout(() => {
          timers.delete(timer);
          release();
        }, delayMs);
        timers.add(timer);
      },
      depth: async () => waiting.length + active,
      ping: async () => undefined,
      close: async () => undefined,
    },
    startWorker(h, workerOptions): JobWorker {
      handler = h;
      concurrency = workerOptions.concurrency;
      pump();
      return { close: async () => this.close() };
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (active > 0) await new Promise<void>((resolve) => (drained = resolve));
    },
  };
}
