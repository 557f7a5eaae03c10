import type { Job } from '../provenance/records.js';
import type { ProvenanceStore } from '../store/provenance-store.js';
import type { ResultEvents } from './result-events.js';

/** Resolves with the job once it is finished, or as it stands after `timeoutMs`. */
export async function waitForJob(store: ProvenanceStore, events: ResultEvents, jobId: string, timeoutMs: number): Promise<Job | null> {
  let unsubscribe = () => {};
  const finished = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    unsubscribe = events.subscribe((event) => {
      if (event.jobId !== jobId) return;
      clearTimeout(timer);
      resolve();
    });
  });
  // Subscribed first, then looked: a job that finished in between is not missed.
  const now = await store.getJob(jobId);
  if (now && (now.status === 'completed' || now.status === 'failed')) {
    unsubscribe();
    return now;
  }
  await finished;
  unsubscribe();
  return store.getJob(jobId);
}
