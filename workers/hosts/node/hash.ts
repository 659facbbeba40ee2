/** Node's native SHA-256 as the engine's incremental hash interface (several times the pure-JS speed). */
import { createHash } from 'node:crypto';

export function nodeSha256(): { update(data: Uint8Array): void; digest(): Uint8Array } {
  const h = createHash('sha256');
  return { update: (d) => void h.update(d), digest: () => new Uint8Array(h.digest()) };
}
