/**
 * SSRF guard: a delivery target must be http(s) and resolve only to public addresses, unless private targets
 * are allowed (WEBHOOK_ALLOW_PRIVATE, for local set-ups and tests). Checked when a subscription is saved and
 * again before every attempt, since DNS answers change.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) nonPublic.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) nonPublic.addSubnet(network, prefix, 'ipv6');

/** A target refused; `reason` says why, for the `/url` field of a problem document or the attempt log. */
export class TargetRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TargetRefusedError';
  }
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 6 && address.toLowerCase().startsWith('::ffff:')) return isPublicAddress(address.slice(7));
  return family !== 0 && !nonPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export async function assertDeliverableTarget(url: string, allowPrivate: boolean): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetRefusedError('is not an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TargetRefusedError('must be an http or https URL');
  if (parsed.username || parsed.password) throw new TargetRefusedError('must not carry credentials');
  if (allowPrivate) return;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(host) ? [host] : await lookup(host, { all: true }).then((all) => all.map((a) => a.address), () => []);
  if (addresses.length === 0) throw new TargetRefusedError(`host ${host} does not resolve`);
  const refused = addresses.find((a) => !isPublicAddress(a));
  if (refused) throw new TargetRefusedError(`resolves to ${refused}, a loopback, private or link-local address (set WEBHOOK_ALLOW_PRIVATE=true to allow)`);
}
