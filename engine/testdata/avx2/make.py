#!/usr/bin/env python3
"""Regenerates the goldens in this folder: llama.cpp's outputs on an x86-64
CPU with AVX2/FMA/F16C and no AVX-512, for the same inputs as the shared
goldens (../shared/testdata/synthetic/golden/, ../stories260K.golden.json),
which were made on an AVX-512 machine (ggml-cpu's zen4 variant sums in
other orders, so its logits differ in the last bits and, through these
random-weight models, by up to 0.4 in log-probability at some positions).

  python3 engine/testdata/avx2/make.py /tmp/llamacpp   # oracle folder, see ../shared/oracles/README.md

It refuses to run where the CPU has AVX-512 (the oracle would load another
ggml-cpu variant). Each output records the command that made it.
"""
import json, os, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
oracle = sys.argv[1]
if "avx512f" in open("/proc/cpuinfo").read():
    sys.exit("this CPU has AVX-512: llama.cpp would take its AVX-512 kernels")
shared = os.path.join(here, "..", "..", "..", "..", "shared", "testdata")


def run(*args):
    out = subprocess.run(["node", os.path.join(oracle, "llamacpp.mjs"), *args],
                         check=True, capture_output=True, text=True, cwd=oracle).stdout
    return json.loads(out)


def remake(src, model, dst):
    g = json.load(open(src))
    out = {"model": os.path.basename(model),
           "oracle": "llama.cpp via node-llama-cpp 3.21.1 (prebuilt CPU, libggml-cpu-haswell: AVX2, no AVX-512)",
           "command": "python3 engine/testdata/avx2/make.py ORACLE_DIR (node llamacpp.mjs greedy MODEL --tokens PROMPT -n N; probs MODEL --tokens SEQ --top 10 --all)",
           "greedy": [], "probs": []}
    for c in g["greedy"]:
        r = run("greedy", model, "--tokens", ",".join(map(str, c["prompt_tokens"])), "-n", str(len(c["tokens"])))
        out["greedy"].append({"prompt": c["prompt"], "prompt_tokens": r["prompt_tokens"], "tokens": r["tokens"], "text": r["text"]})
    for p in g["probs"]:
        r = run("probs", model, "--tokens", ",".join(map(str, p["tokens"])), "--top", "10", "--all")
        out["probs"].append({"tokens": r["tokens"], "positions": r["positions"]})
    with open(dst, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(dst)


remake(os.path.join(here, "..", "stories260K.golden.json"), os.path.join(shared, "gguf", "stories260K.gguf"),
       os.path.join(here, "stories260K.json"))
for typ in ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]:
    name = "synth-llama-" + typ
    remake(os.path.join(shared, "synthetic", "golden", name + ".json"), os.path.join(shared, "synthetic", name + ".gguf"),
           os.path.join(here, name + ".json"))
