/**
 * The ELAsTiCC `brokerClassification` message (schemas/elasticc v0.9.1) for a classification of an alert:
 * one `{classId, probability}` per fine class that has an ELAsTiCC class id in the model card.
 */
import type { ModelCard } from '../inference/model-card.js';
import type { Classification, Datapoint } from '../provenance/records.js';
import { serviceVersion } from '../version.js';

export interface BrokerClassification {
  alertId: number | string;
  diaSourceId: number | string;
  elasticcPublishTimestamp: number;
  brokerIngestTimestamp: number | null;
  brokerName: string;
  brokerVersion: string;
  classifierName: string;
  classifierParams: string;
  classifications: { classId: number; probability: number }[];
}

export const brokerName = 'Candela';

/** Ids beyond 2^53 stay strings: a JSON number would lose their last digits. */
function id(value: string | undefined): number | string {
  if (value === undefined) return 0;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

export class NotAnAlertError extends Error {
  constructor(classificationId: string) {
    super(`classification ${classificationId} was not made from an alert, so it has no ELAsTiCC alertId or diaSourceId`);
    this.name = 'NotAnAlertError';
  }
}

export function toBrokerClassification(classification: Classification, datapoint: Datapoint, card: ModelCard): BrokerClassification {
  if (!('points' in datapoint.content) || datapoint.modality !== 'alert') throw new NotAnAlertError(classification.id);
  const { context } = datapoint.content;
  const elasticc = card.classes.elasticc ?? {};
  const received = Date.parse(datapoint.createdAt);
  return {
    alertId: id(context.alertId),
    diaSourceId: id(context.sourceId),
    // The alert itself carries no publish time; the time Candela received it is the closest we know.
    elasticcPublishTimestamp: received,
    brokerIngestTimestamp: received,
    brokerName,
    brokerVersion: serviceVersion,
    classifierName: `${card.name} ${card.version}`,
    classifierParams: `alpha=${classification.options.alpha} trace=${classification.traceId}`,
    classifications: Object.entries(classification.result.prediction.probabilities)
      .filter(([name]) => elasticc[name] !== undefined)
      .map(([name, probability]) => ({ classId: elasticc[name], probability })),
  };
}
