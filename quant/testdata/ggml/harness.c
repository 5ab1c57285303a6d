// Throwaway harness (not committed): runs ggml-cpu's from_float and vec_dot.
// usage: harness TESTDATA_DIR OUT_DIR
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdint.h>
#include "ggml.h"
#include "ggml-cpu.h"

static uint64_t st = 0x9e3779b97f4a7c15ull;
static double urand(void) { st = st*6364136223846793005ull + 1442695040888963407ull; return (double)(st >> 11) / 9007199254740992.0; }
static double nrand(void) { double u = urand(), v = urand(); return sqrt(-2*log(u + 1e-300)) * cos(2*M_PI*v); }

static void wr(const char *dir, const char *name, const void *p, size_t n) {
    char path[1024]; snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb"); fwrite(p, 1, n, f); fclose(f);
}
static void *rd(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb"); if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET);
    void *p = malloc(*n); fread(p, 1, *n, f); fclose(f); return p;
}

int main(int argc, char **argv) {
    const char *td = argv[1], *out = argv[2];
    ggml_cpu_init();
    enum { N = 4096 };
    static float x[N];
    for (int i = 0; i < N; i++) x[i] = (float)(nrand() * exp(nrand()));
    // block 1 (elements 32..63) and super-block 1 (256..511): halves, amax 127 -> ties
    for (int i = 32; i < 64; i++) x[i] = (float)((i % 2 ? 1 : -1) * ((i - 32) + 0.5));
    x[40] = 127.0f;
    for (int i = 256; i < 512; i++) x[i] = (float)((int)(urand()*254) - 127) + 0.5f*(i%2);
    x[300] = -127.0f;
    for (int i = 512; i < 768; i++) x[i] = 0.0f;          // zero super-block
    x[800] = 1e-30f;                                     // tiny lone value in a block of zeros
    for (int i = 801; i < 832; i++) x[i] = 0.0f;
    for (int i = 1024; i < 1056; i++) x[i] = (float)(nrand() * 1e4);  // big
    for (int i = 1056; i < 1088; i++) x[i] = (float)(nrand() * 1e-6); // small
    wr(out, "act.f32", x, sizeof x);

    const enum ggml_type act[] = { GGML_TYPE_Q8_0, GGML_TYPE_Q8_1, GGML_TYPE_Q8_K, GGML_TYPE_F16, GGML_TYPE_BF16 };
    for (size_t k = 0; k < sizeof act / sizeof act[0]; k++) {
        size_t sz = ggml_row_size(act[k], N);
        void *q = calloc(1, sz);
        ggml_get_type_traits_cpu(act[k])->from_float(x, q, N);
        const char *names[] = { "Q8_0", "Q8_1", "Q8_K", "F16", "BF16" };
        char name[64]; snprintf(name, sizeof name, "act.%s", names[k]);
        wr(out, name, q, sz);
        free(q);
    }

    // vec_dot of row 0 of blk.0.ffn_down.weight (768) of each type with act[0:768].
    const char *types[] = { "F32","F16","BF16","Q4_0","Q4_1","Q5_0","Q5_1","Q8_0","Q2_K","Q3_K","Q4_K","Q5_K","Q6_K" };
    const enum ggml_type tt[] = { GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K };
    const int n = 768;
    // A fresh activation row without the special blocks, for the dots.
    static float a[768];
    for (int i = 0; i < n; i++) a[i] = (float)(nrand() * exp(nrand()));
    wr(out, "dot_act.f32", a, sizeof a);
    char path[1024];
    FILE *js = NULL; { char p2[1024]; snprintf(p2, sizeof p2, "%s/dot.json", out); js = fopen(p2, "w"); }
    fprintf(js, "{");
    for (int k = 0; k < 13; k++) {
        snprintf(path, sizeof path, "%s/synth-llama-%s.blk.0.ffn_down.weight.raw", td, types[k]);
        size_t wn; unsigned char *w = rd(path, &wn);
        const struct ggml_type_traits_cpu *tr = ggml_get_type_traits_cpu(tt[k]);
        size_t rb = ggml_row_size(tt[k], n);
        void *q = calloc(1, ggml_row_size(tr->vec_dot_type, n));
        ggml_get_type_traits_cpu(tr->vec_dot_type)->from_float(a, q, n);
        fprintf(js, "%s\n \"%s\": [", k ? "," : "", types[k]);
        for (int r = 0; r < 16; r++) {
            float s = 0;
            tr->vec_dot(n, &s, 0, w + r*rb, 0, q, 0, 1);
            uint32_t b; memcpy(&b, &s, 4);
            fprintf(js, "%s%u", r ? ", " : "", b);
        }
        fprintf(js, "]");
        free(q); free(w);
    }
    fprintf(js, "\n}\n");
    fclose(js);
    return 0;
}
