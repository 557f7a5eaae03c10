import { preprocessingKinds, type Preprocessing } from '../preprocess/index.js';
import type { Modality } from '../provenance/records.js';

/** The parts of `card.json` the service relies on; the card may hold more (training data, metrics). */
export interface ModelCard {
  name: string;
  version: string;
  modality: Modality;
  description?: string;
  classes: {
    fine: string[];
    coarse: string[];
    fineToCoarse: Record<string, string>;
    elasticc?: Record<string, number>;
    tdtax?: Record<string, string>;
  };
  input: {
    /** Shapes include the batch axis, named ("batch") where dynamic. */
    tensors: Record<string, { dtype: string; shape: (number | string)[] }>;
    preprocessing: Preprocessing;
  };
  ensemble: { members: number; seeds?: number[] };
  sentinel: { scores: string[]; families?: Record<string, string[]> };
  files: Record<string, string>;
  [more: string]: unknown;
}

export const artifactFiles = ['classifier.onnx', 'sentinel.onnx', 'calibration.json'] as const;

/** Checks the fields the service needs; returns the problems found (empty when usable). */
export function cardProblems(card: Partial<ModelCard>): string[] {
  const problems: string[] = [];
  if (typeof card.name !== 'string') problems.push('name missing');
  if (typeof card.version !== 'string') problems.push('version missing');
  if (!card.classes?.fine?.length) problems.push('classes.fine missing');
  if (!card.classes?.coarse?.length) problems.push('classes.coarse missing');
  for (const fine of card.classes?.fine ?? []) {
    if (!card.classes?.coarse?.includes(card.classes.fineToCoarse?.[fine])) problems.push(`class ${fine} has no coarse class`);
  }
  if (!(card.ensemble?.members && card.ensemble.members >= 1)) problems.push('ensemble.members missing');
  if (!card.sentinel?.scores?.length) problems.push('sentinel.scores missing');
  const kind = card.input?.preprocessing?.kind;
  if (!kind || !preprocessingKinds.includes(kind)) problems.push(`unsupported preprocessing kind ${String(kind)}`);
  const x = card.input?.tensors?.x?.shape;
  if (!x || x.length !== 3 || x[2] !== card.input?.preprocessing?.length) problems.push('input.tensors.x.shape must be [batch, channels, preprocessing.length]');
  for (const file of artifactFiles) if (!card.files?.[file]) problems.push(`files.${file} hash missing`);
  return problems;
}
