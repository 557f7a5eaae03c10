/** Ensemble statistics over M members (DESIGN.md section 1, components 4 and 5). */
import type { ClassInterval } from './result.js';

/** Mean over members of row-major `[M, K]` probabilities. */
export function memberMean(probs: ArrayLike<number>, members: number, classes: number): number[] {
  const mean = new Array<number>(classes).fill(0);
  for (let m = 0; m < members; m++) for (let k = 0; k < classes; k++) mean[k] += probs[m * classes + k];
  return mean.map((v) => v / members);
}

/** Per-class p̄_k ± σ_k, σ with the M-1 denominator (0 for a single member); bounds clipped to [0, 1]. */
export function classIntervals(probs: ArrayLike<number>, members: number, classNames: readonly string[]): ClassInterval[] {
  const K = classNames.length;
  const mean = memberMean(probs, members, K);
  return classNames.map((name, k) => {
    let squares = 0;
    for (let m = 0; m < members; m++) squares += (probs[m * K + k] - mean[k]) ** 2;
    const std = members > 1 ? Math.sqrt(squares / (members - 1)) : 0;
    return { class: name, mean: mean[k], std, lower: Math.max(0, mean[k] - std), upper: Math.min(1, mean[k] + std) };
  });
}

function entropy(p: ArrayLike<number>, offset: number, length: number): number {
  let h = 0;
  for (let k = 0; k < length; k++) {
    const v = p[offset + k];
    if (v > 0) h -= v * Math.log(v);
  }
  return h;
}

/** `H[p̄] = mean_m H[p^(m)] + MI`, in nats: total, aleatoric (mean member entropy), epistemic (mutual information). */
export function entropyDecomposition(probs: ArrayLike<number>, members: number, classes: number) {
  const total = entropy(memberMean(probs, members, classes), 0, classes);
  let aleatoric = 0;
  for (let m = 0; m < members; m++) aleatoric += entropy(probs, m * classes, classes);
  aleatoric /= members;
  return { total, aleatoric, epistemic: Math.max(0, total - aleatoric) };
}
