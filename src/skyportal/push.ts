/**
 * Results pushed into SkyPortal: the predicted class as a SkyPortal classification (tdtax name from the model
 * card, `ml: true`) and the whole confidence-aware output as an annotation on the source.
 */
import { classificationLinks } from '../http/links.js';
import type { ModelCard } from '../inference/model-card.js';
import type { Classification } from '../provenance/records.js';
import type { SkyPortalPushSettings } from '../store/delivery-store.js';

const apiUrl = (baseUrl: string, path: string) => `${baseUrl.replace(/\/+$/, '')}${path}`;

export const classificationEndpoint = (baseUrl: string) => apiUrl(baseUrl, '/api/classification');
export const annotationEndpoint = (baseUrl: string, objectId: string) => apiUrl(baseUrl, `/api/sources/${encodeURIComponent(objectId)}/annotations`);

/** The SkyPortal (tdtax) name of a model class: from the card's `classes.tdtax`, else the class name itself. */
export function taxonomyName(card: Pick<ModelCard, 'classes'>, modelClass: string): string {
  return card.classes.tdtax?.[modelClass] ?? modelClass;
}

export function classificationBody(classification: Classification, card: Pick<ModelCard, 'classes'>, settings: SkyPortalPushSettings) {
  return {
    obj_id: classification.objectId,
    classification: taxonomyName(card, classification.result.prediction.class),
    taxonomy_id: settings.taxonomyId,
    probability: classification.result.prediction.probability,
    ml: true,
    origin: settings.origin,
    ...(settings.groupIds ? { group_ids: settings.groupIds } : {}),
  };
}

export function annotationBody(classification: Classification, settings: SkyPortalPushSettings) {
  return {
    origin: settings.origin,
    data: {
      classificationId: classification.id,
      model: `${classification.model.name}@${classification.model.version}`,
      traceId: classification.traceId,
      alpha: classification.options.alpha,
      ...classification.result,
      links: classificationLinks(classification),
    },
    ...(settings.groupIds ? { group_ids: settings.groupIds } : {}),
  };
}
