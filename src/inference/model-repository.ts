/**
 * The model repository (Triton-style): `<MODELS_DIR>/<name>/<version>/` with a card, a calibration and two
 * graphs. Every file's SHA-256 is checked against the card before a model is served.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Calibration } from '../confidence/calibration.js';
import { contentHash, sha256Hex } from '../provenance/hash.js';
import type { Trace, TraceContent } from '../provenance/records.js';
import { artifactFiles, cardProblems, type ModelCard } from './model-card.js';
import { onnxruntimeVersion, openSession, type SessionSettings } from './sessions.js';
import { ensembleModel, type LoadedModel } from './ensemble-model.js';

export interface RepositoryOptions {
  dir: string;
  sessions: SessionSettings;
  batching: { maxItems: number; maxDelayMs: number; onBatch?: (model: string, size: number, seconds: number) => void };
  service: { version: string; commit: string };
  log: Logger;
}

export class ModelNotFoundError extends Error {
  constructor(readonly reference: string, readonly available: string[]) {
    super(`no model "${reference}"; available: ${available.join(', ') || 'none'}`);
    this.name = 'ModelNotFoundError';
  }
}

export class ModelRepository {
  private constructor(private readonly models: Map<string, LoadedModel[]>) {}

  static async load(options: RepositoryOptions): Promise<ModelRepository> {
    const models = new Map<string, LoadedModel[]>();
    for (const name of await subdirectories(options.dir)) {
      for (const version of await subdirectories(join(options.dir, name))) {
        const model = await loadModel(join(options.dir, name, version), options);
        if (model.card.name !== name || model.card.version !== version) {
          throw new Error(`${name}/${version}: card names ${model.card.name}@${model.card.version}`);
        }
        models.set(name, [...(models.get(name) ?? []), model].sort((a, b) => compareVersions(b.card.version, a.card.version)));
        options.log.info({ model: name, version, executionProvider: model.executionProvider, traceId: model.trace.id }, 'model loaded');
      }
    }
    return new ModelRepository(models);
  }

  /** `name` (newest version) or `name@version`. */
  get(reference: string): LoadedModel {
    const [name, version] = reference.split('@');
    const versions = this.models.get(name) ?? [];
    const model = version === undefined ? versions[0] : versions.find((m) => m.card.version === version);
    if (!model) throw new ModelNotFoundError(reference, this.references());
    return model;
  }

  has(reference: string): boolean {
    try {
      this.get(reference);
      return true;
    } catch {
      return false;
    }
  }

  all(): LoadedModel[] {
    return [...this.models.values()].flat();
  }

  references(): string[] {
    return this.all().map((m) => `${m.card.name}@${m.card.version}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((m) => m.close()));
  }
}

async function loadModel(dir: string, options: RepositoryOptions): Promise<LoadedModel> {
  const card = JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as ModelCard;
  const problems = cardProblems(card);
  if (problems.length > 0) throw new Error(`${dir}/card.json: ${problems.join('; ')}`);
  for (const file of artifactFiles) {
    const actual = sha256Hex(await readFile(join(dir, file)));
    if (actual !== card.files[file]) throw new Error(`${dir}/${file}: SHA-256 ${actual} does not match the card (${card.files[file]})`);
  }
  const calibration = JSON.parse(await readFile(join(dir, 'calibration.json'), 'utf8')) as Calibration;
  if (calibration.classes.join() !== card.classes.fine.join()) throw new Error(`${dir}: calibration classes differ from the card`);

  const classifier = await openSession(join(dir, 'classifier.onnx'), options.sessions, options.log);
  const sentinel = await openSession(join(dir, 'sentinel.onnx'), { ...options.sessions, providers: [classifier.executionProvider] }, options.log);
  const content: TraceContent = {
    model: { name: card.name, version: card.version, files: card.files },
    calibrationSha256: card.files['calibration.json'],
    preprocessing: card.input.preprocessing,
    service: options.service,
    runtime: { onnxruntime: onnxruntimeVersion, executionProvider: classifier.executionProvider },
    config: { graphOptimizationLevel: 'all' },
  };
  const trace: Trace = { id: contentHash(content), content, createdAt: new Date().toISOString() };
  return ensembleModel(
    { classifier: classifier.session, sentinel: sentinel.session },
    { card, calibration, executionProvider: classifier.executionProvider, trace },
    {
      maxItems: options.batching.maxItems,
      maxDelayMs: options.batching.maxDelayMs,
      onBatch: (size, seconds) => options.batching.onBatch?.(card.name, size, seconds),
    },
  );
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const pb = b.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    return typeof pa[i] === 'number' && typeof pb[i] === 'number' ? (pa[i] as number) - (pb[i] as number) : String(pa[i]).localeCompare(String(pb[i]));
  }
  return 0;
}
