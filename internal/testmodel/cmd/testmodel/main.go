// Command testmodel writes random-weight models for tests and benchmarks:
//
//	go run ./internal/testmodel/cmd/testmodel gguf qwen3-0.6b Q4_K_M out.gguf [-seed 1]
//	go run ./internal/testmodel/cmd/testmodel gguf tiny-qwen3 F32 out.gguf
//	go run ./internal/testmodel/cmd/testmodel hf tiny-qwen3 F32 DIR
//
// TYPE is a tensor type (F32, F16, Q8_0, Q4_K …, every matrix gets it) or a
// llama.cpp mix (Q4_K_M, Q5_K_M …).
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/testmodel"
	"github.com/hearthlm/hearth/safetensors"
)

func main() {
	seed := flag.Int64("seed", 1, "random seed")
	shard := flag.Int64("shard", 0, "largest shard in bytes (hf; 0: one file)")
	vocab := flag.Int("vocab", 0, "override the vocabulary size")
	tok := flag.String("tokenizer", "", "override the tokenizer (a folder of ../shared/testdata/hf/tokenizers)")
	flag.Parse()
	a := flag.Args()
	if len(a) != 4 || (a[0] != "gguf" && a[0] != "hf") {
		fmt.Fprintf(os.Stderr, "usage: testmodel [-seed N] gguf SPEC TYPE OUT.gguf\n       testmodel [-seed N] [-shard BYTES] hf SPEC F32|F16|BF16 DIR\nspecs: %s\n", strings.Join(names(), " "))
		os.Exit(2)
	}
	spec, ok := testmodel.Specs[a[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "testmodel: unknown spec %q (known: %s)\n", a[1], strings.Join(names(), " "))
		os.Exit(2)
	}
	if *vocab > 0 {
		spec.Vocab = *vocab
	}
	if *tok != "" {
		spec.Tokenizer = *tok
	}
	var err error
	if a[0] == "hf" {
		err = testmodel.WriteHF(a[3], spec, safetensors.DType(strings.ToUpper(a[2])), *seed, *shard)
	} else if t, ok := gguf.ParseType(a[2]); ok && !strings.Contains(a[2], "_K_") {
		err = testmodel.WriteGGUF(a[3], spec, t, *seed)
	} else {
		var ft convert.FileType
		if ft, err = convert.ParseFileType(a[2]); err == nil {
			err = testmodel.WriteGGUFMix(a[3], spec, ft, *seed)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testmodel:", err)
		os.Exit(1)
	}
}

func names() []string {
	var n []string
	for k := range testmodel.Specs {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
