/** Picks the preprocessing a model's card names and applies it to a datapoint's content. */
import type { LightCurveContent, SpectrumContent } from '../provenance/records.js';
import { preprocessSpectrum, type SpectrumPreprocessing, type SpectrumTensor } from './spectrum.js';

export type Preprocessing = SpectrumPreprocessing;
export type ModelTensor = SpectrumTensor;

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
  }
}
