/**
 * The queue carries job ids only; the store holds payloads and is the source of truth. Split as in BullMQ:
 * a producer side (`JobQueue`) and a consumer side (`JobWorker`), with two implementations — BullMQ on Redis
 * and an in-process queue — behind the same interface.
 */
export type JobHandler = (jobId: string) => Promise<void>;

export interface JobQueue {
  /** Idempotent: enqueuing a job id that is already waiting or running does nothing. */
  enqueue(jobId: string): Promise<void>;
  /** Waiting + active job count, for metrics and readiness. */
  depth(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface JobWorker {
  close(): Promise<void>;
}

export interface QueueBackend {
  readonly kind: 'bullmq' | 'in-process';
  queue: JobQueue;
  /**
   * Consume jobs. The handler throws to ask for another attempt (exponential backoff, at most `attempts` in
   * all); it returns normally when the job is finished, successfully or not.
   */
  startWorker(handler: JobHandler, options: { concurrency: number }): JobWorker;
  close(): Promise<void>;
}

export const backoffMs = (attempt: number, baseMs = 500) => baseMs * 2 ** (attempt - 1);
