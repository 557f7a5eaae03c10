/**
 * The classify processor: job id → datapoints → tensor → ensemble + Sentinel → confidence → stored
 * classification → event → follow-up (deliveries). Idempotent: the store keeps one classification per job
 * whatever the attempts, and the follow-up is idempotent too, so a job that comes back after its worker died
 * between storing and following up is followed up again rather than lost.
 */
import type { Logger } from 'pino';
import { assessConfidence } from '../src/confidence/assess.js';
import type { JobFinishedEvent, ResultEvents } from '../src/events/result-events.js';
import type { ModelRepository } from '../src/inference/model-repository.js';
import { contentHash } from '../src/provenance/hash.js';
import { toModelTensor } from '../src/preprocess/index.js';
import type { Classification, Job } from '../src/provenance/records.js';
import type { ProvenanceStore } from '../src/store/provenance-store.js';

export interface ClassifyDependencies {
  store: ProvenanceStore;
  models: ModelRepository;
  events: ResultEvents;
  log: Logger;
  attempts: number;
  leaseMs: number;
  /** What must happen once a job has finished (its deliveries); awaited before the job is acknowledged, idempotent. */
  followUp?: (event: JobFinishedEvent) => Promise<void>;
  onCompleted?: (classification: Classification, seconds: number) => void;
  onFailed?: (final: boolean) => void;
}

function finishedEvent(job: Job): JobFinishedEvent | null {
  if (job.status === 'completed' && job.classificationId) {
    return { type: 'classification.completed', jobId: job.id, objectId: job.objectId, classificationId: job.classificationId };
  }
  return job.status === 'failed' ? { type: 'job.failed', jobId: job.id, objectId: job.objectId } : null;
}

export function classifyProcessor(deps: ClassifyDependencies) {
  const finish = async (event: JobFinishedEvent) => {
    await deps.events.publish(event);
    await deps.followUp?.(event);
  };
  return async (jobId: string): Promise<void> => {
    const started = process.hrtime.bigint();
    const job = await deps.store.claimJob(jobId, deps.leaseMs);
    if (!job) {
      // Unknown, in another worker's hands, or finished: then its follow-up may not have run (the worker that
      // finished it may have died right after storing), and running it again is harmless.
      const finished = await deps.store.getJob(jobId);
      const event = finished && finishedEvent(finished);
      if (event) await deps.followUp?.(event);
      return;
    }
    const log = deps.log.child({ jobId, objectId: job.objectId, attempt: job.attempts });
    let stored: Classification;
    try {
      const model = deps.models.get(job.options.model);
      const [datapoint] = await deps.store.getDatapoints(job.datapointIds);
      if (!datapoint) throw new Error(`datapoint ${job.datapointIds[0]} is missing`);
      const tensor = toModelTensor(datapoint.content, model.card.input.preprocessing);
      const outputs = await model.infer(tensor);
      const result = assessConfidence(
        outputs,
        { ...model.card.classes, members: model.card.ensemble.members, scoreNames: model.card.sentinel.scores },
        model.calibration,
        job.options.alpha,
      );
      const classification: Classification = {
        id: `cls_${contentHash({ jobId: job.id }).slice(0, 24)}`,
        jobId: job.id,
        objectId: job.objectId,
        traceId: model.trace.id,
        model: { name: model.card.name, version: model.card.version },
        datapointIds: job.datapointIds,
        options: { alpha: job.options.alpha },
        result,
        createdAt: new Date().toISOString(),
      };
      stored = await deps.store.completeJob(classification, model.trace);
      deps.onCompleted?.(stored, Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const final = job.attempts >= deps.attempts;
      log.error({ err: error, final }, 'classification failed');
      await deps.store.failJob(job.id, { title: 'Classification failed', detail }, !final);
      deps.onFailed?.(final);
      if (!final) throw error;
      await finish({ type: 'job.failed', jobId: job.id, objectId: job.objectId });
      return;
    }
    // Outside the try: the classification is stored, so a follow-up error must not mark the job failed; it
    // fails this run, and the queue's retry comes back through the finished-job path above.
    await finish({ type: 'classification.completed', jobId: job.id, objectId: job.objectId, classificationId: stored.id });
  };
}
