/** One HTTP attempt: POST a JSON body, no redirects followed, bounded by a timeout; never throws. */
import { parseRetryAfter } from './retry-policy.js';

export interface SendOutcome {
  statusCode?: number;
  retryAfterMs?: number;
  /** Network error, timeout, or a short excerpt of an error response. */
  error?: string;
}

const excerptLength = 300;

/** The start of a response body; the rest is not read, so a receiver cannot make an attempt hold megabytes. */
async function bodyExcerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < excerptLength * 4) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).toString('utf8').slice(0, excerptLength);
}

export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<SendOutcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Candela-Delivery/1', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await bodyExcerpt(response);
    const outcome: SendOutcome = { statusCode: response.status, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
    if (!response.ok) outcome.error = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
    return outcome;
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { error: timedOut ? `no answer within ${timeoutMs} ms` : `${error instanceof Error ? error.message : String(error)}${cause}` };
  }
}
