/**
 * Intake: a parsed, validated observation becomes an immutable datapoint and a queued job in one store
 * transaction, and then its id goes on the queue. The model tensor is computed once here too, so that an
 * input the model cannot use is refused with a 4xx before anything is written.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { LoadedModel } from './inference/ensemble-model.js';
import { toModelTensor } from './preprocess/index.js';
import { contentHash } from './provenance/hash.js';
import type { Datapoint, Job, LightCurveContent, Modality, SpectrumContent } from './provenance/records.js';
import type { JobQueue } from './queue/job-queue.js';
import type { ProvenanceStore } from './store/provenance-store.js';

export interface Observation {
  /** The client's object id; absent, one is derived from the content. */
  objectId?: string;
  modality: Modality;
  content: SpectrumContent | LightCurveContent;
  /** The input format (`skyportal-json`, `ascii`, `ztf-avro`, ...). */
  format: string;
}

export interface IntakeRequest {
  observation: Observation;
  model: LoadedModel;
  alpha: number;
}

/** Checks that the model can use the observation; throws the InputError that says why not. */
export function checkAgainstModel(observation: Observation, model: LoadedModel): void {
  toModelTensor(observation.content, model.card.input.preprocessing);
}

export async function submitObservation(store: ProvenanceStore, queue: JobQueue, request: IntakeRequest, log: FastifyBaseLogger): Promise<Job> {
  const { observation, model } = request;
  checkAgainstModel(observation, model);
  const objectId = observation.objectId ?? `anon-${contentHash(observation.content).slice(0, 16)}`;
  // A datapoint is this measurement of this object: the same spectrum sent for two objects is two datapoints.
  const datapointId = contentHash({ objectId, modality: observation.modality, content: observation.content });
  const datapoint: Datapoint = {
    id: datapointId,
    objectId,
    modality: observation.modality,
    content: observation.content,
    source: { format: observation.format, ...(observation.objectId ? { originId: observation.objectId } : {}) },
    createdAt: new Date().toISOString(),
  };
  const job = await store.submitJob({
    id: randomUUID(),
    objectId,
    modality: observation.modality,
    datapoints: [datapoint],
    options: { alpha: request.alpha, model: `${model.card.name}@${model.card.version}` },
  });
  // A failed enqueue leaves a queued job in the store, which the reconciler enqueues again.
  await queue.enqueue(job.id).catch((error) => log.warn({ err: error, jobId: job.id }, 'enqueue failed; the reconciler will retry'));
  return job;
}
