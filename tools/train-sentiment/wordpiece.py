"""WordPiece tokenizer that reproduces Transformers.js (`@huggingface/tokenizers`) exactly.

The tokenizer written to `tokenizer.json` is:
  normalizer:     Sequence[Replace(html entities), Replace(URL -> "http"),
                           Replace(@mention -> "@user"), BertNormalizer(lowercase)]
  pre_tokenizer:  BertPreTokenizer
  model:          WordPiece (prefix "##", unk "[UNK]", max_input_chars_per_word 100)
  post_processor: TemplateProcessing [CLS] $A [SEP]

This module implements the same steps in Python, following the JavaScript implementation
(not the Rust one) where the two differ, so that ids match what Transformers.js computes.
It also trains the vocabulary (BPE-style merges over words, as the HF WordPiece trainer does).
"""

from __future__ import annotations

import collections
import json
import re
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)

# (pattern, is_regex, replacement) applied in order to the raw text, before BertNormalizer.
# Patterns use only syntax that means the same in Python `re` and JavaScript `u` regexps.
REPLACEMENTS = [
    ("&amp;", False, "&"),
    ("&lt;", False, "<"),
    ("&gt;", False, ">"),
    ("&quot;", False, '"'),
    ("https?://[!-~]+", True, "http"),
    ("@[A-Za-z0-9_]+", True, "@user"),
]
_COMPILED = [
    (re.compile(p) if is_re else re.compile(re.escape(p)), r) for p, is_re, r in REPLACEMENTS
]

