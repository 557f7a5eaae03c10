/** Hypermedia links so that clients never build URLs themselves. */
import type { Classification, Job } from '../provenance/records.js';

const enc = encodeURIComponent;

export function jobLinks(job: Job): Record<string, string> {
  return {
    self: `/jobs/${enc(job.id)}`,
    object: `/objects/${enc(job.objectId)}`,
    ...(job.classificationId ? { classification: `/classifications/${enc(job.classificationId)}` } : {}),
  };
}

export function classificationLinks(c: Classification): Record<string, string> {
  return {
    self: `/classifications/${enc(c.id)}`,
    job: `/jobs/${enc(c.jobId)}`,
    object: `/objects/${enc(c.objectId)}`,
    trace: `/traces/${enc(c.traceId)}`,
  };
}

export function withLinks<T extends Classification>(c: T) {
  return { ...c, links: classificationLinks(c) };
}
