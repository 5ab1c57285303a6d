// Writes expf.golden: glibc's expf on the two inputs (of all 2^32) where
// a version of Expf that rounded z = InvLn2N·x before the shift and the
// reduction differed from glibc's FMA build, on the bounds of its
// branches, and on pseudo-random floats over the whole range and densely
// over |x| < 90, as hex bit patterns. Made on x86-64 (glibc 2.36) with:
//   gcc -O0 -o /tmp/expf_golden expf_golden.c -lm && /tmp/expf_golden > expf.golden
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float fl(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint64_t s = 88172645463325252ull;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)(s >> 32); }
static void ex(float x) { printf("%08x %08x\n", bits(x), bits(expf(x))); }
int main(void) {
  uint32_t fma_cases[] = {0xc27c65d9, 0x4202422f};
  for (int i = 0; i < 2; i++) ex(fl(fma_cases[i]));
  uint32_t edges[] = {0x00000000, 0x00000001, 0x00800000, 0x3f800000, 0x42b00000, 0x42b17217, 0x42b17218,
                      0x42cff1b4, 0x42cff1b5, 0x42d00000, 0x7f7fffff, 0x7f800000, 0x7fc00000};
  for (int i = 0; i < (int)(sizeof edges / sizeof edges[0]); i++)
    for (int d = -2; d <= 2; d++) {
      uint32_t u = edges[i] + d;
      if (d < 0 && edges[i] < (uint32_t)-d) continue;
      ex(fl(u)); ex(fl(u | 0x80000000));
    }
  for (int i = 0; i < 20000; i++) ex(fl(rnd()));
  for (int i = 0; i < 20000; i++) ex((float)((int32_t)rnd()) * 0x1.68p-25f); // |x| < 90
  return 0;
}
