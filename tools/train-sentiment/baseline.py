#!/usr/bin/python3
"""Reference point for the embedded model: a logistic regression on word 1-2-grams and character
2-5-grams (TF-IDF), trained on the same deduplicated tweets as train.py and scored on the same
validation split, without and with validation-tuned logit biases.

Run from the repository root (needs Debian's python3-sklearn besides python3-torch):

    /usr/bin/python3 tools/train-sentiment/baseline.py [--no-kaggle]

Prints one JSON line per setting; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402

from scipy.sparse import hstack  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402


def prep(text: str) -> str:
    text = re.sub(r"https?://\S+", " http ", text.lower())
    return re.sub(r"@\w+", " @user ", text).replace("&amp;", "&")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--kaggle", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    args = ap.parse_args()
    rows, val, _, _, _ = train.load_data(args.data, args.kaggle, False)
    texts, y = [t for t, _, _ in rows], [l for _, l, _ in rows]
    val_texts, val_y = [t for t, _ in val], [l for _, l in val]
    words = TfidfVectorizer(preprocessor=prep, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                            token_pattern=r"(?u)[\w#']+|[^\w\s]")
    chars = TfidfVectorizer(preprocessor=prep, analyzer="char_wb", ngram_range=(2, 5), min_df=3,
                            sublinear_tf=True, max_features=300_000)
    x = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    xv = hstack([words.transform(val_texts), chars.transform(val_texts)]).tocsr()
    clf = LogisticRegression(C=args.c, class_weight="balanced", max_iter=3000).fit(x, np.array(y))
    logits = torch.from_numpy(np.log(clf.predict_proba(xv) + 1e-9))
    bias = train.tune_bias(logits, val_y)
    base = {"model": "tfidf word 1-2 + char 2-5, logistic regression", "kaggle": args.kaggle, "C": args.c,
            "n_train": len(y), "n_val": len(val_y)}
    print(json.dumps({**base, "bias": None, **train.metrics(logits, val_y)}))
    print(json.dumps({**base, "bias": bias, **train.metrics(logits, val_y, bias)}))


if __name__ == "__main__":
    main()
