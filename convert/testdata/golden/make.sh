#!/bin/sh
# Regenerates the conversion goldens: a random Transformers checkpoint per
# architecture (internal/testmodel, seed 1, byte-level tokenizer), converted
# by `hearth convert`, then run by llama.cpp (the oracle of
# ../shared/oracles/llamacpp): 32 greedy tokens after two prompts and the
# top-10 log-probabilities at every position of one 16-token sequence.
# general.name is "golden": llama.cpp looks for Phi-3's <|end|> token in
# models whose name contains "phi3", which the test vocabulary lacks.
#
#   LLAMACPP=/path/to/llamacpp.mjs sh convert/testdata/golden/make.sh [SPEC:TYPE ...]   (from the repo root)
set -eu
LLAMACPP=${LLAMACPP:-../shared/oracles/llamacpp/llamacpp.mjs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/testmodel" ./internal/testmodel/cmd/testmodel
go build -o "$tmp/hearth" ./cmd/hearth
cases=${*:-tiny-qwen3:F32 tiny-qwen3:F16 tiny-qwen2:F32 tiny-llama:F32 tiny-llama:F16 tiny-gemma3:F32 tiny-phi3:F32 tiny-gemma2:F32}
for case in $cases; do
	spec=${case%%:*}
	typ=${case##*:}
	"$tmp/testmodel" -seed 1 hf "$spec" F32 "$tmp/$spec"
	"$tmp/hearth" convert -q "$tmp/$spec" -o "$tmp/$spec-$typ.gguf" --type "$typ" --name golden
	g1=$(node "$LLAMACPP" greedy "$tmp/$spec-$typ.gguf" --tokens 1,2,3 -n 32)
	g2=$(node "$LLAMACPP" greedy "$tmp/$spec-$typ.gguf" --tokens 300,17,900,45,2,811 -n 32)
	p=$(node "$LLAMACPP" probs "$tmp/$spec-$typ.gguf" --tokens 5,80,300,7,99,1000,3,42,650,12,512,77,260,261,8,999 --top 10 --all)
	sha=$(sha256sum "$tmp/$spec-$typ.gguf" | cut -d' ' -f1)
	cat > "convert/testdata/golden/$spec-$typ.json" <<JSON
{"spec": "$spec", "type": "$typ", "seed": 1, "gguf_sha256": "$sha",
 "made_by": "convert/testdata/golden/make.sh: llama.cpp via node-llama-cpp (../shared/oracles/llamacpp)",
 "greedy": [$g1, $g2],
 "probs": [$p]}
JSON
done
