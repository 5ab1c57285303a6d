// Writes tanhf.golden: glibc's tanhf and expm1f (which tanhf calls) on
// pseudo-random floats over the whole range, densely over the scores a soft
// cap sees (|x| < 8), and at the bounds of their branches, as hex bit
// patterns. Made on x86-64 (glibc 2.36) with:
//   gcc -O0 -o /tmp/tanhf_golden tanhf_golden.c -lm && /tmp/tanhf_golden > tanhf.golden
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float fl(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint64_t s = 88172645463325252ull;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)(s >> 32); }
static void th(float x) { printf("t %08x %08x\n", bits(x), bits(tanhf(x))); }
static void em(float x) { printf("e %08x %08x\n", bits(x), bits(expm1f(x))); }
int main(void) {
  uint32_t edges[] = {0x00000000, 0x00000001, 0x00800000, 0x23ffffff, 0x24000000, 0x32ffffff, 0x33000000,
                      0x3eb17218, 0x3eb17219, 0x3f800000, 0x3f7fffff, 0x3f851591, 0x3f851592, 0x4195b843,
                      0x4195b844, 0x41afffff, 0x41b00000, 0x42b17180, 0x42b17181, 0x42b17217, 0x42b17218,
                      0x7f7fffff, 0x7f800000, 0x7fc00000};
  for (int i = 0; i < (int)(sizeof edges / sizeof edges[0]); i++)
    for (int d = -2; d <= 2; d++) {
      uint32_t u = edges[i] + d;
      if (d < 0 && edges[i] < (uint32_t)-d) continue;
      th(fl(u)); th(fl(u | 0x80000000)); em(fl(u)); em(fl(u | 0x80000000));
    }
  for (int i = 0; i < 15000; i++) th(fl(rnd()));
  for (int i = 0; i < 15000; i++) th((float)((int32_t)rnd()) * 0x1p-28f); // |x| < 8
  for (int i = 0; i < 10000; i++) em(fl(rnd()));
  for (int i = 0; i < 10000; i++) em((float)((int32_t)rnd()) * 0x1p-25f); // |x| < 64
  return 0;
}
