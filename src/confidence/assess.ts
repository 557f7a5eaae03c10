/**
 * The five-component confidence-aware output, from one ensemble pass and the Sentinel scores of one input.
 */
import type { Calibration } from './calibration.js';
import { adQuintile, conformalPValue, conformalQuantile, predictionSet } from './conformal.js';
import { decide } from './decision.js';
import { classIntervals, entropyDecomposition, memberMean } from './ensemble.js';
import type { ConfidenceAwareResult } from './result.js';

export interface ModelOutputs {
  /** Row-major [M, K]. */
  fineProbs: ArrayLike<number>;
  /** Row-major [M, Kc]. */
  coarseProbs: ArrayLike<number>;
  adScores: ArrayLike<number>;
  adScore: number;
}

export interface ClassSpace {
  fine: string[];
  coarse: string[];
  fineToCoarse: Record<string, string>;
  members: number;
  scoreNames: string[];
}

export function assessConfidence(outputs: ModelOutputs, classes: ClassSpace, calibration: Calibration, alpha: number): ConfidenceAwareResult {
  const K = classes.fine.length;
  const Kc = classes.coarse.length;
  const M = classes.members;
  const mean = memberMean(outputs.fineProbs, M, K);
  const coarseMean = memberMean(outputs.coarseProbs, M, Kc);
  let top = 0;
  for (let k = 1; k < K; k++) if (mean[k] > mean[top]) top = k;
  const predicted = classes.fine[top];
  const coarseClass = classes.fineToCoarse[predicted];
  const top1 = mean[top];

  const mondrianScores = calibration.mondrian[predicted] ?? [];
  const pValue = conformalPValue(mondrianScores, outputs.adScore);

  const quintile = adQuintile(calibration.adMcp.edges, outputs.adScore);
  const cellScores = calibration.adMcp.cells[predicted]?.[quintile] ?? [];
  const fallback = cellScores.length < calibration.adMcp.minCell;
  const adMcpScores = fallback ? calibration.adMcp.classScores[predicted] ?? [] : cellScores;
  const nonconformity = 1 - top1;
  const threshold = Math.min(1, conformalQuantile(adMcpScores, alpha));

  const set = predictionSet(mean, classes.fine, calibration.aps.scores, alpha);
  const { tauAbstain, tauAD } = calibration.thresholds;
  const decision = decide(outputs.adScore, top1, tauAD, tauAbstain);

  return {
    prediction: {
      class: predicted,
      coarseClass,
      probability: top1,
      coarseProbability: coarseMean[classes.coarse.indexOf(coarseClass)],
      probabilities: Object.fromEntries(classes.fine.map((c, k) => [c, mean[k]])),
      coarseProbabilities: Object.fromEntries(classes.coarse.map((c, k) => [c, coarseMean[k]])),
    },
    conformal: {
      pValue,
      pWrong: 1 - pValue,
      calibrationSize: mondrianScores.length,
      adMcp: {
        quintile: quintile + 1,
        score: nonconformity,
        threshold,
        fires: nonconformity > threshold,
        fallback,
        pValue: conformalPValue(adMcpScores, nonconformity),
        calibrationSize: adMcpScores.length,
      },
    },
    predictionSet: {
      alpha,
      method: 'lac',
      qhat: set.qhat,
      classes: set.classes,
      size: set.classes.length,
      empty: set.classes.length === 0,
    },
    intervals: classIntervals(outputs.fineProbs, M, classes.fine),
    uncertainty: { ...entropyDecomposition(outputs.fineProbs, M, K), unit: 'nats' },
    anomaly: {
      score: outputs.adScore,
      threshold: tauAD,
      scores: Object.fromEntries(classes.scoreNames.map((name, s) => [name, outputs.adScores[s]])),
    },
    decision: { ...decision, tauAbstain, tauAD },
  };
}
