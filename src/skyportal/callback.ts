/** The body an analysis service POSTs to SkyPortal's `callback_url`: `{status, message, analysis}`. */
import { classificationLinks } from '../http/links.js';
import type { Classification } from '../provenance/records.js';
import { deliveryId } from '../webhooks/deliveries.js';

/** One callback per analysis request, whoever notices first that its job finished. */
export const callbackDeliveryId = (analysisId: string) => deliveryId('analysis-callback', { analysisId });

export interface AnalysisCallbackBody {
  status: 'success' | 'failure';
  message: string;
  analysis: { results?: { format: 'json'; data: unknown } };
}

export function successCallback(classification: Classification): AnalysisCallbackBody {
  const { prediction, decision } = classification.result;
  return {
    status: 'success',
    message: `Candela ${classification.model.name}@${classification.model.version}: ${prediction.class} (p=${prediction.probability.toFixed(3)}), decision ${decision.value}`,
    analysis: {
      results: {
        format: 'json',
        data: {
          classificationId: classification.id,
          objectId: classification.objectId,
          traceId: classification.traceId,
          model: classification.model,
          alpha: classification.options.alpha,
          ...classification.result,
          links: classificationLinks(classification),
        },
      },
    },
  };
}

export function failureCallback(reason: string): AnalysisCallbackBody {
  return { status: 'failure', message: reason, analysis: {} };
}
