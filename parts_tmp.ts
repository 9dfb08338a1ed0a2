import { DuckDBInstance } from "@duckdb/node-api";
const mode = Deno.args[0];
const path = `/tmp/scale/p4-${mode}.duckdb`;
try {
  Deno.removeSync(path);
} catch { /* */ }
const inst = await DuckDBInstance.create(path, { memory_limit: "1GB" });
const c = await inst.connect();
const files = [...Deno.readDirSync("/tmp/scale/lake300k/raw/x/date=2026-11-20")].map((e) =>
  `/tmp/scale/lake300k/raw/x/date=2026-11-20/${e.name}`
).sort();
const src = (fs: string[]) =>
  `read_json([${fs.map((f) => `'${f}'`).join(",")}], format='newline_delimited', filename=true)`;
const size = () => Deno.statSync(path).size / 2 ** 20;
if (mode === "before") {
  await c.run(`CREATE TABLE t AS SELECT * FROM ${src(files.slice(0, 1))} LIMIT 0`);
}
await c.run("BEGIN");
if (mode === "inside") {
  await c.run(`CREATE TABLE t AS SELECT * FROM ${src(files.slice(0, 1))} LIMIT 0`);
}
if (mode === "ctas") await c.run(`CREATE TABLE t AS SELECT * FROM ${src(files)}`);
else await c.run(`INSERT INTO t SELECT * FROM ${src(files)}`);
console.log(mode, "file MiB before commit", size().toFixed(1));
const t0 = performance.now();
await c.run("COMMIT");
console.log(
  mode,
  "commit s",
  ((performance.now() - t0) / 1000).toFixed(2),
  "file MiB",
  size().toFixed(1),
);
