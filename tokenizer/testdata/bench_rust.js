#!/usr/bin/env node
// Times the Rust tokenizers library (npm `tokenizers`) encoding one text:
// the tokenizer is loaded once, only encode() is timed (best of N runs).
// Usage: NODE_PATH=ORACLE_DIR/node_modules node bench_rust.js TOKENIZER_JSON TEXT_FILE [N]
const fs = require('fs');
const { Tokenizer } = require('tokenizers');
const [tokPath, textPath, n = '5'] = process.argv.slice(2);
(async () => {
  const tok = Tokenizer.fromFile(tokPath);
  const text = fs.readFileSync(textPath, 'utf8');
  const bytes = Buffer.byteLength(text, 'utf8');
  let best = Infinity, ids = 0;
  for (let i = 0; i < +n; i++) {
    const t0 = process.hrtime.bigint();
    const e = await tok.encode(text, null, { addSpecialTokens: false });
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    ids = e.getIds().length;
    best = Math.min(best, dt);
  }
  console.log(JSON.stringify({ tokenizer: tokPath, bytes, ids, best_s: best, mb_s: bytes / 1e6 / best }));
})().catch(e => { console.error(e); process.exit(1); });
