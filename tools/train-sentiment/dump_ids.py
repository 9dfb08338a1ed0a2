#!/usr/bin/python3
"""Write a JSONL file of {text, ids, label?, split} for verify.ts: the validation tweets (with
labels) and a deterministic sample of training/unlabeled tweets, each with the token ids of the
Python tokenizer used in training. The file goes to a scratch path (default /tmp), never into
the repository.

    /usr/bin/python3 tools/train-sentiment/dump_ids.py --out /tmp/tweetlake-ids.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402
import wordpiece as wp  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--model", default="models/tweetlake-sentiment")
    ap.add_argument("--out", default="/tmp/tweetlake-ids.jsonl")
    ap.add_argument("--sample", type=int, default=3000, help="extra training/unlabeled texts")
    args = ap.parse_args()
    cfg = json.load(open(os.path.join(args.model, "tokenizer_config.json")))
    tok = wp.load_tokenizer(os.path.join(args.model, "tokenizer.json"), cfg["model_max_length"])
    tr, val, unl, _, _ = train.load_data(args.data, True, True)
    rng = random.Random(7)
    extra = [t for t, _, _ in tr] + unl
    rng.shuffle(extra)
    # raw texts too (before cleaning), to exercise entities, URLs, escapes, odd whitespace
    raw = []
    with open(os.path.join(args.data, "semeval-2013-2016-en/twitter-2016test-A.tsv"), encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 3:
                raw.append(p[2])
    rng.shuffle(raw)
    extra += ["[CLS] x [MASK]y", "  tabs\tand\nnewlines\u00a0\u2003ok  ", "İstanbul ΣΟΦΟΣ ÇA VA", "東京タワー 😍😍🏳️‍🌈 👨‍👩‍👧"]
    with open(args.out, "w", encoding="utf-8") as f:
        for t, l in val:
            f.write(json.dumps({"split": "val", "text": t, "label": l, "ids": tok.encode(t)}, ensure_ascii=False) + "\n")
        for t in extra[: args.sample] + raw[:1000] + extra[-4:]:
            f.write(json.dumps({"split": "extra", "text": t, "ids": tok.encode(t)}, ensure_ascii=False) + "\n")
    print(f"wrote {len(val)} validation + {min(args.sample, len(extra)) + min(1000, len(raw)) + 4} extra texts to {args.out}")


if __name__ == "__main__":
    main()
