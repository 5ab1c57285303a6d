#!/usr/bin/env node
// Pair oracle: like ../../../../shared/oracles/tokenize.js but encodes
// [a, b] pairs with the Rust tokenizers library (npm `tokenizers`).
// Usage: NODE_PATH=ORACLE_DIR/node_modules node pairs.js TOKENIZER_JSON PAIRS_JSON [--add-special]
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const [tokPath, pairPath] = process.argv.slice(2).filter(a => !a.startsWith('--'));
const addSpecial = process.argv.includes('--add-special');
(async () => {
  const tok = Tokenizer.fromFile(tokPath);
  const out = [];
  for (const [a, b] of JSON.parse(fs.readFileSync(pairPath, 'utf8'))) {
    const e = await tok.encode(a, b, { addSpecialTokens: addSpecial });
    out.push({ text: a, pair: b, ids: Array.from(e.getIds()) });
  }
  process.stdout.write(out.map(o => JSON.stringify(o)).join('\n') + '\n');
})().catch(e => { console.error('ERROR', e && e.stack || e); process.exit(1); });
