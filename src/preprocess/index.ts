/** Picks the preprocessing a model's card names and applies it to a datapoint's content. */
import type { LightCurveContent, SpectrumContent } from '../provenance/records.js';
import { preprocessLightCurve, type LightCurvePreprocessing } from './lightcurve.js';
import { preprocessSpectrum, type SpectrumPreprocessing } from './spectrum.js';

export type Preprocessing = SpectrumPreprocessing | LightCurvePreprocessing;
export const preprocessingKinds: readonly Preprocessing['kind'][] = ['spectrum-grid-v1', 'lightcurve-grid-v1'];

/** What every model takes: `x` [channels × length] and an optional metadata vector. */
export interface ModelTensor {
  x: Float32Array;
  meta: Float32Array;
}

export function isSpectrum(content: SpectrumContent | LightCurveContent): content is SpectrumContent {
  return 'wavelengths' in content;
}

export class ModalityMismatchError extends Error {
  constructor(kind: string) {
    super(`the model's preprocessing (${kind}) does not apply to this input`);
    this.name = 'ModalityMismatchError';
  }
}

export function toModelTensor(content: SpectrumContent | LightCurveContent, preprocessing: Preprocessing): ModelTensor {
  switch (preprocessing.kind) {
    case 'spectrum-grid-v1':
      if (!isSpectrum(content)) throw new ModalityMismatchError(preprocessing.kind);
      return preprocessSpectrum(content, preprocessing);
    case 'lightcurve-grid-v1':
      if (isSpectrum(content)) throw new ModalityMismatchError(preprocessing.kind);
      return preprocessLightCurve(content, preprocessing);
  }
}
