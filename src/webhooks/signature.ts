/**
 * Webhook signatures: `X-Candela-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, with
 * the timestamp (Unix seconds) sent as `X-Candela-Timestamp` and the delivery id as `X-Candela-Delivery`.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const deliveryHeader = 'x-candela-delivery';
export const timestampHeader = 'x-candela-timestamp';
export const signatureHeader = 'x-candela-signature';

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function signedHeaders(secret: string, deliveryId: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { [deliveryHeader]: deliveryId, [timestampHeader]: timestamp, [signatureHeader]: signature(secret, timestamp, body) };
}

export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64url')}`;

/** What may be shown of a secret after creation: enough to tell two apart, not enough to use. */
export const secretHint = (secret: string): string => `…${secret.slice(-4)}`;
