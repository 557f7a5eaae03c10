/** The calibration bundle of a model (`calibration.json`, format 1; see artifacts/README.md). */
export interface Calibration {
  format: 1;
  size: number;
  sha256: string;
  split?: string;
  classes: string[];
  mondrian: Record<string, number[]>;
  aps: { method: 'lac'; scores: number[] };
  adMcp: {
    edges: number[];
    minCell: number;
    score: string;
    classScores: Record<string, number[]>;
    cells: Record<string, number[][]>;
  };
  thresholds: { tauAbstain: number; tauAbstainQuantile: number; tauAD: number; tauADQuantile: number };
}

/** Number of values in an ascending array that are >= x (binary search). */
export function countAtLeast(ascending: readonly number[], x: number): number {
  let lo = 0;
  let hi = ascending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ascending[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return ascending.length - lo;
}

/** Number of values in an ascending array that are <= x. */
export function countAtMost(ascending: readonly number[], x: number): number {
  let lo = 0;
  let hi = ascending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ascending[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
