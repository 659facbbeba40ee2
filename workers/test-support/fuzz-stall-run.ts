/**
 * Run by fuzz-watchdog.test.ts in its own process: a property whose 4th input (run 3) loops forever
 * in synchronous code, as fzstd did, under fuzzAssert's watchdog.
 *   FUZZ_STALL_SECONDS=2 node --import tsx fuzz-stall-run.ts sync|async
 */
import fc from 'fast-check';
import { fuzzAssert, fuzzOptions } from './fuzz.ts';

const mode = process.argv[2];
let runs = 0;
const hang = (b: Uint8Array) => {
  if (runs++ === 3) for (;;) if (b.length < 0) break;
};
if (mode === 'async') {
  await fuzzAssert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 8 }), async (b) => {
    if (runs === 3) await new Promise(() => {}); // never settles
    hang(b);
  }), fuzzOptions('stall-async', 10));
} else {
  fuzzAssert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 8 }), hang), fuzzOptions('stall-sync', 10));
}
console.log('finished');
