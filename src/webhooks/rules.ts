/** Follow-up rules: does this result concern the subscriber? Every condition given must hold. */
import type { Classification, Modality } from '../provenance/records.js';
import type { WebhookRule } from '../store/delivery-store.js';

export function matchesRule(rule: WebhookRule, classification: Classification, modality: Modality): boolean {
  const { prediction, conformal, predictionSet, anomaly, decision } = classification.result;
  const checks: [condition: unknown, holds: () => boolean][] = [
    [rule.decisions, () => rule.decisions!.includes(decision.value)],
    [rule.classes, () => rule.classes!.includes(prediction.class)],
    [rule.minProbability, () => prediction.probability >= rule.minProbability!],
    [rule.maxPValue, () => conformal.pValue < rule.maxPValue!],
    [rule.minSetSize, () => predictionSet.size >= rule.minSetSize!],
    [rule.maxSetSize, () => predictionSet.size <= rule.maxSetSize!],
    [rule.minAnomalyScore, () => anomaly.score >= rule.minAnomalyScore!],
    [rule.modalities, () => rule.modalities!.includes(modality)],
    [rule.objectIdPattern, () => new RegExp(rule.objectIdPattern!).test(classification.objectId)],
  ];
  return checks.every(([condition, holds]) => condition === undefined || holds());
}

/** Why a rule cannot be used, as a message for the field `/rule/objectIdPattern`; undefined when it can. */
export function objectIdPatternProblem(pattern: string | undefined): string | undefined {
  if (pattern === undefined) return undefined;
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
}
