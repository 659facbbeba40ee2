/*
 * dm-verity block digests, four at a time: SHA-256 (FIPS 180-4, written from the standard) of
 * salt ‖ block for up to SL_MAX_BLOCKS equal-sized blocks, the four blocks of a group in the four
 * 32-bit lanes of a WebAssembly SIMD vector (multi-buffer hashing: SHA-256 has no parallelism inside
 * one message, but the blocks of a verity level are independent). No imports, no libc: memcpy and
 * memset are compiler built-ins (bulk memory).
 *
 * Exports: sl_input() (SL_INPUT_BYTES of blocks), sl_salt() (SL_MAX_SALT bytes), sl_output()
 * (32 bytes per block), sl_hash_blocks(salt_bytes, block_bytes, count).
 */
#include <stdint.h>

typedef uint32_t v4 __attribute__((vector_size(16)));
typedef uint8_t v16 __attribute__((vector_size(16)));

#define SL_INPUT_BYTES (1u << 20)
#define SL_MAX_SALT 256u            /* cryptsetup's VERITY_MAX_SALT_SIZE */
#define SL_MAX_BLOCK 4096u          /* the largest verity block Partwright makes */
#define SL_MIN_BLOCK 512u
#define SL_MAX_BLOCKS (SL_INPUT_BYTES / SL_MIN_BLOCK)
/* salt + block + 0x80 + up to 63 zero bytes + 8-byte length, rounded to 64 */
#define SL_SCRATCH_BYTES (((SL_MAX_SALT + SL_MAX_BLOCK + 9u + 63u) / 64u) * 64u)

static uint8_t input[SL_INPUT_BYTES] __attribute__((aligned(16)));
static uint8_t salt_buf[SL_MAX_SALT];
static uint8_t output[SL_MAX_BLOCKS * 32u];
static uint8_t scratch[4][SL_SCRATCH_BYTES] __attribute__((aligned(16)));

uint8_t *sl_input(void) { return input; }
uint8_t *sl_salt(void) { return salt_buf; }
uint8_t *sl_output(void) { return output; }

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t H0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define S0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define S1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define s0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define s1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))

static inline v4 load_be(const uint8_t *p) {
  v16 b;
  __builtin_memcpy(&b, p, 16);
  b = __builtin_shufflevector(b, b, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  return (v4)b;
}

/* One 64-byte chunk of each lane's message at byte `at`. */
static void compress4(v4 st[8], uint32_t at) {
  v4 w[16];
  for (int q = 0; q < 4; q++) {
    /* four words of each lane, then transposed so w[4q + i] holds word i of every lane */
    v4 a = load_be(scratch[0] + at + 16 * q), b = load_be(scratch[1] + at + 16 * q);
    v4 c = load_be(scratch[2] + at + 16 * q), d = load_be(scratch[3] + at + 16 * q);
    v4 ab_lo = __builtin_shufflevector(a, b, 0, 4, 1, 5), ab_hi = __builtin_shufflevector(a, b, 2, 6, 3, 7);
    v4 cd_lo = __builtin_shufflevector(c, d, 0, 4, 1, 5), cd_hi = __builtin_shufflevector(c, d, 2, 6, 3, 7);
    w[4 * q + 0] = __builtin_shufflevector(ab_lo, cd_lo, 0, 1, 4, 5);
    w[4 * q + 1] = __builtin_shufflevector(ab_lo, cd_lo, 2, 3, 6, 7);
    w[4 * q + 2] = __builtin_shufflevector(ab_hi, cd_hi, 0, 1, 4, 5);
    w[4 * q + 3] = __builtin_shufflevector(ab_hi, cd_hi, 2, 3, 6, 7);
  }
  v4 a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (int t = 0; t < 64; t++) {
    v4 wt;
    if (t < 16) wt = w[t];
    else {
      wt = s1(w[(t - 2) & 15]) + w[(t - 7) & 15] + s0(w[(t - 15) & 15]) + w[t & 15];
      w[t & 15] = wt;
    }
    v4 t1 = h + S1(e) + CH(e, f, g) + K[t] + wt;
    v4 t2 = S0(a) + MAJ(a, b, c);
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

/* Lays salt ‖ block ‖ padding in a lane's scratch; returns the padded length. */
static uint32_t prepare(int lane, const uint8_t *block, uint32_t salt_bytes, uint32_t block_bytes) {
  uint8_t *m = scratch[lane];
  uint32_t len = salt_bytes + block_bytes;
  uint32_t padded = ((len + 9u + 63u) / 64u) * 64u;
  __builtin_memcpy(m, salt_buf, salt_bytes);
  __builtin_memcpy(m + salt_bytes, block, block_bytes);
  __builtin_memset(m + len, 0, padded - len);
  m[len] = 0x80;
  uint64_t bits = (uint64_t)len * 8u;
  for (int i = 0; i < 8; i++) m[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
  return padded;
}

/*
 * Digests of salt ‖ block for `count` blocks of `block_bytes` at sl_input(), into sl_output().
 * Returns 0, or -1 for sizes outside the buffers.
 */
int sl_hash_blocks(uint32_t salt_bytes, uint32_t block_bytes, uint32_t count) {
  if (salt_bytes > SL_MAX_SALT || block_bytes > SL_MAX_BLOCK || block_bytes == 0 || (uint64_t)count * block_bytes > SL_INPUT_BYTES) return -1;
  for (uint32_t first = 0; first < count; first += 4) {
    uint32_t padded = 0;
    for (int lane = 0; lane < 4; lane++) {
      uint32_t k = first + (uint32_t)lane < count ? first + (uint32_t)lane : first; /* spare lanes repeat the first block */
      padded = prepare(lane, input + (uint64_t)k * block_bytes, salt_bytes, block_bytes);
    }
    v4 st[8];
    for (int i = 0; i < 8; i++) st[i] = (v4){ H0[i], H0[i], H0[i], H0[i] };
    for (uint32_t at = 0; at < padded; at += 64) compress4(st, at);
    for (int lane = 0; lane < 4 && first + (uint32_t)lane < count; lane++) {
      uint8_t *o = output + (uint64_t)(first + (uint32_t)lane) * 32u;
      for (int i = 0; i < 8; i++) {
        uint32_t v = st[i][lane];
        o[4 * i] = (uint8_t)(v >> 24); o[4 * i + 1] = (uint8_t)(v >> 16); o[4 * i + 2] = (uint8_t)(v >> 8); o[4 * i + 3] = (uint8_t)v;
      }
    }
  }
  return 0;
}
