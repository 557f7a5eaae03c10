/** Conformal layer (ASTRANet paper, Sec. VI; DESIGN.md section 1, components 2 and 3). */
import { countAtLeast, countAtMost } from './calibration.js';

/**
 * Conformal p-value of a nonconformity score against calibration scores of the same partition:
 * `(#{i: s_i >= s} + 1) / (n + 1)`. With no calibration scores the p-value is 1 (nothing to compare with).
 */
export function conformalPValue(calibrationAscending: readonly number[], score: number): number {
  return (countAtLeast(calibrationAscending, score) + 1) / (calibrationAscending.length + 1);
}

/**
 * The finite-sample-corrected (1 - α) quantile: the k-th smallest score with `k = ceil((n + 1)(1 - α))`.
 * When k exceeds n the quantile is unbounded: returned as +Infinity.
 */
export function conformalQuantile(calibrationAscending: readonly number[], alpha: number): number {
  const n = calibrationAscending.length;
  // The epsilon keeps (n+1)(1-α) that is an integer in exact arithmetic from rounding up by float error.
  const k = Math.ceil((n + 1) * (1 - alpha) - 1e-9);
  return k >= 1 && k <= n ? calibrationAscending[k - 1] : k < 1 ? -Infinity : Infinity;
}

/**
 * LAC prediction set: `{y : p(y|x) >= 1 - q̂}` with q̂ the conformal quantile of `1 - p(y_true|x)`.
 * An unbounded q̂ admits every class; the set may be empty.
 */
export function predictionSet(meanProbabilities: readonly number[], classes: readonly string[], apsScoresAscending: readonly number[], alpha: number) {
  const quantile = conformalQuantile(apsScoresAscending, alpha);
  const qhat = Math.min(1, quantile);
  const members = classes.filter((_, k) => meanProbabilities[k] >= 1 - qhat);
  return { qhat, classes: members };
}

/** Index of the AD-score quintile: the number of calibration edges at or below the score (0 .. edges.length). */
export function adQuintile(edges: readonly number[], adScore: number): number {
  return countAtMost(edges, adScore);
}
