// Writes trig.golden: glibc's sinf, cosf and powf on rope's angles and on
// pseudo-random floats, as hex bit patterns. Made on x86-64 (glibc 2.36,
// FMA variants) with:  gcc -O0 -o /tmp/trig_golden trig_golden.c -lm && /tmp/trig_golden > trig.golden
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float fl(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint64_t s = 88172645463325252ull;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)(s >> 32); }
static void sc(float x) { printf("s %08x %08x %08x\n", bits(x), bits(sinf(x)), bits(cosf(x))); }
static void pw(float x, float y) { printf("p %08x %08x %08x\n", bits(x), bits(y), bits(powf(x, y))); }
int main(void) {
  float bases[] = {10000.f, 500000.f, 1000000.f, 100000.f};
  for (int b = 0; b < 4; b++)
    for (int nd = 8; nd <= 128; nd *= 2) {
      float ts = powf(bases[b], -2.0f / nd);
      pw(bases[b], -2.0f / nd);
      for (int pos = 0; pos < 512; pos += (b == 0 ? 5 : 23)) {
        float th = (float)pos;
        for (int i = 0; i < nd; i += 2) { sc(th); th *= ts; }
      }
    }
  for (int i = 0; i < 20000; i++) { uint32_t u = rnd(); if ((u & 0x7f800000) != 0x7f800000) sc(fl(u)); }
  for (int i = 0; i < 20000; i++) { uint32_t u = rnd() & 0x7fffffff, v = rnd(); if ((u & 0x7f800000) != 0x7f800000 && (v & 0x7f800000) != 0x7f800000) pw(fl(u), fl(v)); }
  for (int nd = 2; nd <= 1024; nd += 2) for (int i = 0; i < 20; i++) pw(fl(0x3f800000 + (rnd() & 0x0fffffff)), -2.0f / nd);
  return 0;
}
