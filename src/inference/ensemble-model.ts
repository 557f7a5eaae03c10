/** One loaded model (any modality): classifier and Sentinel graphs behind a micro-batcher. */
import type { Calibration } from '../confidence/calibration.js';
import type { ModelOutputs } from '../confidence/assess.js';
import type { ModelTensor } from '../preprocess/index.js';
import type { ExecutionProvider } from '../config.js';
import type { Trace } from '../provenance/records.js';
import { MicroBatcher } from './micro-batcher.js';
import type { ModelCard } from './model-card.js';
import { ort } from './sessions.js';

export interface LoadedModel {
  card: ModelCard;
  calibration: Calibration;
  executionProvider: ExecutionProvider;
  trace: Trace;
  /** Runs the classifier then the Sentinel for one input, batched with whatever else is waiting. */
  infer(tensor: ModelTensor): Promise<ModelOutputs>;
  close(): Promise<void>;
}

export interface GraphPair {
  classifier: ort.InferenceSession;
  sentinel: ort.InferenceSession;
}

export function batchRunner(graphs: GraphPair, card: ModelCard) {
  const [, channels, length] = card.input.tensors.x.shape as number[];
  const metaWidth = (card.input.tensors.meta?.shape[1] as number | undefined) ?? 0;
  const K = card.classes.fine.length;
  const Kc = card.classes.coarse.length;
  const M = card.ensemble.members;
  const S = card.sentinel.scores.length;

  return async (items: ModelTensor[]): Promise<ModelOutputs[]> => {
    const B = items.length;
    const x = new Float32Array(B * channels * length);
    items.forEach((item, b) => x.set(item.x, b * channels * length));
    const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', x, [B, channels, length]) };
    if (graphs.classifier.inputNames.includes('meta')) {
      const meta = new Float32Array(B * metaWidth);
      items.forEach((item, b) => meta.set(item.meta, b * metaWidth));
      feeds.meta = new ort.Tensor('float32', meta, [B, metaWidth]);
    }
    const classified = await graphs.classifier.run(feeds);
    const sentinelFeeds: Record<string, ort.Tensor> = {};
    for (const name of graphs.sentinel.inputNames) sentinelFeeds[name] = classified[name];
    const scored = await graphs.sentinel.run(sentinelFeeds);

    const fine = classified.fine_probs.data as Float32Array;
    const coarse = classified.coarse_probs.data as Float32Array;
    const adScores = scored.ad_scores.data as Float32Array;
    const adScore = scored.ad_score.data as Float32Array;
    return items.map((_, b) => ({
      fineProbs: fine.slice(b * M * K, (b + 1) * M * K),
      coarseProbs: coarse.slice(b * M * Kc, (b + 1) * M * Kc),
      adScores: adScores.slice(b * S, (b + 1) * S),
      adScore: adScore[b],
    }));
  };
}

export function ensembleModel(
  graphs: GraphPair,
  parts: Omit<LoadedModel, 'infer' | 'close'>,
  batching: { maxItems: number; maxDelayMs: number; onBatch?: (size: number, seconds: number) => void },
): LoadedModel {
  const batcher = new MicroBatcher(batchRunner(graphs, parts.card), batching.maxItems, batching.maxDelayMs);
  batcher.onBatch = batching.onBatch;
  return {
    ...parts,
    infer: (tensor) => batcher.run(tensor),
    close: async () => {
      await graphs.classifier.release();
      await graphs.sentinel.release();
    },
  };
}
