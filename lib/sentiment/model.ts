/**
 * Loading a Transformers.js text-classification model (the embedded one, another
 * local folder, or a hub id) and classifying texts with it in batches.
 */
import {
  env,
  pipeline,
  type Tensor,
  type TextClassificationPipeline,
} from "@huggingface/transformers";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { DEFAULTS } from "../config.ts";
import { normaliseLabel, type SentimentLabel } from "./labels.ts";

/** Weight formats a model folder may hold (`fp32`: onnx/model.onnx, `q8`: model_quantized). */
export const DTYPES = ["fp32", "fp16", "q8", "int8", "uint8", "q4"] as const;

/** One of {@link DTYPES}. */
export type Dtype = typeof DTYPES[number];

/** The default weights: q8 (as good and fast as fp32 for the embedded model; see README). */
export const DEFAULT_DTYPE: Dtype = "q8";

/** Checks a `--dtype` value, with an error that lists the accepted ones. */
export function parseDtype(value: string): Dtype {
  if ((DTYPES as readonly string[]).includes(value)) return value as Dtype;
  throw new Error(`unknown --dtype "${value}": expected one of ${DTYPES.join(", ")}`);
}

/** Where a model comes from: a local folder (loaded with remote loading off) or a hub id. */
export type ModelSource =
  | { kind: "local"; name: string; folder: string }
  | { kind: "hub"; name: string; looked: string[] };

/**
 * Decides where `model` comes from. Undefined means the embedded model. A path to an
 * existing folder (absolute or relative to the working directory) or a folder name
 * under `models/` is local; a path-like value (`./x`, `/x`, `~/x`) that does not exist
 * is an error; anything else is a hub id.
 */
export function resolveModel(model?: string, modelsDir: string = DEFAULTS.models): ModelSource {
  const spec = model ?? DEFAULTS.model;
  const candidates = isAbsolute(spec) ? [spec] : [resolve(spec), resolve(modelsDir, spec)];
  for (const folder of candidates) {
    if (existsSync(folder) && statSync(folder).isDirectory()) {
      return {
        kind: "local",
        name: model === undefined ? DEFAULTS.model : basename(folder),
        folder,
      };
    }
  }
  if (model === undefined) {
    throw new Error(
      `the embedded model folder ${resolve(modelsDir, spec)} is missing: ` +
        `train it with /usr/bin/python3 tools/train-sentiment/train.py, or pass --model <folder>`,
    );
  }
  if (/^(\.{1,2}|~)?[\\/]/.test(spec)) {
    throw new Error(`model folder not found: ${candidates[0]}`);
  }
  return { kind: "hub", name: spec, looked: candidates };
}

/** The gold table's `model` key: the model's name and its weights, `name@dtype`. */
export function modelKey(name: string, dtype: Dtype): string {
  return `${name}@${dtype}`;
}

/** One prediction: a normalised label and the model's probability for it. */
export interface Prediction {
  label: SentimentLabel;
  score: number;
}

/** A loaded sentiment classifier. */
export interface Classifier {
  /** The gold table's model key (`name@dtype`, e.g. `tweetlake-sentiment@q8`). */
  readonly modelId: string;
  /** The model's name (folder name or hub id) without the dtype. */
  readonly name: string;
  /** The weights in use. */
  readonly dtype: Dtype;
  /**
   * Classifies `texts` (in order) in batches of `batchSize`; texts are grouped by
   * length so each batch pads little. `onProgress` gets the number done so far.
   */
  classify(
    texts: string[],
    batchSize?: number,
    onProgress?: (done: number) => void,
  ): Promise<Prediction[]>;
  /** Releases the ONNX session. */
  dispose(): Promise<void>;
}

/** Options for {@link loadClassifier}. */
export interface LoadOptions {
  /** A hub id, a local folder, or a folder name under `models/`; default the embedded model. */
  model?: string;
  /** Weights to load; default {@link DEFAULT_DTYPE}. */
  dtype?: Dtype;
}

/** Raised when a model can't be loaded; the message names the model and what to do. */
export class ModelLoadError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "ModelLoadError";
  }
}

const causeText = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).trim().replace(/[.\s]+$/, "");

/** The weights file Transformers.js loads for each dtype. */
const WEIGHTS: Record<Dtype, string> = {
  fp32: "model.onnx",
  fp16: "model_fp16.onnx",
  q8: "model_quantized.onnx",
  int8: "model_int8.onnx",
  uint8: "model_uint8.onnx",
  q4: "model_q4.onnx",
};

/**
 * Checks a local model folder holds what Transformers.js needs (a readable
 * `config.json`, `tokenizer.json`, and the weights for `dtype`), naming what is missing.
 */
export function checkModelFolder(folder: string, dtype: Dtype): void {
  const need = ["config.json", "tokenizer.json", `onnx/${WEIGHTS[dtype]}`];
  const missing = need.filter((f) => !existsSync(join(folder, f)));
  if (missing.length) {
    throw new ModelLoadError(
      `the model folder ${folder} lacks ${missing.join(", ")} (needed for dtype ${dtype}); ` +
        `a Transformers.js model folder holds config.json, tokenizer.json, ` +
        `tokenizer_config.json and onnx/*.onnx`,
    );
  }
  const config = join(folder, "config.json");
  try {
    JSON.parse(readFileSync(config, "utf8"));
  } catch (e) {
    throw new ModelLoadError(`the model config ${config} is not valid JSON: ${causeText(e)}`, e);
  }
}

