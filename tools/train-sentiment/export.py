"""Export helpers: ONNX (fp32 + int8 weights), tokenizer/config files and MODEL_CARD.md."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

import wordpiece as wp
from model import BIGRAM_PRIME

LABELS = ["negative", "neutral", "positive"]
SMOKE_TEXTS = [
    "I love this so much 😍",
    "worst service ever, never again",
    "The meeting is scheduled for 3pm on Tuesday in room 4.",
]
OPSET = 14


class _Export(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, input_ids, attention_mask):
        return self.m(input_ids, attention_mask)


def export_onnx(model, path: str) -> None:
    model = copy.deepcopy(model).eval()
    ids = torch.tensor([[2, 10, 11, 12, 3], [2, 13, 3, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    torch.onnx.export(
        _Export(model),
        (ids, mask),
        path,
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size"},
        },
        opset_version=OPSET,
        do_constant_folding=True,
    )
    m = onnx.load(path)
    onnx.checker.check_model(m)


def _q_sym(w: np.ndarray, axis: int):
    """Symmetric int8 quantization with one scale per slice along `axis` (kept)."""
    red = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.abs(w).max(axis=red, keepdims=True)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def quantize_onnx(src: str, dst: str, mode: str = "dynamic") -> None:
    """int8 weights. mode "dynamic" (as onnxruntime's quantize_dynamic): activations are quantized
    to uint8 at run time and MatMuls run as MatMulInteger (fast int8 kernels);
    mode "weight": weight-only"""
    if mode == "dynamic":
        return quantize_onnx_dynamic(src, dst)
    _quantize_weight_only(src, dst)


def _add_int8_weight(name: str, w: np.ndarray, drop: set, new_inits: list) -> None:
    """Replaces MatMul weight `name` by int8 values, per-column scales and zero points."""
    q, s = _q_sym(w, axis=1)
    drop.add(name)
    new_inits += [
        numpy_helper.from_array(q, name + "_q"),
        numpy_helper.from_array(s.reshape(-1), name + "_scale"),
        numpy_helper.from_array(np.zeros(q.shape[1], np.int8), name + "_zp"),
    ]


def _save_rewritten(m, drop: set, new_inits: list, nodes: list, dst: str) -> None:
    """Swaps in the rewritten initializers and nodes, checks the model and saves it."""
    g = m.graph
    keep = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def _quantize_gather(n, inits, drop, new_inits, new_nodes) -> bool:
    w = numpy_helper.to_array(inits[n.input[0]])
    if not (w.ndim == 2 and w.shape[0] > 1000 and w.shape[1] >= 16):
        return False
    name = n.input[0]
    q, s = _q_sym(w, axis=0)
    drop.add(name)
    new_inits += [
        numpy_helper.from_array(q, name + "_q"),
        numpy_helper.from_array(s, name + "_scale"),  # (V, 1)
    ]
    out = n.output[0]
    idx = n.input[1]
    new_nodes += [
        helper.make_node("Gather", [name + "_q", idx], [out + "_q"], name=name + "_gather_q", axis=0),
        helper.make_node("Cast", [out + "_q"], [out + "_f"], name=name + "_cast", to=TensorProto.FLOAT),
        helper.make_node("Gather", [name + "_scale", idx], [out + "_s"], name=name + "_gather_s", axis=0),
        helper.make_node("Mul", [out + "_f", out + "_s"], [out], name=name + "_mul"),
    ]
    return True


def quantize_onnx_dynamic(src: str, dst: str) -> None:
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    new_nodes = []
    drop = set()
    new_inits = []
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            if w.ndim == 2 and w.size >= 4096:
                name = n.input[1]
                x = n.input[0]
                y = n.output[0]
                if name not in drop:
                    _add_int8_weight(name, w, drop, new_inits)
                p = y + "_dq"
                new_nodes += [
                    helper.make_node("DynamicQuantizeLinear", [x], [p + "_xq", p + "_xs", p + "_xzp"], name=p + "_quant"),
                    helper.make_node("MatMulInteger", [p + "_xq", name + "_q", p + "_xzp", name + "_zp"], [p + "_i32"],
                                     name=p + "_MatMulInteger"),
                    helper.make_node("Cast", [p + "_i32"], [p + "_f"], name=p + "_cast", to=TensorProto.FLOAT),
                    helper.make_node("Mul", [p + "_xs", name + "_scale"], [p + "_s"], name=p + "_scale_mul"),
                    helper.make_node("Mul", [p + "_f", p + "_s"], [y], name=p + "_mul"),
                ]
                continue
        elif n.op_type == "Gather" and n.input[0] in inits:
            if _quantize_gather(n, inits, drop, new_inits, new_nodes):
                continue
        new_nodes.append(n)
    _save_rewritten(m, drop, new_inits, new_nodes, dst)


def _quantize_weight_only(src: str, dst: str) -> None:
    """Weight-only int8: MatMul weights -> DequantizeLinear(int8, per-column scale) -> MatMul;
    the token embedding -> Gather(int8 table) * Gather(per-row scale). Activations stay fp32."""
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    users: dict[str, list] = {}
    for n in g.node:
        for x in n.input:
            users.setdefault(x, []).append(n)
    new_nodes = []
    drop = set()
    new_inits = []
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]])
            if w.ndim == 2 and w.size >= 4096 and all(u.op_type == "MatMul" for u in users[n.input[1]]):
                name = n.input[1]
                if name not in drop:
                    _add_int8_weight(name, w, drop, new_inits)
                    new_nodes.append(
                        helper.make_node(
                            "DequantizeLinear", [name + "_q", name + "_scale", name + "_zp"], [name + "_dq"],
                            name=name + "_DequantizeLinear", axis=1,
                        )
                    )
                n.input[1] = name + "_dq"
        elif n.op_type == "Gather" and n.input[0] in inits:
            if _quantize_gather(n, inits, drop, new_inits, new_nodes):
                continue
        new_nodes.append(n)
    # DequantizeLinear nodes first so the graph stays topologically sorted
    nodes = [n for n in new_nodes if n.op_type == "DequantizeLinear"] + \
        [n for n in new_nodes if n.op_type != "DequantizeLinear"]
    _save_rewritten(m, drop, new_inits, nodes, dst)


def _dynamic_quant_hook(_mod, inputs):
    """DynamicQuantizeLinear on a Linear's input: per-tensor uint8, zero point from the range."""
    (x,) = inputs
    lo = torch.clamp(x.min(), max=0.0)
    hi = torch.clamp(x.max(), min=0.0)
    scale = (hi - lo) / 255.0
    if float(scale) == 0.0:
        return (x,)
    zp = torch.clamp(torch.round(-lo / scale), 0, 255)
    xq = torch.clamp(torch.round(x / scale) + zp, 0, 255)
    return ((xq - zp) * scale,)


@torch.no_grad()
def fake_quantized(model, dynamic: bool = True):
    """A copy of the model that computes as model_quantized.onnx does: the same int8 weight
    rounding, and (dynamic) uint8 rounding of each quantized MatMul's input, in float (metrics)."""
    q = copy.deepcopy(model).eval()
    for name, mod in q.named_modules():
        if isinstance(mod, torch.nn.Linear) and mod.weight.numel() >= 4096:
            w = mod.weight.numpy().T  # (in, out) as in ONNX MatMul
            qq, s = _q_sym(w, axis=1)
            mod.weight.copy_(torch.from_numpy((qq.astype(np.float32) * s).T))
            if dynamic and not name.startswith("mlm_"):
                mod.register_forward_pre_hook(_dynamic_quant_hook)
    w = q.tok.weight.numpy()
    qq, s = _q_sym(w, axis=0)
    q.tok.weight.copy_(torch.from_numpy(qq.astype(np.float32) * s))
    return q


def load_from_onnx(model, path: str):
    """Copy the weights of an exported fp32 ONNX file back into a TinyBert (exact)."""
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    sd = model.state_dict()
    used = set()
    # named initializers (biases, layer norms, embeddings) keep their torch names
    for k in sd:
        if k.startswith("mlm_"):
            continue
        name = "m." + k
        if name in inits:
            sd[k] = torch.from_numpy(inits[name].copy())
            used.add(name)
    # MatMul weights are anonymous transposed initializers: match them by graph order
    linear = [k for k in sd if k.endswith(".weight") and "m." + k not in used and not k.startswith("mlm_")
              and sd[k].ndim == 2 and k not in ("tok.weight", "pos.weight") and not k.startswith("ngram.")]
    if "lex_feat" in sd and "m.lex_feat" not in used:
        raise RuntimeError("lexicon feature table not found in the ONNX file")
    matmul_w = []
    for n in m.graph.node:
        if n.op_type == "MatMul" and n.input[1] in inits and n.input[1] not in used:
            matmul_w.append(inits[n.input[1]])
            used.add(n.input[1])
    if len(matmul_w) != len(linear):
        raise RuntimeError(f"cannot map ONNX weights: {len(matmul_w)} MatMul weights, {len(linear)} linears")
    for k, w in zip(linear, matmul_w):
        if tuple(w.T.shape) != tuple(sd[k].shape):
            raise RuntimeError(f"shape mismatch for {k}: {w.T.shape} vs {tuple(sd[k].shape)}")
        sd[k] = torch.from_numpy(np.ascontiguousarray(w.T))
    model.load_state_dict(sd)
    return model


def write_model_folder(model, vocab, args, out: str) -> None:
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(wp.tokenizer_json(vocab), f, ensure_ascii=False, indent=1)
    tok_cfg = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "model_max_length": args.max_len,
        "padding_side": "right",
        "truncation_side": "right",
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "clean_up_tokenization_spaces": True,
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tok_cfg, f, indent=2)
        f.write("\n")
    config = {
        "_name_or_path": "tweetlake-sentiment",
        "architectures": ["BertForSequenceClassification"],
        "model_type": "bert",
        "vocab_size": len(vocab),
        "hidden_size": args.hidden,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "intermediate_size": args.ffn,
        "hidden_act": "gelu",
        "max_position_embeddings": args.max_len,
        "type_vocab_size": 1,
        "layer_norm_eps": 1e-5,
        "pad_token_id": wp.PAD,
        "id2label": {str(i): l for i, l in enumerate(LABELS)},
        "label2id": {l: i for i, l in enumerate(LABELS)},
        "problem_type": "single_label_classification",
        "tweetlake": {
            "note": "pre-LayerNorm encoder with masked mean pooling; the ONNX graph is authoritative",
            "lexicon_features": getattr(model, "lex_dim", 0),
            "ngram_buckets": model.ngram.buckets if model.ngram is not None else 0,
            "pooling": "mean",
            "trained_by": "tools/train-sentiment/train.py",
        },
    }
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    fp32 = os.path.join(out, "onnx", "model.onnx")
    export_onnx(model, fp32)
    quantize_onnx(fp32, os.path.join(out, "onnx", "model_quantized.onnx"))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def write_card(out: str, info: dict) -> None:
    a = info["args"]
    mf, mr, mq, mc = info["m_final"], info["m_raw"], info["m_q8"], info["m_cross"]
    t = info["times"]
    row = lambda name, m: (  # noqa: E731
        f"| {name} | {m['macro_recall']:.4f} | {m['accuracy']:.4f} | "
        + " | ".join(f"{m['recall'][l]:.4f}" for l in LABELS)
        + " |"
    )
    lines = [
        "# tweetlake-sentiment",
        "",
        "A tiny BERT-style tweet sentiment classifier (negative / neutral / positive), trained from",
        "scratch by `tools/train-sentiment/train.py` on public tweet data, for Transformers.js",
        "(`pipeline(\"text-classification\", \"tweetlake-sentiment\")` with `env.localModelPath`",
        "pointing at this repository's `models/` folder). It is small and fast, not state of the art:",
        "for better quality name a tweet-tuned RoBERTa from the hub instead.",
        "",
        "This card is generated by the training script; the Transformers.js section at the end is",
        "filled in by `tools/train-sentiment/verify.ts`.",
        "",
        "## Model",
        "",
        f"- Encoder: {a['layers']} pre-LayerNorm transformer layers, hidden {a['hidden']}, "
        f"{a['heads']} heads, feed-forward {a['ffn']}, GELU, learned positions (max {a['max_len']} tokens), "
        "masked mean pooling, linear classifier.",
        f"- Parameters: {info['n_params'] / 1e6:.2f} M. Vocabulary: {info['vocab_size']} WordPiece tokens "
        "(trained on the training texts), lowercase, accents stripped; URLs become `http`, @mentions "
        "`@user`, HTML entities are decoded (all inside `tokenizer.json`).",
        f"- Lexicon features: {info.get('lexicon_tokens', 0)} whole-word vocabulary tokens carry a fixed "
        f"valence feature from VADER's lexicon ({info.get('lexicon', 'none')}; MIT / Apache-2.0, "
        "C.J. Hutto and E. Gilbert, ICWSM 2014), added to the token embedding through a learned projection "
        "(a constant table in the ONNX graph).",
    ]
    if info.get("ngram_buckets"):
        lines.append(
            f"- n-gram branch (fastText-style, inside the same ONNX graph): a score per label for each token "
            f"and for each token bigram (hashed into {info['ngram_buckets']} buckets: "
            f"`(id_i * {BIGRAM_PRIME} + id_i+1) mod {info['ngram_buckets']}`), summed over the text, divided by "
            "the square root of the count, and added to the encoder's logits. Trained on its own "
            f"({info['ngram_epoch']} epoch(s) kept, Adam lr {a['ngram_lr']}, L2 {a['ngram_l2']}); its scores "
            f"are scaled by {info['ngram_scale']} (chosen on validation with the logit biases)."
        )
    lines += [
        f"- Inputs `input_ids`, `attention_mask` (int64, dynamic batch and sequence); output `logits` "
        f"(labels {', '.join(f'{i} {l}' for i, l in enumerate(LABELS))}). ONNX opset {OPSET}.",
        f"- `onnx/model.onnx`: fp32, {info['sizes']['model.onnx'] / 1e6:.2f} MB. "
        f"`onnx/model_quantized.onnx` (dtype `q8`): dynamic int8 quantization as onnxruntime's "
        "`quantize_dynamic` makes it (written by `export.py`): int8 weights, symmetric per output column, "
        "each MatMul's input quantized to uint8 at run time (DynamicQuantizeLinear + MatMulInteger); "
        "the token embedding is int8 with a scale per row; "
        f"{info['sizes']['model_quantized.onnx'] / 1e6:.2f} MB.",
        "",
        "## Validation (SemEval-2016 Task 4A devtest, "
        f"{info['n_val']} tweets, never used for training)",
        "",
        "| model | macro recall | accuracy | recall negative | recall neutral | recall positive |",
        "| --- | --- | --- | --- | --- | --- |",
        row("shipped fp32 (`model.onnx`)", mf),
        row("shipped q8 (`model_quantized.onnx`, its arithmetic simulated in PyTorch)", mq),
        row("encoder alone, without logit biases", mr),
    ]
    if info.get("m_ngram"):
        lines.append(row("n-gram branch alone", info["m_ngram"]))
    if mc:
        lines.append(row("scale and biases tuned on one half, scored on the other (honest estimate)", mc))
    lines += [
        "",
        f"Model selection (best fine-tuning epoch: {info['best_epoch']}) was made on this split, so the "
        "shipped rows are somewhat optimistic. Logit biases (added to the classifier bias to balance "
        "recall across classes) and the n-gram branch's scale are tuned on this split too, and kept only "
        "if tuning them on one half and scoring the other beats the encoder alone (last row vs. the "
        "encoder row): "
        + (f"kept (n-gram scale {info.get('ngram_scale', 0)}, biases {info['bias']})."
           if any(info["bias"]) or (info.get("ngram_buckets") and info.get("ngram_scale"))
           else "not kept, the shipped model has none.")
        + " For scale: "
        "VADER about 0.56, fastText about 0.63, a tweet-tuned RoBERTa-base about 0.73 macro recall.",
        "",
        "Per-epoch validation during fine-tuning:",
        "",
        "| epoch | train loss | macro recall | accuracy |",
        "| --- | --- | --- | --- |",
    ]
    for h in info["history"]:
        lines.append(f"| {h['epoch']} | {h['train_loss']} | {h['macro_recall']:.4f} | {h['accuracy']:.4f} |")
    lines += [
        "",
        "Smoke test (fp32, PyTorch): " + "; ".join(f"\"{k}\" → {v}" for k, v in info["smoke"].items()),
        "",
        "## Data",
        "",
        "Files read from `../shared/data/` (public research data; no text is stored in this repository):",
        "",
        "| file | rows | use |",
        "| --- | --- | --- |",
    ]
    for f, n, use in info["report"]:
        lines.append(f"| `{f}` | {n} | {use} |")
    st = info["stats"]
    lines += [
        "",
        f"Cleaning: JSON escapes (`\\u002c`) decoded, wrapping quotes removed, backticks read as "
        "apostrophes; deduplicated by normalised text (the tokenizer's normalisation), majority label, ties dropped, "
        "and every text that also appears in the validation split removed.",
        "",
        f"- labeled rows read: {st.get('labeled rows read')}, unique: {st.get('unique labeled texts')}, "
        f"dropped as validation texts: {st.get('dropped: also in validation', 0)}, "
        f"dropped for conflicting labels: {st.get('dropped: conflicting labels', 0)}",
        f"- training texts: {info['n_train']} ({', '.join(f'{k} {v}' for k, v in info['train_sources'].items())})",
        f"- unlabeled texts for masked-LM pre-training: {info['n_unl']} (plus the training texts)",
        f"- [UNK] rate on training tokens: {info['unk_rate']:.4f}",
        "",
        "## Training",
        "",
        f"1. WordPiece vocabulary ({info['vocab_size']}) from the training + unlabeled texts ({t['vocab']:.0f} s).",
        f"2. Masked-LM pre-training: {a['mlm_epochs']} epochs, {info['mlm_steps']} steps of batch {a['mlm_batch']}, "
        f"AdamW lr {a['mlm_lr']}, 15% masking ({t['mlm'] / 60:.1f} min).",
        f"3. Fine-tuning: {a['epochs']} epochs, batch {a['batch']}, AdamW lr {a['lr']} (warm-up, linear decay), "
        f"class-weighted cross-entropy (inverse frequency ^ {a['class_weight_power']}), label smoothing "
        f"{a['label_smoothing']}, dropout {a['dropout']}, weights averaged (EMA decay {a.get('ema', 0)}) "
        f"({t['finetune'] / 60:.1f} min).",
    ]
    if info.get("ngram_buckets"):
        lines.append(f"4. n-gram branch: up to {a['ngram_epochs']} epochs, batch 64 ({t.get('ngram', 0) / 60:.1f} min).")
    lines += [
        "",
        f"Total wall time: {t['total'] / 60:.1f} min on {info['env']['threads']} CPU threads "
        f"(started {info['started_utc']}; Python {info['env']['python']}, torch {info['env']['torch']}, "
        f"onnx {info['env']['onnx']}). Seed {a['seed']}; torch deterministic algorithms on, "
        "single-process data order.",
        "",
        "Settings: `" + json.dumps(a, sort_keys=True) + "`",
        "",
        "Rerun from the repository root (needs `apt-get install python3-torch python3-onnx`, and `npm` "
        "to fetch the lexicon package once; see tools/train-sentiment/README.md):",
        "",
        "```sh",
        info["command"].rstrip(),
        "```",
        "",
        "## Limitations",
        "",
        "Trained on English tweets from 2009–2016"
        + (" (plus a few thousand tweets in seven other languages)" if a.get("xlmt") else "")
        + "; other languages are out of scope. Sarcasm, negation over long spans, and newer slang are "
        "weak spots. Neutral vs. mildly",
        "positive/negative is the most frequent confusion. The int8 file can flip a few labels compared",
        "with fp32.",
        "",
        "<!-- transformers.js -->",
        "## Transformers.js (measured)",
        "",
        "Not measured yet: run `tools/train-sentiment/verify.ts` (see tools/train-sentiment/README.md).",
        "<!-- /transformers.js -->",
        "",
    ]
    with open(os.path.join(out, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
