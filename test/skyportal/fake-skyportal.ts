/**
 * A small SkyPortal that enforces the parts of its contract Candela relies on: `Authorization: token ...` on
 * the API, single-use analysis callback tokens that expire at `invalid_after`, a 10 MB body limit, and
 * classification names that must exist in the taxonomy. It starts analyses the way SkyPortal does, by
 * POSTing the analysis request (inputs as CSV strings) to the service.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const apiToken = 'f1e2d3c4-b5a6-4789-9abc-def012345678';
export const taxonomyId = 3;
/** tdtax names of the supernova and nuclear branches (enough for Candela's classes). */
export const taxonomyNames = new Set(['Supernova', 'Ia', 'Ib/c', 'Type II', 'Ic-SLSN', 'Tidal Disruption Event', 'IIn', 'IIb', 'IIP']);
const bodyLimitBytes = 10 * 1024 * 1024;

export interface AnalysisCallback {
  token: string;
  body: { status: string; message: string; analysis: { results?: { format: string; data: Record<string, unknown> } } };
}

interface Analysis {
  invalidAfter: number;
  used: boolean;
}

export interface FakeSkyPortal {
  url: string;
  classifications: Record<string, unknown>[];
  annotations: { objId: string; body: Record<string, unknown> }[];
  callbacks: AnalysisCallback[];
  /** Every refusal, as `<status> <path>: <reason>`. */
  refusals: string[];
  /** While true, the analysis webhook answers 503 (maintenance). */
  callbackOutage: boolean;
  /** Starts an analysis on `candelaUrl` as SkyPortal does; returns Candela's answer. */
  /** `headers`: what SkyPortal adds for `authentication_type: "header_token"` (the service's `_authinfo.header_token`). */
  startAnalysis(candelaUrl: string, objId: string, inputs: Record<string, string>, validForMs?: number, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Resolves once `count` callbacks have been accepted. */
  callbacksReceived(count: number, timeoutMs?: number): Promise<AnalysisCallback[]>;
  close(): Promise<void>;
}

class Refusal extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > bodyLimitBytes) throw new Refusal(413, 'body over 10 MB');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Refusal(400, 'body is not JSON');
  }
}

function requireToken(req: IncomingMessage): void {
  if (req.headers.authorization !== `token ${apiToken}`) throw new Refusal(401, 'missing or wrong "Authorization: token ..." header');
}

export async function startFakeSkyPortal(): Promise<FakeSkyPortal> {
  const analyses = new Map<string, Analysis>();
  const state = { classifications: [] as Record<string, unknown>[], annotations: [] as FakeSkyPortal['annotations'], callbacks: [] as AnalysisCallback[], refusals: [] as string[] };

  const routes: [RegExp, (match: RegExpExecArray, req: IncomingMessage) => Promise<unknown>][] = [
    [/^\/api\/classification$/, async (_, req) => {
      requireToken(req);
      const body = await readJson(req);
      if (typeof body.obj_id !== 'string') throw new Refusal(400, 'obj_id is required');
      if (body.taxonomy_id !== taxonomyId) throw new Refusal(400, `no taxonomy ${String(body.taxonomy_id)}`);
      if (!taxonomyNames.has(body.classification as string)) throw new Refusal(400, `${String(body.classification)} is not in the taxonomy`);
      if (typeof body.probability !== 'number' || body.probability < 0 || body.probability > 1) throw new Refusal(400, 'probability must be in [0, 1]');
      if (body.ml !== true || typeof body.origin !== 'string') throw new Refusal(400, 'ml and origin are expected');
      state.classifications.push(body);
      return { status: 'success', data: { classification_id: state.classifications.length } };
    }],
    [/^\/api\/sources\/([^/]+)\/annotations$/, async (match, req) => {
      requireToken(req);
      const body = await readJson(req);
      if (typeof body.origin !== 'string' || typeof body.data !== 'object' || body.data === null) throw new Refusal(400, 'origin and data are required');
      state.annotations.push({ objId: decodeURIComponent(match[1]), body });
      return { status: 'success', data: { annotation_id: state.annotations.length } };
    }],
    [/^\/api\/webhook\/obj_analysis\/([^/]+)$/, async (match, req) => {
      if (fake.callbackOutage) throw new Refusal(503, 'down for maintenance');
      const analysis = analyses.get(match[1]);
      if (!analysis) throw new Refusal(400, 'unknown token');
      if (analysis.used) throw new Refusal(400, 'token already used');
      if (Date.now() > analysis.invalidAfter) throw new Refusal(400, 'token expired (invalid_after passed)');
      const body = (await readJson(req)) as AnalysisCallback['body'];
      if (!['success', 'failure'].includes(body.status) || typeof body.message !== 'string' || typeof body.analysis !== 'object') {
        throw new Refusal(400, 'status, message and analysis are required');
      }
      analysis.used = true;
      state.callbacks.push({ token: match[1], body });
      return { status: 'success' };
    }],
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    try {
      const route = req.method === 'POST' ? routes.map(([pattern, run]) => [pattern.exec(path), run] as const).find(([match]) => match) : undefined;
      if (!route) throw new Refusal(404, 'no such endpoint');
      const answer = await route[1](route[0]!, req);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    } catch (error) {
      const status = error instanceof Refusal ? error.status : 500;
      state.refusals.push(`${status} ${path}: ${(error as Error).message}`);
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ status: 'error', message: (error as Error).message }));
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeSkyPortal = {
    url,
    ...state,
    callbackOutage: false,
    async startAnalysis(candelaUrl, objId, inputs, validForMs = 60_000, headers = {}) {
      const token = randomUUID();
      const invalidAfter = Date.now() + validForMs;
      analyses.set(token, { invalidAfter, used: false });
      const response = await fetch(`${candelaUrl}/skyportal/analysis`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          callback_url: `${url}/api/webhook/obj_analysis/${token}`,
          callback_method: 'POST',
          invalid_after: new Date(invalidAfter).toISOString().replace('T', ' ').replace('Z', ''),
          analysis_resource_type: 'obj',
          resource_id: objId,
          inputs,
        }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async callbacksReceived(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (state.callbacks.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} callbacks, got ${state.callbacks.length}; refusals: ${state.refusals.join(' | ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return state.callbacks.slice(0, count);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
