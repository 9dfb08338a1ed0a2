#!/usr/bin/python3
"""PyTorch throughput of the embedded sentiment model, for comparison with Transformers.js.

Loads the exact weights of models/tweetlake-sentiment/onnx/model.onnx into the PyTorch module
used in training, tokenizes with the same tokenizer.json (Python re-implementation, verified
id-for-id against Transformers.js), and classifies the texts of a file (one per line) in batches.
Tokenization is included in the timing, as it is in the Transformers.js pipeline.

    /usr/bin/python3 tools/train-sentiment/bench_torch.py --texts tweets.txt --batch 32

Prints one JSON line: {"tweets_per_s", "batch", "n", "peak_rss_mib", ...}.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
import wordpiece as wp  # noqa: E402
from model import TinyBert, pad  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(model_dir: str):
    cfg = json.load(open(os.path.join(model_dir, "config.json"), encoding="utf-8"))
    tcfg = json.load(open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8"))
    tok = wp.load_tokenizer(os.path.join(model_dir, "tokenizer.json"), tcfg["model_max_length"])
    model = TinyBert(
        cfg["vocab_size"],
        cfg["hidden_size"],
        cfg["num_hidden_layers"],
        cfg["num_attention_heads"],
        cfg["intermediate_size"],
        cfg["max_position_embeddings"],
        len(cfg["id2label"]),
        0.0,
        cfg.get("tweetlake", {}).get("lexicon_features", 0),
        cfg.get("tweetlake", {}).get("ngram_buckets", 0),
    )
    export.load_from_onnx(model, os.path.join(model_dir, "onnx", "model.onnx"))
    model.eval()
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    return tok, model, labels


def classify(tok, model, texts: list[str]) -> torch.Tensor:
    ids, mask = pad([tok.encode(t) for t in texts])
    return torch.softmax(model(ids, mask), dim=-1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", required=True, help="file with one text per line")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "tweetlake-sentiment"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N texts")
    ap.add_argument("--warmup", type=int, default=4, help="batches run before timing")
    ap.add_argument("--labels-out", help="optional: write one predicted label per line here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.texts, encoding="utf-8") as f:
        texts = [l.rstrip("\n") for l in f if l.strip()]
    if args.limit:
        texts = texts[: args.limit]
    if not texts:
        sys.exit("no texts in " + args.texts)
    t0 = time.perf_counter()
    tok, model, labels = load(args.model)
    load_s = time.perf_counter() - t0
    out = []
    with torch.inference_mode():
        for i in range(0, min(len(texts), args.warmup * args.batch), args.batch):
            classify(tok, model, texts[i : i + args.batch])
        tok._cache.clear()  # no head start from the warm-up
        t0 = time.perf_counter()
        for i in range(0, len(texts), args.batch):
            probs = classify(tok, model, texts[i : i + args.batch])
            out.extend(probs.argmax(-1).tolist())
        secs = time.perf_counter() - t0
    if args.labels_out:
        with open(args.labels_out, "w", encoding="utf-8") as f:
            f.write("".join(labels[i] + "\n" for i in out))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "tweets_per_s": round(len(texts) / secs, 1),
                "batch": args.batch,
                "n": len(texts),
                "peak_rss_mib": round(rss, 1),
                "seconds": round(secs, 3),
                "load_s": round(load_s, 3),
                "threads": args.threads,
                "torch": torch.__version__,
                "model": os.path.relpath(args.model, ROOT),
            }
        )
    )


if __name__ == "__main__":
    main()
