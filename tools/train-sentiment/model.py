"""Tiny BERT-style encoder used by train.py and bench_torch.py (same module, same weights)."""

from __future__ import annotations

import math

import torch
from torch import nn


class Block(nn.Module):
    """Pre-LayerNorm transformer block."""

    def __init__(self, hidden: int, heads: int, ffn: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(hidden, eps=1e-5)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-5)
        self.fc1 = nn.Linear(hidden, ffn)
        self.fc2 = nn.Linear(ffn, hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        d = h // self.heads
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d)) + bias
        att = self.drop(torch.softmax(att, dim=-1))
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, h)
        x = x + self.drop(self.out(y))
        x = x + self.drop(self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x)))))
        return x


# multiplier of the bigram hash (a prime); ids stay below 2**20, so ids * it fits in int64
BIGRAM_PRIME = 1_000_003


class NgramBranch(nn.Module):
    """fastText-style linear model on the same token ids: a bag of token unigrams and hashed
    token bigrams, each mapped straight to label scores, summed and divided by sqrt(count).
    Its scores are added to the encoder's logits; it gives the small encoder the lexical
    memory that a linear n-gram model has."""

    def __init__(self, vocab: int, buckets: int, labels: int):
        super().__init__()
        self.buckets = buckets
        self.uni = nn.Embedding(vocab, labels)
        self.bi = nn.Embedding(buckets, labels)
        self.reset()

    def reset(self) -> None:
        """Zero scores: the branch starts out adding nothing."""
        nn.init.zeros_(self.uni.weight)
        nn.init.zeros_(self.bi.weight)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.to(self.uni.weight.dtype)
        mb = m[:, :-1] * m[:, 1:]
        bi = torch.remainder(ids[:, :-1] * BIGRAM_PRIME + ids[:, 1:], self.buckets)
        total = (self.uni(ids) * m.unsqueeze(-1)).sum(1) + (self.bi(bi) * mb.unsqueeze(-1)).sum(1)
        return total / (m.sum(1) + mb.sum(1)).clamp(min=1.0).sqrt().unsqueeze(-1)


class TinyBert(nn.Module):
    def __init__(
        self,
        vocab: int,
        hidden: int = 192,
        layers: int = 3,
        heads: int = 4,
        ffn: int = 768,
        max_len: int = 128,
        labels: int = 3,
        dropout: float = 0.1,
        lex_dim: int = 0,
        ngram_buckets: int = 0,
    ):
        super().__init__()
        self.tok = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_len, hidden)
        self.lex_dim = lex_dim
        if lex_dim:
            # fixed per-token lexicon features (VADER valence), projected into the embedding
            self.register_buffer("lex_feat", torch.zeros(vocab, lex_dim))
            self.lex_proj = nn.Linear(lex_dim, hidden, bias=False)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(hidden, heads, ffn, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(hidden, eps=1e-5)
        self.cls = nn.Linear(hidden, labels)
        self.ngram = NgramBranch(vocab, ngram_buckets, labels) if ngram_buckets else None
        # MLM head (pre-training only; not exported)
        self.mlm_dense = nn.Linear(hidden, hidden)
        self.mlm_ln = nn.LayerNorm(hidden, eps=1e-5)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab))
        self.apply(self._init)
        if self.ngram is not None:
            self.ngram.reset()

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device).unsqueeze(0)
        x = self.tok(ids) + self.pos(pos)
        if self.lex_dim:
            x = x + self.lex_proj(self.lex_feat[ids])
        x = self.drop(x)
        bias = ((1.0 - mask.to(x.dtype)) * -10000.0)[:, None, None, :]
        for blk in self.blocks:
            x = blk(x, bias)
        return self.ln_f(x)

    def pool(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.to(x.dtype).unsqueeze(-1)
        return (x * m).sum(1) / m.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.encode(input_ids, attention_mask)
        logits = self.cls(self.drop(self.pool(x, attention_mask)))
        if self.ngram is not None:
            logits = logits + self.ngram(input_ids, attention_mask)
        return logits

    def mlm_logits(self, x: torch.Tensor) -> torch.Tensor:
        h = self.mlm_ln(torch.nn.functional.gelu(self.mlm_dense(x)))
        return h @ self.tok.weight.t() + self.mlm_bias


def pad(seqs: list[list[int]]):
    """Right-pads token id lists into (input_ids, attention_mask) tensors."""
    t = max(len(s) for s in seqs)
    ids = torch.zeros((len(seqs), t), dtype=torch.long)
    mask = torch.zeros((len(seqs), t), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask
