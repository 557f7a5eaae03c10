import type { Config } from '../config.js';
import { InputError } from '../inputs/input-error.js';
import type { SpectrumLimits } from '../inputs/spectrum.js';
import { spectrumLimits } from '../preprocess/spectrum.js';
import type { Modality } from '../provenance/records.js';
import type { ModelRepository } from './model-repository.js';
import type { LoadedModel } from './ensemble-model.js';

/** Alerts are classified by light-curve models: an alert is a light curve with context. */
const modelModality: Record<Modality, Modality> = { spectrum: 'spectrum', lightcurve: 'lightcurve', alert: 'lightcurve' };

/** The model a request names, or the default for its modality; refuses one made for another modality. */
export function chooseModel(
  models: ModelRepository,
  defaults: Pick<Config, 'DEFAULT_SPECTRUM_MODEL' | 'DEFAULT_LIGHTCURVE_MODEL'>,
  modality: Modality,
  requested?: string,
): LoadedModel {
  const wanted = modelModality[modality];
  const model = models.get(requested ?? (wanted === 'spectrum' ? defaults.DEFAULT_SPECTRUM_MODEL : defaults.DEFAULT_LIGHTCURVE_MODEL));
  if (model.card.modality !== wanted) {
    throw new InputError('Model does not fit the input', [{
      pointer: '?model',
      detail: `${model.card.name}@${model.card.version} classifies ${model.card.modality} data; this input is a ${modality}`,
    }]);
  }
  return model;
}

/** The input limits of a spectrum model (other models check their inputs in their preprocessing). */
export function spectrumLimitsOf(model: Pick<LoadedModel, 'card'>): SpectrumLimits | undefined {
  const preprocessing = model.card.input.preprocessing;
  return preprocessing.kind === 'spectrum-grid-v1' ? spectrumLimits(preprocessing) : undefined;
}