# JavaScript `\s` (ECMAScript WhiteSpace + LineTerminator).
_JS_SPACE = set(
    "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)


def _js_is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


def _is_chinese_bmp(cp: int) -> bool:
    # Transformers.js iterates UTF-16 code units here, so only BMP ranges can match.
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 0x21 <= cp <= 0x2F or 0x3A <= cp <= 0x40 or 0x5B <= cp <= 0x60 or 0x7B <= cp <= 0x7E:
        return True
    return unicodedata.category(ch).startswith("P")


def normalize(text: str) -> str:
    """Replace rules, then BertNormalizer(clean_text, chinese chars, lowercase, strip accents)."""
    for rx, rep in _COMPILED:
        text = rx.sub(rep, text)
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _js_is_control(ch):
            continue
        out.append(" " if ch in _JS_SPACE else ch)
    text = "".join(out)
    out = []
    for ch in text:
        if _is_chinese_bmp(ord(ch)):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    text = "".join(out).lower()
    text = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def pre_tokenize(text: str) -> list[str]:
    """BertPreTokenizer: runs of non-space non-punctuation, or single punctuation chars."""
    words: list[str] = []
    cur: list[str] = []
    for ch in text:
        if ch in _JS_SPACE:
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punct(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


_SPECIAL_RX = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")


def words_of(text: str) -> list[str]:
    return pre_tokenize(normalize(text))


class WordPiece:
    def __init__(self, vocab: list[str], max_len: int):
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.max_len = max_len
        self.max_tok = max(len(t[2:] if t.startswith("##") else t) for t in vocab)
        self._cache: dict[str, list[int]] = {}

    def _word(self, word: str) -> list[int]:
        got = self._cache.get(word)
        if got is not None:
            return got
        if len(word) > 100:
            res = [UNK]
        else:
            res = []
            start = 0
            n = len(word)
            while start < n:
                end = min(n, start + self.max_tok)
                found = None
                while start < end:
                    sub = word[start:end]
                    if start > 0:
                        sub = "##" + sub
                    i = self.ids.get(sub)
                    if i is not None:
                        found = i
                        break
                    end -= 1
                if found is None:
                    res = [UNK]
                    break
                res.append(found)
                start = end
        if len(self._cache) < 500_000:
            self._cache[word] = res
        return res

    def encode(self, text: str) -> list[int]:
        """Ids as Transformers.js computes them with add_special_tokens and truncation."""
        ids = [CLS]
        for part in _SPECIAL_RX.split(text):
            if not part:
                continue
            if part in self.ids and part in SPECIALS:
                ids.append(self.ids[part])
                continue
            for w in words_of(part):
                ids.extend(self._word(w))
        ids.append(SEP)
        return ids[: self.max_len]


def train_vocab(texts, vocab_size: int, min_char_count: int = 3, log=print, reserved=()) -> list[str]:
    """WordPiece vocabulary by BPE-style merges on word counts (as the HF WordPiece trainer).
    `reserved` words (e.g. lexicon entries seen in the texts) are added as whole tokens first."""
    wc: collections.Counter[str] = collections.Counter()
    for t in texts:
        wc.update(words_of(t))
    # alphabet: characters seen at least min_char_count times, as word-initial and ## forms
    cc: collections.Counter[str] = collections.Counter()
    for w, c in wc.items():
        for ch in w:
            cc[ch] += c
    alphabet = sorted(ch for ch, c in cc.items() if c >= min_char_count)
    aset = set(alphabet)
    vocab = list(SPECIALS)
    seen = set(vocab)
    for ch in alphabet:
        for t in (ch, "##" + ch):
            if t not in seen:
                vocab.append(t)
                seen.add(t)
    for w in reserved:
        if w not in seen and all(ch in aset for ch in w) and wc.get(w, 0) >= 2:
            vocab.append(w)
            seen.add(w)
    n_reserved = len(vocab)
    # words as symbol lists (skip words with rare chars: they are [UNK] anyway)
    words = []
    counts = []
    for w, c in sorted(wc.items(), key=lambda x: (-x[1], x[0])):
        if c < 2 or not all(ch in aset for ch in w):
            continue
        words.append([w[0]] + ["##" + ch for ch in w[1:]])
        counts.append(c)
    pair_counts: collections.Counter[tuple[str, str]] = collections.Counter()
    where: dict[tuple[str, str], set[int]] = collections.defaultdict(set)
    for i, syms in enumerate(words):
        for a, b in zip(syms, syms[1:]):
            pair_counts[(a, b)] += counts[i]
            where[(a, b)].add(i)
    import heapq

    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        cur = pair_counts.get(pair, 0)
        if cur <= 0:
            continue
        if -negc != cur:
            heapq.heappush(heap, (-cur, pair))
            continue
        a, b = pair
        new = a + (b[2:] if b.startswith("##") else b)
        if new not in seen:
            vocab.append(new)
            seen.add(new)
        changed = collections.Counter()
        for i in list(where.pop(pair, ())):
            syms = words[i]
            c = counts[i]
            for x, y in zip(syms, syms[1:]):
                pair_counts[(x, y)] -= c
                changed[(x, y)] += 0
                where[(x, y)].discard(i)
            out = []
            j = 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == a and syms[j + 1] == b:
                    out.append(new)
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            words[i] = out
            for x, y in zip(out, out[1:]):
                pair_counts[(x, y)] += c
                changed[(x, y)] += 0
                where[(x, y)].add(i)
        pair_counts.pop(pair, None)
        for p in changed:
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_counts.pop(p, None)
    log(f"vocab: {len(vocab)} tokens ({len(alphabet)} characters, {n_reserved - 5 - 2 * len(alphabet)} reserved "
        f"lexicon words, {len(words)} words)")
    return vocab


def tokenizer_json(vocab: list[str]) -> dict:
    ids = {t: i for i, t in enumerate(vocab)}
    norms = []
    for p, is_re, r in REPLACEMENTS:
        norms.append({"type": "Replace", "pattern": {"Regex" if is_re else "String": p}, "content": r})
    norms.append(
        {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        }
    )
    special = lambda s: {"id": s, "type_id": 0}  # noqa: E731
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": s,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for i, s in enumerate(SPECIALS)
        ],
        "normalizer": {"type": "Sequence", "normalizers": norms},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": special("[CLS]")},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": special("[SEP]")},
            ],
            "pair": [
                {"SpecialToken": special("[CLS]")},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": special("[SEP]")},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {
                s: {"id": s, "ids": [ids[s]], "tokens": [s]} for s in ("[CLS]", "[SEP]")
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": ids,
        },
    }


def load_tokenizer(path: str, max_len: int) -> WordPiece:
    with open(path, encoding="utf-8") as f:
        tj = json.load(f)
    v = tj["model"]["vocab"]
    vocab = [None] * len(v)
    for t, i in v.items():
        vocab[i] = t
    return WordPiece(vocab, max_len)
