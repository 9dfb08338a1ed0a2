/**
 * Verifies the embedded sentiment model in Transformers.js and measures it:
 * - token ids from `tokenizer.json` equal the Python training tokenizer's ids (from dump_ids.py),
 * - validation metrics for fp32 and q8, the smoke sentences, and batched throughput,
 * - with `--update-card`, writes the measurements into MODEL_CARD.md.
 *
 * Usage (from the repository root, after dump_ids.py):
 *   deno run -A tools/train-sentiment/verify.ts --ids /tmp/tweetlake-ids.jsonl [--n 4096] [--batch 32] [--update-card]
 */
import { AutoTokenizer, env, pipeline } from "@huggingface/transformers";

const LABELS = ["negative", "neutral", "positive"];
const SMOKE: [string, string][] = [
  ["I love this so much 😍", "positive"],
  ["worst service ever, never again", "negative"],
  ["The meeting is scheduled for 3pm on Tuesday in room 4.", "neutral"],
];

interface Row {
  split: string;
  text: string;
  ids: number[];
  label?: number;
}

interface Scored {
  label: string;
  score: number;
}

function arg(name: string, def: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : def;
}

const modelsDir = arg("--models-dir", new URL("../../models/", import.meta.url).pathname).replace(
  /\/?$/,
  "/",
);
const modelId = arg("--model", "tweetlake-sentiment");
const idsPath = arg("--ids", "/tmp/tweetlake-ids.jsonl");
const n = Number(arg("--n", "4096"));
const batch = Number(arg("--batch", "32"));
const dtypes = arg("--dtypes", "q8,fp32").split(",");
const updateCard = Deno.args.includes("--update-card");
// onnxruntime intra-op thread counts to measure, comma-separated; 0: onnxruntime's default
const threadList = arg("--threads", "0").split(",").map(Number);
const keyOf = (dtype: string, threads: number) =>
  threads ? `${dtype}, ${threads} thread${threads > 1 ? "s" : ""}` : dtype;
const runs: [string, number][] = threadList.flatMap((t) =>
  dtypes.map((d): [string, number] => [d, t])
);

