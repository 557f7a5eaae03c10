/**
 * Intake: a parsed, validated spectrum becomes an immutable datapoint and a queued job in one store
 * transaction, and then its id goes on the queue. The tensor is computed once here too, so that an input the
 * model cannot use is refused with a 4xx before anything is written.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { ParsedSpectrum } from './inputs/spectrum.js';
import type { LoadedModel } from './inference/spectrum-model.js';
import { preprocessSpectrum } from './preprocess/spectrum.js';
import { contentHash } from './provenance/hash.js';
import type { Datapoint, Job } from './provenance/records.js';
import type { JobQueue } from './queue/job-queue.js';
import type { ProvenanceStore } from './store/provenance-store.js';

export interface IntakeRequest {
  spectrum: ParsedSpectrum;
  format: string;
  model: LoadedModel;
  alpha: number;
}

export async function submitSpectrum(store: ProvenanceStore, queue: JobQueue, request: IntakeRequest, log: FastifyBaseLogger): Promise<Job> {
  preprocessSpectrum(request.spectrum.content, request.model.card.input.preprocessing);
  const objectId = request.spectrum.objectId ?? `anon-${contentHash(request.spectrum.content).slice(0, 16)}`;
  // A datapoint is this measurement of this object: the same spectrum sent for two objects is two datapoints.
  const datapointId = contentHash({ objectId, modality: 'spectrum', content: request.spectrum.content });
  const datapoint: Datapoint = {
    id: datapointId,
    objectId,
    modality: 'spectrum',
    content: request.spectrum.content,
    source: { format: request.format, ...(request.spectrum.objectId ? { originId: request.spectrum.objectId } : {}) },
    createdAt: new Date().toISOString(),
  };
  const job = await store.submitJob({
    id: randomUUID(),
    objectId,
    modality: 'spectrum',
    datapoints: [datapoint],
    options: { alpha: request.alpha, model: `${request.model.card.name}@${request.model.card.version}` },
  });
  // A failed enqueue leaves a queued job in the store, which the reconciler enqueues again.
  await queue.enqueue(job.id).catch((error) => log.warn({ err: error, jobId: job.id }, 'enqueue failed; the reconciler will retry'));
  return job;
}
