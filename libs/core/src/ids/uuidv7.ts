import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;

function randomBytes(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return bytes;
}

const COUNTER_BITS = 42;
const COUNTER_MAX = 2 ** COUNTER_BITS - 1;
let lastMs = -1;
let counter = 0;

/** A random start below half the range (RFC 9562 6.2: a guard bit), so a millisecond has room for 2^41 ids. */
function seedCounter(): number {
  return randomBytes(6).readUIntBE(0, 6) % 2 ** (COUNTER_BITS - 1);
}

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, a 42-bit counter (method 1 of
 * section 6.2: `rand_a` and the top 30 bits of `rand_b`), then 32 random bits. The counter
 * starts at a random value each millisecond and counts up within it, and the time never goes
 * back (a clock step backwards, or a counter overflow, keeps or advances the last time), so
 * ids made by one process sort in creation order, also within one millisecond. Keyset pages
 * by id are then pages by age, and inserts land at the right edge of the primary-key index.
 */
export function uuidv7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = seedCounter();
  } else if (counter < COUNTER_MAX) {
    counter += 1;
  } else {
    lastMs += 1;
    counter = seedCounter();
  }
  const b = Buffer.alloc(16);
  b.writeUIntBE(lastMs, 0, 6);
  const high = Math.floor(counter / 2 ** 30); // 12 bits
  const low = counter % 2 ** 30; // 30 bits
  b.writeUInt16BE(0x7000 | high, 6);
  b.writeUInt32BE((0x80000000 | low) >>> 0, 8);
  randomBytes(4).copy(b, 12);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
