#!/bin/sh
# Regenerates the q8_0 KV cache goldens: a random-weight GGUF per spec
# (internal/testmodel, seed 1, F32 matrices, byte-level vocabulary; for the
# architectures testmodel does not write as GGUF, Gemma and Phi-3, its
# Transformers checkpoint converted by `hearth convert --type F32 --name
# golden`, "source": "hf" in the golden) run by
# llama.cpp (the oracle of ../shared/oracles/llamacpp) with flash attention
# on and q8_0 keys and values (a copy of the oracle script whose contexts
# ask for flashAttention: true, experimentalKvCacheKeyType and
# experimentalKvCacheValueType "Q8_0", run next to the oracle's
# node_modules): 32 greedy tokens after two prompts, and the top-10
# log-probabilities at every position of one 16-token sequence and of one
# 80-token sequence (a ubatch of 64 rows or more: ggml-cpu's tiled
# flash-attention path needs f16 K/V, so it takes one_chunk there too).
#
#   LLAMACPP=/path/to/llamacpp.mjs sh model/testdata/kvq8/make.sh [SPEC ...]   (from the repo root)
set -eu
LLAMACPP=${LLAMACPP:-../shared/oracles/llamacpp/llamacpp.mjs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/testmodel" ./internal/testmodel/cmd/testmodel
go build -o "$tmp/hearth" ./cmd/hearth
mkdir "$tmp/q8"
sed 's/sequences: 1})/sequences: 1, flashAttention: true, experimentalKvCacheKeyType: "Q8_0", experimentalKvCacheValueType: "Q8_0"})/' "$LLAMACPP" > "$tmp/q8/llamacpp.mjs"
test "$(grep -c 'experimentalKvCacheValueType: "Q8_0"' "$tmp/q8/llamacpp.mjs")" -ge 2
ln -s "$(cd "$(dirname "$LLAMACPP")" && pwd)/node_modules" "$tmp/q8/node_modules"
oracle=$tmp/q8/llamacpp.mjs
# 80 tokens: 17, 406, 795, ... ((389·i + 17) mod 1000)
long=$(awk 'BEGIN { for (i = 0; i < 80; i++) printf "%s%d", (i ? "," : ""), (389 * i + 17) % 1000 }')
specs=${*:-tiny-llama tiny-qwen3 tiny-gemma2 tiny-gemma3 tiny-phi3}
for spec in $specs; do
	m=$tmp/$spec.gguf
	case $spec in
	tiny-gemma* | tiny-phi3*)
		source=hf
		"$tmp/testmodel" -seed 1 hf "$spec" F32 "$tmp/$spec"
		"$tmp/hearth" convert -q "$tmp/$spec" -o "$m" --type F32 --name golden
		;;
	*)
		source=gguf
		"$tmp/testmodel" -seed 1 gguf "$spec" F32 "$m"
		;;
	esac
	g1=$(node "$oracle" greedy "$m" --tokens 1,2,3 -n 32)
	g2=$(node "$oracle" greedy "$m" --tokens 300,17,900,45,2,811 -n 32)
	p=$(node "$oracle" probs "$m" --tokens 5,80,300,7,99,1000,3,42,650,12,512,77,260,261,8,999 --top 10 --all)
	p="$p, $(node "$oracle" probs "$m" --tokens "$long" --top 10 --all)"
	sha=$(sha256sum "$m" | cut -d' ' -f1)
	cat > "model/testdata/kvq8/$spec.json" <<JSON
{"spec": "$spec", "source": "$source", "type": "F32", "seed": 1, "kv_type": "q8_0", "gguf_sha256": "$sha",
 "made_by": "model/testdata/kvq8/make.sh: llama.cpp via node-llama-cpp (../shared/oracles/llamacpp) with flash attention on and q8_0 K and V",
 "greedy": [$g1, $g2],
 "probs": [$p]}
JSON
done
