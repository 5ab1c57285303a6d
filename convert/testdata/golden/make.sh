#!/bin/sh
# Regenerates the conversion goldens: a random Transformers checkpoint per
# architecture (internal/testmodel, seed 1, byte-level tokenizer), converted
# by `hearth convert`, then run by llama.cpp (the oracle of
# ../shared/oracles/llamacpp): 32 greedy tokens after two prompts and the
# top-10 log-probabilities at every position of one 16-token sequence and
# of one 80-token sequence (a ubatch of 64 rows or more, for which ggml-cpu
# takes its tiled flash-attention path; for the Gemmas with sliding-window
# rows whose window starts inside the second KV tile, and Gemma 2's
# soft-capped scores).
# general.name is "golden": llama.cpp looks for Phi-3's <|end|> token in
# models whose name contains "phi3", which the test vocabulary lacks.
#
# node-llama-cpp turns flash attention off for Gemma 2 (a restriction of
# old llama.cpp releases), while llama.cpp itself enables it there, as for
# every other architecture (flash_attn auto on the CPU), and hearth
# follows llama.cpp: the Gemma 2 goldens are made by a copy of the oracle
# script that asks for flash attention (flashAttention: true), run next to
# the oracle's node_modules.
#
# A case SPEC:TYPE:CTX runs llama.cpp with a context of CTX tokens instead
# of the oracle's 2048 (a copy of the oracle script whose contexts take
# their size from ORACLE_CTX), writes SPEC-TYPE-ctxCTX.json with
# "context": CTX, and the test gives hearth's caches that size: Phi-3's
# long-context rope chooses its factors by the context (tiny-phi3-longrope:
# short ones up to its original 4096 positions, long ones past them).
#
#   LLAMACPP=/path/to/llamacpp.mjs sh convert/testdata/golden/make.sh [SPEC:TYPE[:CTX] ...]   (from the repo root)
set -eu
LLAMACPP=${LLAMACPP:-../shared/oracles/llamacpp/llamacpp.mjs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/testmodel" ./internal/testmodel/cmd/testmodel
go build -o "$tmp/hearth" ./cmd/hearth
mkdir "$tmp/fa"
sed 's/sequences: 1})/sequences: 1, flashAttention: true})/' "$LLAMACPP" > "$tmp/fa/llamacpp.mjs"
grep -q 'flashAttention: true' "$tmp/fa/llamacpp.mjs"
ln -s "$(cd "$(dirname "$LLAMACPP")" && pwd)/node_modules" "$tmp/fa/node_modules"
mkdir "$tmp/ctx"
sed 's/async function newSeq(contextSize = 2048)/async function newSeq(contextSize = +(process.env.ORACLE_CTX || 2048))/' "$LLAMACPP" > "$tmp/ctx/llamacpp.mjs"
grep -q 'process.env.ORACLE_CTX' "$tmp/ctx/llamacpp.mjs"
ln -s "$(cd "$(dirname "$LLAMACPP")" && pwd)/node_modules" "$tmp/ctx/node_modules"
# 80 tokens: 17, 406, 795, ... ((389·i + 17) mod 1000)
long=$(awk 'BEGIN { for (i = 0; i < 80; i++) printf "%s%d", (i ? "," : ""), (389 * i + 17) % 1000 }')
cases=${*:-tiny-qwen3:F32 tiny-qwen3:F16 tiny-qwen2:F32 tiny-llama:F32 tiny-llama:F16 tiny-gemma3:F32 tiny-phi3:F32 tiny-gemma2:F32 tiny-phi3-longrope:F32 tiny-phi3-longrope:F32:8192}
for case in $cases; do
	spec=${case%%:*}
	typ=${case#*:}
	ctx=
	case $typ in
	*:*) ctx=${typ#*:} typ=${typ%%:*} ;;
	esac
	oracle=$LLAMACPP
	if [ "$spec" = tiny-gemma2 ]; then
		oracle=$tmp/fa/llamacpp.mjs
	fi
	out=$spec-$typ
	ctxjson=
	if [ -n "$ctx" ]; then
		oracle=$tmp/ctx/llamacpp.mjs
		export ORACLE_CTX=$ctx
		out=$out-ctx$ctx
		ctxjson=" \"context\": $ctx,"
	fi
	"$tmp/testmodel" -seed 1 hf "$spec" F32 "$tmp/$spec"
	"$tmp/hearth" convert -q "$tmp/$spec" -o "$tmp/$spec-$typ.gguf" --type "$typ" --name golden
	g1=$(node "$oracle" greedy "$tmp/$spec-$typ.gguf" --tokens 1,2,3 -n 32)
	g2=$(node "$oracle" greedy "$tmp/$spec-$typ.gguf" --tokens 300,17,900,45,2,811 -n 32)
	p=$(node "$oracle" probs "$tmp/$spec-$typ.gguf" --tokens 5,80,300,7,99,1000,3,42,650,12,512,77,260,261,8,999 --top 10 --all)
	p="$p, $(node "$oracle" probs "$tmp/$spec-$typ.gguf" --tokens "$long" --top 10 --all)"
	made="llama.cpp via node-llama-cpp (../shared/oracles/llamacpp)"
	if [ "$oracle" = "$tmp/fa/llamacpp.mjs" ]; then
		made="$made with flash attention on"
	elif [ -n "$ctx" ]; then
		made="$made with a context of $ctx tokens"
	fi
	sha=$(sha256sum "$tmp/$spec-$typ.gguf" | cut -d' ' -f1)
	unset ORACLE_CTX
	cat > "convert/testdata/golden/$out.json" <<JSON
{"spec": "$spec", "type": "$typ", "seed": 1,$ctxjson "gguf_sha256": "$sha",
 "made_by": "convert/testdata/golden/make.sh: $made",
 "greedy": [$g1, $g2],
 "probs": [$p]}
JSON
done