/** CPU seconds used by this process so far (user + system), from /proc. */
function cpuSeconds(): number {
  try {
    const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

env.localModelPath = modelsDir;
env.allowRemoteModels = false;

const rows: Row[] = Deno.readTextFileSync(idsPath).split("\n").filter((l) => l.trim()).map((l) =>
  JSON.parse(l) as Row
);
const val = rows.filter((r) => r.split === "val");

// 1. tokenizer parity
const tokenizer = await AutoTokenizer.from_pretrained(modelId);
let mismatches = 0;
for (const r of rows) {
  const enc = tokenizer(r.text, { truncation: true });
  const ids = Array.from(enc.input_ids.data as BigInt64Array, (x) => Number(x));
  if (ids.length !== r.ids.length || ids.some((x, i) => x !== r.ids[i])) {
    if (mismatches < 5) {
      console.error("token mismatch:", JSON.stringify(r.text), "\n js:", ids, "\n py:", r.ids);
    }
    mismatches++;
  }
}
console.log(`tokenizer: ${rows.length - mismatches}/${rows.length} texts with identical ids`);

function flat(out: unknown): Scored[] {
  return (out as (Scored | Scored[])[]).map((x) => (Array.isArray(x) ? x[0] : x));
}

const results: Record<string, unknown> = {
  tokenizer_texts: rows.length,
  tokenizer_mismatches: mismatches,
};
for (const [dtype, threads] of runs) {
  const key = keyOf(dtype, threads);
  const clf = await pipeline("text-classification", modelId, {
    dtype: dtype as "fp32" | "q8",
    ...(threads ? { session_options: { intraOpNumThreads: threads } } : {}),
  });
  // 2. validation metrics
  const preds: string[] = [];
  for (let i = 0; i < val.length; i += batch) {
    preds.push(...flat(await clf(val.slice(i, i + batch).map((r) => r.text))).map((s) => s.label));
  }
  const recall = LABELS.map((l, c) => {
    const idx = val.filter((r) => r.label === c);
    return idx.filter((r) => preds[val.indexOf(r)] === l).length / Math.max(1, idx.length);
  });
  const acc = val.filter((r, i) => LABELS[r.label ?? -1] === preds[i]).length / val.length;
  const macro = recall.reduce((a, b) => a + b, 0) / 3;
  // 3. smoke sentences, one at a time
  const smoke: Record<string, string> = {};
  for (const [text] of SMOKE) smoke[text] = flat(await clf([text]))[0].label;
  // 4. throughput, batched
  const texts: string[] = [];
  for (let i = 0; texts.length < n; i++) texts.push(val[i % val.length].text);
  for (let i = 0; i < 8 * batch; i += batch) await clf(texts.slice(i, i + batch));
  const load0 = Deno.loadavg()[0];
  const t0 = performance.now();
  const c0 = cpuSeconds();
  for (let i = 0; i < texts.length; i += batch) await clf(texts.slice(i, i + batch));
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  const r = {
    macro_recall: macro,
    accuracy: acc,
    recall: Object.fromEntries(LABELS.map((l, i) => [l, recall[i]])),
    smoke,
    smoke_ok: SMOKE.every(([t, want]) => smoke[t] === want),
    tweets_per_s: texts.length / secs,
    tweets_per_cpu_s: texts.length / cpu,
    n: texts.length,
    batch,
    threads: threads || "default",
    loadavg_1m: [load0, Deno.loadavg()[0]],
  };
  results[key] = r;
  console.log(key, JSON.stringify(r));
}
console.log(JSON.stringify(results));

if (updateCard) {
  const path = `${modelsDir}${modelId}/MODEL_CARD.md`;
  const card = Deno.readTextFileSync(path);
  const f = (x: number) => x.toFixed(4);
  const lines = [
    "<!-- transformers.js -->",
    "## Transformers.js (measured)",
    "",
    `Measured with \`@huggingface/transformers\` under Deno ${Deno.version.deno} on this machine ` +
    `(${navigator.hardwareConcurrency} CPU cores), ${
      new Date().toISOString().slice(0, 16)
    } UTC, by ` +
    "`tools/train-sentiment/verify.ts`:",
    "",
    `- tokenizer parity: ${
      rows.length - mismatches
    }/${rows.length} tweets give the same ids as the Python ` +
    "training tokenizer",
    "",
    "| dtype | macro recall | accuracy | recall neg / neu / pos | tweets/s (batch " + batch +
    ") | smoke sentences |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const [dtype, threads] of runs) {
    const key = keyOf(dtype, threads);
    const r = results[key] as {
      macro_recall: number;
      accuracy: number;
      recall: Record<string, number>;
      tweets_per_s: number;
      tweets_per_cpu_s: number;
      loadavg_1m: number[];
      smoke_ok: boolean;
    };
    lines.push(
      `| ${key} | ${f(r.macro_recall)} | ${f(r.accuracy)} | ${
        LABELS.map((l) => f(r.recall[l])).join(" / ")
      } | ` +
        `${Math.round(r.tweets_per_s)} (${Math.round(r.tweets_per_cpu_s)} per CPU-second; load ${
          r.loadavg_1m.map((x) => x.toFixed(1)).join("→")
        }) | ${r.smoke_ok ? "all correct" : "WRONG"} |`,
    );
  }
  lines.push(
    "",
    "Throughput: validation tweets cycled to " + n + " texts, `pipeline(...)(batchOf" + batch +
      ")` in a loop after a warm-up (tokenization included), one process, " +
      "onnxruntime-node's default threads unless a thread count is shown " +
      "(`session_options: { intraOpNumThreads }`)" +
      ". The machine's 2 cores were shared with other jobs (1-minute load average shown), so " +
      "wall-clock rates understate an idle machine; per-CPU-second rates are less sensitive to that.",
    "<!-- /transformers.js -->",
  );
  const out = card.replace(
    /<!-- transformers\.js -->[\s\S]*<!-- \/transformers\.js -->/,
    lines.join("\n"),
  );
  Deno.writeTextFileSync(path, out);
  console.log("updated", path);
}
