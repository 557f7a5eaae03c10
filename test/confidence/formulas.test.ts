/** The conformal and ensemble formulas against cases worked out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adQuintile, conformalPValue, conformalQuantile, predictionSet } from '../../src/confidence/conformal.js';
import { classIntervals, entropyDecomposition, memberMean } from '../../src/confidence/ensemble.js';
import { decide } from '../../src/confidence/decision.js';
import { assessConfidence } from '../../src/confidence/assess.js';
import type { Calibration } from '../../src/confidence/calibration.js';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

describe('Mondrian p-value', () => {
  const calibration = [0.1, 0.2, 0.2, 0.4, 0.9];
  it('counts calibration scores at or above the test score, plus one, over n + 1', () => {
    close(conformalPValue(calibration, 0.2), (4 + 1) / 6); // 0.2, 0.2, 0.4, 0.9
    close(conformalPValue(calibration, 0.95), 1 / 6);
    close(conformalPValue(calibration, 0), 1);
    close(conformalPValue(calibration, 0.4), 3 / 6);
  });
  it('is 1 with an empty partition', () => close(conformalPValue([], 0.7), 1));
});

describe('finite-sample conformal quantile', () => {
  const scores = Array.from({ length: 19 }, (_, i) => (i + 1) / 20); // 0.05 .. 0.95
  it('takes the ceil((n+1)(1-α))-th smallest score', () => {
    close(conformalQuantile(scores, 0.1), scores[17]); // ceil(20 * 0.9) = 18
    close(conformalQuantile(scores, 0.05), scores[18]); // ceil(20 * 0.95) = 19
    close(conformalQuantile(scores, 0.5), scores[9]); // ceil(10) = 10
  });
  it('is unbounded when (n+1)(1-α) exceeds n', () => assert.equal(conformalQuantile(scores.slice(0, 5), 0.05), Infinity));
});

describe('LAC prediction set', () => {
  const classes = ['Ia', 'Ibc', 'II'];
  it('keeps classes with p >= 1 - q̂', () => {
    const scores = [0.1, 0.2, 0.3, 0.5]; // α = 0.2: k = ceil(5 * 0.8) = 4 → q̂ = 0.5
    const set = predictionSet([0.55, 0.4, 0.05], classes, scores, 0.2);
    close(set.qhat, 0.5);
    assert.deepEqual(set.classes, ['Ia']);
  });
  it('may be empty', () => {
    const set = predictionSet([0.34, 0.33, 0.33], classes, [0.1, 0.1, 0.2, 0.2], 0.5); // k = ceil(2.5) = 3 → q̂ = 0.2
    assert.deepEqual(set.classes, []);
  });
  it('admits every class when q̂ is unbounded', () => {
    const set = predictionSet([0.9, 0.1, 0], classes, [0.1], 0.05);
    close(set.qhat, 1);
    assert.deepEqual(set.classes, classes);
  });
});

describe('AD quintile', () => {
  it('counts edges at or below the score', () => {
    const edges = [0.2, 0.4, 0.6, 0.8];
    assert.equal(adQuintile(edges, 0.1), 0);
    assert.equal(adQuintile(edges, 0.2), 1);
    assert.equal(adQuintile(edges, 0.79), 3);
    assert.equal(adQuintile(edges, 0.95), 4);
  });
});

describe('ensemble intervals and entropy split', () => {
  // Two members, two classes: [0.8, 0.2] and [0.4, 0.6].
  const probs = [0.8, 0.2, 0.4, 0.6];
  it('gives the member mean and the M-1 standard deviation', () => {
    assert.deepEqual(memberMean(probs, 2, 2).map((v) => Number(v.toFixed(12))), [0.6, 0.4]);
    const [a, b] = classIntervals(probs, 2, ['A', 'B']);
    close(a.mean, 0.6);
    close(a.std, Math.sqrt(((0.8 - 0.6) ** 2 + (0.4 - 0.6) ** 2) / 1));
    close(b.std, a.std);
    close(a.lower, 0.6 - a.std);
    close(a.upper, Math.min(1, 0.6 + a.std));
  });
  it('splits total entropy into aleatoric and epistemic parts', () => {
    const h = (p: number[]) => -p.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0);
    const { total, aleatoric, epistemic } = entropyDecomposition(probs, 2, 2);
    close(total, h([0.6, 0.4]));
    close(aleatoric, (h([0.8, 0.2]) + h([0.4, 0.6])) / 2);
    close(epistemic, total - aleatoric);
    assert.ok(epistemic > 0);
  });
  it('has no epistemic part when members agree', () => {
    close(entropyDecomposition([0.7, 0.3, 0.7, 0.3], 2, 2).epistemic, 0, 1e-15);
  });
});

describe('decision', () => {
  it('alerts on the anomaly axis regardless of confidence', () => assert.equal(decide(0.97, 0.99, 0.9, 0.5).value, 'ALERT'));
  it('abstains when unsure and not anomalous', () => assert.equal(decide(0.1, 0.4, 0.9, 0.5).value, 'ABSTAIN'));
  it('commits otherwise', () => assert.equal(decide(0.1, 0.6, 0.9, 0.5).value, 'COMMIT'));
  it('treats the thresholds as inclusive for ALERT and exclusive for ABSTAIN', () => {
    assert.equal(decide(0.9, 0.6, 0.9, 0.5).value, 'ALERT');
    assert.equal(decide(0.1, 0.5, 0.9, 0.5).value, 'COMMIT');
  });
});

describe('assessConfidence', () => {
  const calibration: Calibration = {
    format: 1,
    size: 12,
    sha256: 'x',
    classes: ['Ia', 'II'],
    mondrian: { Ia: [0.1, 0.3, 0.5, 0.7], II: [0.2, 0.4] },
    aps: { method: 'lac', scores: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] },
    adMcp: {
      edges: [0.2, 0.4, 0.6, 0.8],
      minCell: 3,
      score: '1 - p_fine(y_hat|x)',
      classScores: { Ia: [0.05, 0.1, 0.2, 0.3], II: [0.1, 0.2] },
      cells: { Ia: [[], [], [0.1, 0.15, 0.2], [], []], II: [[], [], [], [], []] },
    },
    thresholds: { tauAbstain: 0.6, tauAbstainQuantile: 0.1, tauAD: 0.9, tauADQuantile: 0.95 },
  };
  const classes = { fine: ['Ia', 'II'], coarse: ['SN-Thermonuclear', 'SN-CC'], fineToCoarse: { Ia: 'SN-Thermonuclear', II: 'SN-CC' }, members: 2, scoreNames: ['msp', 'energy'] };
  const outputs = { fineProbs: [0.9, 0.1, 0.7, 0.3], coarseProbs: [0.85, 0.15, 0.75, 0.25], adScores: [0.3, 0.6], adScore: 0.45 };

  it('assembles all five components and the decision', () => {
    const r = assessConfidence(outputs, classes, calibration, 0.1);
    assert.equal(r.prediction.class, 'Ia');
    assert.equal(r.prediction.coarseClass, 'SN-Thermonuclear');
    close(r.prediction.probability, 0.8);
    close(r.prediction.coarseProbability, 0.8);
    close(r.conformal.pValue, (2 + 1) / 5); // 0.5, 0.7 >= 0.45
    close(r.conformal.pWrong, 0.4);
    // quintile index 2 (edges 0.2, 0.4 <= 0.45) holds 3 scores = minCell: no fallback; k = ceil(4 * 0.9) = 4 > 3 → unbounded → 1
    assert.equal(r.conformal.adMcp.quintile, 3);
    assert.equal(r.conformal.adMcp.fallback, false);
    close(r.conformal.adMcp.threshold, 1);
    assert.equal(r.conformal.adMcp.fires, false);
    // LAC: n = 9, k = ceil(10 * 0.9) = 9 → q̂ = 0.8 → keep p >= 0.2: Ia (0.8), II (0.2)
    close(r.predictionSet.qhat, 0.8);
    assert.deepEqual(r.predictionSet.classes, ['Ia', 'II']);
    assert.equal(r.predictionSet.empty, false);
    assert.equal(r.intervals.length, 2);
    assert.deepEqual(r.anomaly.scores, { msp: 0.3, energy: 0.6 });
    assert.equal(r.decision.value, 'COMMIT');
  });

  it('falls back to the class partition for a sparse cell', () => {
    const r = assessConfidence({ ...outputs, adScore: 0.1 }, classes, calibration, 0.5);
    assert.equal(r.conformal.adMcp.quintile, 1);
    assert.equal(r.conformal.adMcp.fallback, true);
    assert.equal(r.conformal.adMcp.calibrationSize, 4);
    close(r.conformal.adMcp.threshold, 0.2); // scores [0.05, 0.1, 0.2, 0.3], k = ceil(5 * 0.5) = 3
    assert.equal(r.conformal.adMcp.fires, false); // 1 - 0.8 = 0.2 is not > 0.2
  });
});
