// Writes ggml-cpu's GELU table (ggml_table_gelu_f16: GELU of every float16,
// as float16, filled by ggml_cpu_init) from the oracle's prebuilt AVX2
// library, as 65536 little-endian uint16. Made on x86-64 (glibc 2.36) with
// BINS=<oracle>/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64:
//   gcc -o /tmp/ggml_gelu_table ggml_gelu_table.c -ldl &&
//   LD_LIBRARY_PATH=$BINS /tmp/ggml_gelu_table $BINS/libggml-cpu-haswell.so | gzip -9n > ggml_gelu_f16.bin.gz
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s libggml-cpu-haswell.so\n", argv[0]); return 2; }
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  void (*init)(void) = (void (*)(void))dlsym(h, "ggml_cpu_init");
  uint16_t *t = (uint16_t *)dlsym(h, "ggml_table_gelu_f16");
  if (!init || !t) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  init();
  fwrite(t, 2, 65536, stdout);
  return 0;
}