/**
 * The usual tweet preprocessing for tweet-tuned models (TweetEval/cardiffnlp):
 * user mentions become `@user` and links become `http`.
 */
export function preprocessTweet(text: string): string {
  return text.replace(/@[A-Za-z0-9_]+/g, "@user").replace(/https?:\/\/\S+/g, "http");
}

/** The sentiment label of each class index, naming the model if a class doesn't map. */
function classLabels(name: string, id2label: Record<string, string> | undefined): SentimentLabel[] {
  const count = id2label ? Object.keys(id2label).length : 3;
  return Array.from({ length: count }, (_, i) => {
    try {
      return normaliseLabel(id2label?.[i] ?? `LABEL_${i}`, id2label);
    } catch (e) {
      throw new ModelLoadError(`model ${name} is not a sentiment model: ${causeText(e)}`);
    }
  });
}

/** For each row of a `rows × classes` logits array: the top class and its softmax probability. */
export function argmaxSoftmax(
  logits: ArrayLike<number>,
  classes: number,
): { index: number; prob: number }[] {
  const out = [];
  for (let r = 0; r < logits.length / classes; r++) {
    const row = Array.from({ length: classes }, (_, k) => Number(logits[r * classes + k]));
    const max = Math.max(...row);
    const exps = row.map((x) => Math.exp(x - max));
    const index = row.indexOf(max);
    out.push({ index, prob: exps[index] / exps.reduce((a, b) => a + b, 0) });
  }
  return out;
}

/**
 * Loads a text-classification model with Transformers.js on the CPU. Local folders
 * load with remote loading off; a hub id turns it on and, when it can't be fetched
 * (offline), fails with a {@link ModelLoadError} that suggests a local folder.
 */
export async function loadClassifier(options: LoadOptions = {}): Promise<Classifier> {
  const dtype = options.dtype ?? DEFAULT_DTYPE;
  const source = resolveModel(options.model);
  let id: string;
  if (source.kind === "local") {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(source.folder);
    id = basename(source.folder);
  } else {
    env.allowRemoteModels = true;
    env.allowLocalModels = false;
    id = source.name;
  }
  if (source.kind === "local") checkModelFolder(source.folder, dtype);
  let pipe: TextClassificationPipeline;
  try {
    pipe = await pipeline("text-classification", id, {
      dtype,
      device: "cpu",
      local_files_only: source.kind === "local",
      // no busy-waiting threads: they fight the tokenizer (same thread) and any other
      // process on a small machine; measured 1.5-3× faster here on 2 cores (see README)
      session_options: {
        logSeverityLevel: 3,
        extra: { session: { intra_op: { allow_spinning: "0" } } },
      },
    }) as TextClassificationPipeline;
  } catch (e) {
    if (source.kind === "local") {
      throw new ModelLoadError(
        `could not load the model folder ${source.folder} (dtype ${dtype}): ${causeText(e)}`,
        e,
      );
    }
    throw new ModelLoadError(
      `could not load model "${source.name}": it is not a local folder ` +
        `(looked in ${source.looked.join(", ")}) and it could not be downloaded from the ` +
        `Hugging Face hub (offline?): ${causeText(e)}; download it where the hub is reachable ` +
        `and pass --model <path to the model folder>`,
      e,
    );
  }
  const config = pipe.model.config as unknown as { id2label?: Record<string, string> };
  let labels: SentimentLabel[];
  try {
    labels = classLabels(source.name, config.id2label);
  } catch (e) {
    await pipe.dispose();
    throw e;
  }
  const name = source.name;
  return {
    modelId: modelKey(name, dtype),
    name,
    dtype,
    // Tokenizer and model are called directly: the pipeline's per-row top-k post-processing
    // cost about a third of the time for this small model (measured, see README).
    async classify(texts, batchSize = 32, onProgress) {
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new Error(`batch size must be a positive integer, got ${batchSize}`);
      }
      const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
      const out = new Array<Prediction>(texts.length);
      for (let start = 0; start < order.length; start += batchSize) {
        const idx = order.slice(start, start + batchSize);
        const inputs = pipe.tokenizer(idx.map((i) => preprocessTweet(texts[i])), {
          padding: true,
          truncation: true,
        });
        const { logits } = await pipe.model(inputs) as { logits: Tensor };
        const classes = logits.dims.at(-1)!;
        if (classes !== labels.length) {
          throw new Error(
            `model ${name} returned ${classes} classes, its config names ${labels.length}`,
          );
        }
        argmaxSoftmax(logits.data as Float32Array, classes).forEach((p, k) => {
          out[idx[k]] = { label: labels[p.index], score: p.prob };
        });
        onProgress?.(Math.min(start + batchSize, order.length));
      }
      return out;
    },
    async dispose() {
      await pipe.dispose();
    },
  };
}

/**
 * Loads a classifier, classifies `texts`, and releases it: the notebook's
 * "check it out" cell. Returns each text with its prediction.
 */
export async function classifyTexts(
  texts: string[],
  options: LoadOptions = {},
): Promise<(Prediction & { text: string })[]> {
  const classifier = await loadClassifier(options);
  try {
    const preds = await classifier.classify(texts);
    return preds.map((p, i) => ({ text: texts[i], ...p }));
  } finally {
    await classifier.dispose();
  }
}
