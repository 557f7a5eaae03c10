import { InputError } from '../inputs/input-error.js';
import type { Modality } from '../provenance/records.js';
import type { ModelRepository } from './model-repository.js';
import type { LoadedModel } from './ensemble-model.js';

/** Alerts are classified by light-curve models: an alert is a light curve with context. */
const modelModality: Record<Modality, Modality> = { spectrum: 'spectrum', lightcurve: 'lightcurve', alert: 'lightcurve' };

/** The model a request names, or the default for its modality; refuses one made for another modality. */
export function chooseModel(models: ModelRepository, defaults: Record<'spectrum' | 'lightcurve', string>, modality: Modality, requested?: string): LoadedModel {
  const wanted = modelModality[modality];
  const model = models.get(requested ?? defaults[wanted as 'spectrum' | 'lightcurve']);
  if (model.card.modality !== wanted) {
    throw new InputError('Model does not fit the input', [{
      pointer: '?model',
      detail: `${model.card.name}@${model.card.version} classifies ${model.card.modality} data; this input is a ${modality}`,
    }]);
  }
  return model;
}
