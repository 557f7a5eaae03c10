import assert from 'node:assert/strict';

/** The invariants every confidence-aware result must satisfy, whatever the model. */
export function assertFiveComponents(result: Record<string, any>, classes: string[]) {
  assert.ok(classes.includes(result.prediction.class));
  assert.ok(result.prediction.probability > 0 && result.prediction.probability <= 1);
  const sum = Object.values(result.prediction.probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, `fine probabilities sum to ${sum}`);
  assert.ok(result.conformal.pValue > 0 && result.conformal.pValue <= 1);
  assert.ok(Math.abs(result.conformal.pValue + result.conformal.pWrong - 1) < 1e-12);
  assert.ok(result.conformal.adMcp.quintile >= 1 && result.conformal.adMcp.quintile <= 5);
  assert.equal(result.predictionSet.empty, result.predictionSet.classes.length === 0);
  assert.equal(result.predictionSet.size, result.predictionSet.classes.length);
  assert.equal(result.intervals.length, classes.length);
  for (const interval of result.intervals) assert.ok(interval.std >= 0 && interval.lower <= interval.mean && interval.mean <= interval.upper);
  const u = result.uncertainty;
  assert.ok(Math.abs(u.total - u.aleatoric - u.epistemic) < 1e-9 && u.epistemic >= 0 && u.unit === 'nats');
  assert.ok(result.anomaly.score >= 0 && result.anomaly.score <= 1);
  assert.ok(Object.keys(result.anomaly.scores).length >= 10);
  assert.ok(['COMMIT', 'ABSTAIN', 'ALERT'].includes(result.decision.value));
}
