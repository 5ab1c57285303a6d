#!/bin/sh
# Regenerates the goldens of the fixtures in this folder with the Rust
# tokenizers library (npm `tokenizers`, the project's oracle):
#   cp -r /work/shared/oracles /tmp/oracles-tok && (cd /tmp/oracles-tok && npm ci)
#   sh gen.sh /tmp/oracles-tok
set -e
O=${1:-/tmp/oracles-tok}
cd "$(dirname "$0")"
for f in bert-wordpiece wordpiece-seq unigram-precompiled unigram-bytefallback roberta-bpe; do
  node "$O/tokenize.js" $f.json strings.json | python3 -c 'import json,sys
for o in json.load(sys.stdin): print(json.dumps({"text":o["text"],"ids":o["ids"],"decoded":o["decoded"]},ensure_ascii=False))' > $f.plain.jsonl
  node "$O/tokenize.js" $f.json strings.json --add-special | python3 -c 'import json,sys
for o in json.load(sys.stdin): print(json.dumps({"text":o["text"],"ids":o["ids"],"decoded":o["decoded"]},ensure_ascii=False))' > $f.special.jsonl
  NODE_PATH="$O/node_modules" node pairs.js $f.json pairs.json --add-special > $f.pairs.jsonl
done
