/**
 * The classify processor: job id → datapoints → tensor → ensemble + Sentinel → confidence → stored
 * classification → event. Idempotent: the store keeps one classification per job whatever the attempts.
 */
import type { Logger } from 'pino';
import { assessConfidence } from '../src/confidence/assess.js';
import type { ResultEvents } from '../src/events/result-events.js';
import type { ModelRepository } from '../src/inference/model-repository.js';
import { contentHash } from '../src/provenance/hash.js';
import { toModelTensor } from '../src/preprocess/index.js';
import type { Classification } from '../src/provenance/records.js';
import type { ProvenanceStore } from '../src/store/provenance-store.js';

export interface ClassifyDependencies {
  store: ProvenanceStore;
  models: ModelRepository;
  events: ResultEvents;
  log: Logger;
  attempts: number;
  leaseMs: number;
  onCompleted?: (classification: Classification, seconds: number) => void;
  onFailed?: (final: boolean) => void;
}

export function classifyProcessor(deps: ClassifyDependencies) {
  return async (jobId: string): Promise<void> => {
    const started = process.hrtime.bigint();
    const job = await deps.store.claimJob(jobId, deps.leaseMs);
    if (!job) return; // finished already, unknown, or in another worker's hands
    const log = deps.log.child({ jobId, objectId: job.objectId, attempt: job.attempts });
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
      const stored = await deps.store.completeJob(classification, model.trace);
      deps.onCompleted?.(stored, Number(process.hrtime.bigint() - started) / 1e9);
      await deps.events.publish({ type: 'classification.completed', jobId: job.id, objectId: job.objectId, classificationId: stored.id });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const final = job.attempts >= deps.attempts;
      log.error({ err: error, final }, 'classification failed');
      await deps.store.failJob(job.id, { title: 'Classification failed', detail }, !final);
      deps.onFailed?.(final);
      if (!final) throw error;
      await deps.events.publish({ type: 'job.failed', jobId: job.id, objectId: job.objectId });
    }
  };
}
