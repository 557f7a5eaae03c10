/** ONNX Runtime sessions, created on the first execution provider of the configured list that works. */
import ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import type { ExecutionProvider } from '../config.js';

export interface SessionSettings {
  providers: ExecutionProvider[];
  intraOpThreads: number;
  cpuArena: boolean;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  executionProvider: ExecutionProvider;
}

export async function openSession(path: string, settings: SessionSettings, log: Logger): Promise<OpenedSession> {
  const reasons: string[] = [];
  for (const provider of settings.providers) {
    try {
      const session = await ort.InferenceSession.create(path, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        enableCpuMemArena: settings.cpuArena,
        ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
        interOpNumThreads: 1,
      });
      return { session, executionProvider: provider };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      reasons.push(`${provider}: ${reason}`);
      log.warn({ path, provider, reason }, 'execution provider unavailable, trying the next one');
    }
  }
  throw new Error(`no execution provider could open ${path}: ${reasons.join('; ')}`);
}

export const onnxruntimeVersion: string = ort.env.versions.node ?? 'unknown';

export { ort };
