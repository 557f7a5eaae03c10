/** The confidence-aware output of one classification (DESIGN.md section 1). */
export type Decision = 'COMMIT' | 'ABSTAIN' | 'ALERT';

export interface ClassInterval {
  class: string;
  /** Ensemble-mean probability p̄_k. */
  mean: number;
  /** Standard deviation over members (M-1 denominator). */
  std: number;
  lower: number;
  upper: number;
}

export interface ConfidenceAwareResult {
  prediction: {
    class: string;
    coarseClass: string;
    probability: number;
    coarseProbability: number;
    probabilities: Record<string, number>;
    coarseProbabilities: Record<string, number>;
  };
  conformal: {
    /** Mondrian p-value of the anomaly score within calibration spectra predicted as the same class. */
    pValue: number;
    pWrong: number;
    calibrationSize: number;
    adMcp: {
      quintile: number;
      score: number;
      threshold: number;
      fires: boolean;
      fallback: boolean;
      pValue: number;
      calibrationSize: number;
    };
  };
  predictionSet: {
    alpha: number;
    method: 'lac';
    qhat: number;
    classes: string[];
    size: number;
    empty: boolean;
  };
  intervals: ClassInterval[];
  uncertainty: { total: number; aleatoric: number; epistemic: number; unit: 'nats' };
  anomaly: { score: number; threshold: number; scores: Record<string, number> };
  decision: { value: Decision; reason: string; tauAbstain: number; tauAD: number };
}
