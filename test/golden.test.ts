/**
 * Python and TypeScript agree: for each golden case written by training/golden.py, the TypeScript
 * preprocessing reproduces the tensor, ONNX Runtime reproduces torch's classifier outputs and numpy's Sentinel
 * scores, and the confidence layer reproduces the Python confidence outputs, all within 1e-5.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { assessConfidence } from '../src/confidence/assess.js';
import type { LightCurveContent } from '../src/inputs/lightcurve.js';
import { spectrumFromSkyPortal, type SkyPortalSpectrum } from '../src/inputs/spectrum.js';
import { ModelRepository } from '../src/inference/model-repository.js';
import type { LoadedModel } from '../src/inference/ensemble-model.js';
import { toModelTensor } from '../src/preprocess/index.js';
import { spectrumLimits } from '../src/preprocess/spectrum.js';
import { modelsDir } from './helpers/service.js';

const tolerance = 1e-5;
const goldenDir = new URL('./golden/', import.meta.url);
const goldenFiles = existsSync(goldenDir) ? readdirSync(goldenDir).filter((f) => f.endsWith('.json')) : [];

interface GoldenConfidence {
  predicted: string;
  coarse: string;
  top1: number;
  pValue: number;
  adMcp: { quintile: number; threshold: number; fires: boolean; fallback: boolean };
  qhat: number;
  predictionSet: string[];
  mean: number[];
  std: number[];
  entropy: { total: number; aleatoric: number; epistemic: number };
  decision: string;
}

interface GoldenCase {
  name: string;
  /** A SkyPortal spectrum body, or a light curve as the parsers produce it. */
  request: SkyPortalSpectrum | LightCurveContent;
  tensor: { x: number[]; meta: number[]; coverage?: number };
  classifier: { fine_probs: number[]; coarse_probs: number[]; embedding: number[]; fine_logits: number[] };
  sentinel: { ad_scores: number[]; ad_score: number };
  confidence: Record<string, GoldenConfidence>;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > worst) [worst, at] = [diff, i];
  }
  assert.ok(worst <= tolerance, `${what}: max |diff| ${worst} at ${at} (${actual[at]} vs ${expected[at]})`);
}

/** The request as the service would turn it into a tensor: parsed and checked for spectra, as given for light curves. */
function preprocess(model: LoadedModel, request: GoldenCase['request']) {
  const p = model.card.input.preprocessing;
  if (p.kind === 'spectrum-grid-v1') return toModelTensor(spectrumFromSkyPortal(request as SkyPortalSpectrum, spectrumLimits(p)).content, p);
  return toModelTensor(request as LightCurveContent, p);
}

let repository: ModelRepository;
before(async () => {
  repository = await ModelRepository.load({
    dir: modelsDir,
    sessions: { providers: ['cpu'], intraOpThreads: 0, cpuArena: false },
    batching: { maxItems: 8, maxDelayMs: 1 },
    service: { version: 'test', commit: 'test' },
    log: pino({ level: 'silent' }),
  });
});
after(async () => repository?.close());

it('has golden files for every model in the repository', () => {
  for (const model of repository.all()) {
    assert.ok(goldenFiles.includes(`${model.card.name}-${model.card.version}.json`), `no golden file for ${model.card.name}@${model.card.version}`);
  }
});

for (const file of goldenFiles) {
  const golden = JSON.parse(readFileSync(new URL(file, goldenDir), 'utf8')) as { cases: GoldenCase[] } | GoldenCase[];
  const cases = Array.isArray(golden) ? golden : golden.cases;
  const reference = file.replace(/\.json$/, '').replace(/-(\d+\.\d+\.\d+.*)$/, '@$1');

  describe(`golden ${reference}`, () => {
    for (const c of cases) {
      it(`${c.name}: preprocessing, ONNX Runtime and confidence agree with Python`, async () => {
        const model = repository.get(reference);
        const tensor = preprocess(model, c.request);
        assertClose(tensor.x, c.tensor.x, 'x');
        assertClose(tensor.meta, c.tensor.meta, 'meta');
        if (c.tensor.coverage !== undefined) assertClose([(tensor as { coverage?: number }).coverage ?? NaN], [c.tensor.coverage], 'coverage');

        // ONNX Runtime on Python's own tensor, so that a preprocessing difference cannot hide here.
        const outputs = await model.infer({ x: Float32Array.from(c.tensor.x), meta: Float32Array.from(c.tensor.meta) });
        assertClose(outputs.fineProbs, c.classifier.fine_probs, 'fine_probs');
        assertClose(outputs.coarseProbs, c.classifier.coarse_probs, 'coarse_probs');
        assertClose(outputs.adScores, c.sentinel.ad_scores, 'ad_scores');
        assertClose([outputs.adScore], [c.sentinel.ad_score], 'ad_score');

        for (const [alpha, expected] of Object.entries(c.confidence)) {
          // Python's own probabilities and scores, so that the comparison isolates the confidence layer.
          const result = assessConfidence(
            { fineProbs: c.classifier.fine_probs, coarseProbs: c.classifier.coarse_probs, adScores: c.sentinel.ad_scores, adScore: c.sentinel.ad_score },
            { ...model.card.classes, members: model.card.ensemble.members, scoreNames: model.card.sentinel.scores },
            model.calibration,
            Number(alpha),
          );
          const at = `α=${alpha}`;
          assert.equal(result.prediction.class, expected.predicted, `${at} predicted`);
          assert.equal(result.prediction.coarseClass, expected.coarse, `${at} coarse`);
          assertClose([result.prediction.probability, result.conformal.pValue, result.predictionSet.qhat], [expected.top1, expected.pValue, expected.qhat], `${at} top1, p-value, q̂`);
          assert.deepEqual(result.predictionSet.classes, expected.predictionSet, `${at} prediction set`);
          assertClose(result.intervals.map((i) => i.mean), expected.mean, `${at} mean`);
          assertClose(result.intervals.map((i) => i.std), expected.std, `${at} std`);
          const u = result.uncertainty;
          assertClose([u.total, u.aleatoric, u.epistemic], [expected.entropy.total, expected.entropy.aleatoric, expected.entropy.epistemic], `${at} entropy`);
          assert.equal(result.conformal.adMcp.quintile, expected.adMcp.quintile + 1, `${at} AD quintile (golden is 0-based)`);
          assert.equal(result.conformal.adMcp.fallback, expected.adMcp.fallback, `${at} AD-MCP fallback`);
          assert.equal(result.conformal.adMcp.fires, expected.adMcp.fires, `${at} AD-MCP fires`);
          assertClose([result.conformal.adMcp.threshold], [Math.min(1, expected.adMcp.threshold)], `${at} AD-MCP threshold`);
          assert.equal(result.decision.value, expected.decision, `${at} decision`);
        }
      });
    }
  });
}
