import type { Decision } from './result.js';

/** Two independent axes (ASTRANet Sec. VI G): anomaly first, then confidence. */
export function decide(adScore: number, top1: number, tauAD: number, tauAbstain: number): { value: Decision; reason: string } {
  if (adScore >= tauAD) {
    return { value: 'ALERT', reason: `anomaly score ${adScore.toFixed(3)} >= τ_AD ${tauAD.toFixed(3)}` };
  }
  if (top1 < tauAbstain) {
    return { value: 'ABSTAIN', reason: `top-1 probability ${top1.toFixed(3)} < τ_abstain ${tauAbstain.toFixed(3)}` };
  }
  return { value: 'COMMIT', reason: `top-1 probability ${top1.toFixed(3)} >= τ_abstain ${tauAbstain.toFixed(3)} and anomaly score below τ_AD` };
}
