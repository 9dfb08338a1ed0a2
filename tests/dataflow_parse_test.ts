/** The pipeline SQL parser, the Spark → DuckDB translation, and the dataset graph. */
import { DEFAULTS } from "../lib/config.ts";
import assert from "node:assert/strict";
import {
  lineage,
  lineageText,
  loadPipeline,
  parsePipeline,
  PipelineError,
  planPipeline,
} from "../lib/dataflow/mod.ts";
import { spaced, translate } from "../lib/dataflow/translate.ts";
import { duckType, parseSchema } from "../lib/dataflow/types.ts";
import { FIXTURES } from "./fixtures/dataflow/support.ts";

const names = (...n: string[]) => new Set(n);
const echo = {
  ref: (r: { name: string; stream: boolean }) => `<${r.stream ? "stream " : ""}${r.name}>`,
  source: (s: { path: string; options: Record<string, string> }) =>
    `<files ${s.path} ${JSON.stringify(s.options)}>`,
};
const where = { file: "t.sql", dataset: "d" };

function errorOf(fn: () => unknown): PipelineError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PipelineError, `expected a PipelineError, got ${e}`);
    return e;
  }
  throw new Error("expected an error");
}

Deno.test("parse: modern and legacy definitions, with comment, properties and column list", () => {
  const p = parsePipeline(
    `create or refresh streaming table a (id STRING, n BIGINT COMMENT 'count')
       comment 'first' tblproperties ('quality' = 'bronze', "k2" = "v2")
       as select * from stream read_files('raw/a', format => 'json');
     CREATE STREAMING LIVE TABLE b AS SELECT * FROM STREAM(LIVE.a);
     CREATE OR REPLACE STREAMING LIVE TABLE c AS SELECT * FROM stream (live.b)
     CREATE LIVE TABLE d AS SELECT count(*) FROM LIVE.c;
     CREATE OR REFRESH MATERIALIZED VIEW e AS SELECT * FROM d`,
    "t.sql",
  );
  assert.deepEqual(p.datasets.map((d) => [d.name, d.kind, d.line]), [
    ["a", "streaming", 1],
    ["b", "streaming", 4],
    ["c", "streaming", 5],
    ["d", "materialized", 6],
    ["e", "materialized", 7],
  ]);
  const a = p.datasets[0];
  assert.equal(a.comment, "first");
  assert.deepEqual(a.properties, { quality: "bronze", k2: "v2" });
  assert.deepEqual(a.columns.map((c) => [c.name, c.type]), [["id", "STRING"], ["n", "BIGINT"]]);
});

Deno.test("parse: the original demo's style (no semicolons, multi-line comment, constraint list)", async () => {
  const p = await loadPipeline(`${FIXTURES}original.sql`);
  assert.deepEqual(p.datasets.map((d) => d.name), ["bronze", "silver", "languages"]);
  assert.match(p.datasets[0].comment ?? "", /arrive,\n\s+ingested by Autoloader/);
  const silver = p.datasets[1];
  assert.deepEqual(silver.expectations.map((e) => [e.name, e.action]), [
    ["valid_language", "drop"],
    ["valid_id", "drop"],
  ]);
  const cond = translate(spaced(silver.expectations[0].condition), names(), echo, where);
  assert.equal(cond, "lang = 'en'");
  const q = translate(silver.query, names("bronze", "silver", "languages"), echo, where);
  assert.match(q, /from <stream bronze>/);
  const bronze = translate(p.datasets[0].query, names("bronze"), echo, where);
  assert.match(bronze, /<files raw\/flat \{"format":"json"\}>/);
});

Deno.test("parse: expectation actions and several per table", () => {
  const p = parsePipeline(
    `CREATE OR REFRESH STREAMING TABLE t (
       CONSTRAINT w EXPECT (a > 0),
       CONSTRAINT d EXPECT (b IS NOT NULL) ON VIOLATION DROP ROW,
       CONSTRAINT f EXPECT (c <> 'x') ON VIOLATION FAIL UPDATE
     ) AS SELECT 1 AS a`,
  );
  assert.deepEqual(p.datasets[0].expectations.map((e) => [e.name, e.action, e.line]), [
    ["w", "warn", 2],
    ["d", "drop", 3],
    ["f", "fail", 4],
  ]);
});

Deno.test("parse: errors name the file, line and dataset", () => {
  let e = errorOf(() => parsePipeline("CREATE OR REFRESH STREAMING TABLE x\nAS", "p.sql"));
  assert.match(e.message, /^p\.sql:2: dataset x: expected a query after AS/);
  e = errorOf(() => parsePipeline("\n\nCREATE TABLE x AS SELECT 'unterminated", "p.sql"));
  assert.match(e.message, /^p\.sql:3: unterminated string/);
  e = errorOf(() => parsePipeline("SELECT 1", "p.sql"));
  assert.match(e.message, /p\.sql:1: expected CREATE/);
  e = errorOf(() =>
    parsePipeline("CREATE LIVE TABLE a AS SELECT 1;\n\nCREATE LIVE TABLE A AS SELECT 2", "p.sql")
  );
  assert.match(
    e.message,
    /p\.sql:3: dataset A: duplicate dataset name \(first defined at line 1\)/,
  );
  e = errorOf(() =>
    parsePipeline(
      "CREATE LIVE TABLE a (\n CONSTRAINT c EXPECT (x > 1),\n CONSTRAINT c EXPECT (x < 9)\n) AS SELECT 1 x",
      "p.sql",
    )
  );
  assert.match(e.message, /p\.sql:3: dataset a: duplicate expectation name c/);
  e = errorOf(() =>
    parsePipeline(
      "CREATE LIVE TABLE a (CONSTRAINT c EXPECT (x > 1) ON VIOLATION IGNORE) AS SELECT 1",
      "p.sql",
    )
  );
  assert.match(e.message, /DROP ROW or FAIL UPDATE/);
});

Deno.test("translate: Spark spellings become DuckDB's", () => {
  const p = parsePipeline(
    `CREATE LIVE TABLE t AS SELECT "it's" AS s, \`weird name\` AS w, a == 1 AS eq,
       current_timestamp() AS now, element_at(langs, 1) AS first_lang FROM x`,
  );
  const sql = translate(p.datasets[0].query, names("t"), echo, where);
  assert.match(sql, /'it''s' AS s/);
  assert.match(sql, /"weird name" AS w/);
  assert.match(sql, /a = 1 AS eq/);
  assert.match(sql, /current_timestamp AS now/);
  assert.match(sql, /spark_element_at\(langs, 1\) AS first_lang/);
});

Deno.test("translate: every reference spelling, and cloud_files options", () => {
  const p = parsePipeline(
    `CREATE STREAMING LIVE TABLE t AS
       SELECT * FROM STREAM(a) JOIN STREAM b ON true JOIN LIVE.c ON true JOIN live.d ON true
       JOIN stream(live.e) ON true JOIN STREAM LIVE.f ON true JOIN g ON true
       UNION ALL SELECT * FROM cloud_files("raw/x", "json", map("cloudFiles.schemaHints", "a INT"))`,
  );
  const sql = translate(p.datasets[0].query, names("a", "b", "c", "d", "e", "f", "g"), echo, where);
  for (const ref of ["<stream a>", "<stream b>", "<c>", "<d>", "<stream e>", "<stream f>", "<g>"]) {
    assert.ok(sql.includes(ref), `${ref} in ${sql}`);
  }
  assert.match(sql, /<files raw\/x \{"schemahints":"a INT","format":"json"\}>/);
});

Deno.test("graph: order does not depend on file order; unknown references and cycles fail", () => {
  const plan = planPipeline(parsePipeline(
    `CREATE LIVE TABLE gold AS SELECT * FROM LIVE.silver;
     CREATE STREAMING LIVE TABLE silver AS SELECT * FROM STREAM(LIVE.bronze);
     CREATE STREAMING LIVE TABLE bronze AS SELECT * FROM cloud_files('raw', 'json')`,
  ));
  assert.deepEqual(plan.order.map((pd) => pd.dataset.name), ["bronze", "silver", "gold"]);

  let e = errorOf(() =>
    planPipeline(parsePipeline(
      "CREATE LIVE TABLE a AS SELECT 1;\nCREATE LIVE TABLE b AS\nSELECT * FROM LIVE.nope",
      "g.sql",
    ))
  );
  assert.match(e.message, /^g\.sql:3: dataset b: unknown dataset nope \(defined: a, b\)/);
  e = errorOf(() =>
    planPipeline(parsePipeline(
      "CREATE LIVE TABLE a AS SELECT * FROM LIVE.c;\nCREATE LIVE TABLE b AS SELECT * FROM LIVE.a;\n" +
        "CREATE LIVE TABLE c AS SELECT * FROM LIVE.b",
      "g.sql",
    ))
  );
  assert.match(e.message, /^g\.sql:\d: dataset \w: cycle in the dataset graph: (\w → ){3}\w/);
  e = errorOf(() =>
    planPipeline(parsePipeline(
      "CREATE LIVE TABLE s AS SELECT 1;\nCREATE LIVE TABLE s_quarantine AS SELECT 2",
      "g.sql",
    ))
  );
  assert.match(e.message, /^g\.sql:2: dataset s_quarantine: the name s_quarantine is taken by/);
  e = errorOf(() =>
    planPipeline(parsePipeline("CREATE LIVE TABLE event_log AS SELECT 1", "g.sql"))
  );
  assert.match(e.message, /the engine's own tables/);
});

Deno.test("graph: lineage of the real pipeline, as nodes/edges and as text", async () => {
  const g = lineage(
    await loadPipeline(DEFAULTS.pipeline),
  );
  const ids = g.nodes.map((n) => n.id);
  for (const id of ["bronze", "bronze_jetstream", "silver", "silver_quarantine", "languages"]) {
    assert.ok(ids.includes(id), id);
  }
  assert.ok(g.edges.some((e) => e.from === "bronze" && e.to === "posts" && e.stream));
  assert.ok(g.edges.some((e) => e.from === "posts" && e.to === "silver" && e.stream));
  assert.ok(g.edges.some((e) => e.from === "files:raw/x" && e.to === "bronze"));
  const text = lineageText(g);
  assert.match(
    text,
    /^silver \[streaming table\] \{valid_language:drop, valid_id:drop.*◄── posts \(stream\)$/m,
  );
});

Deno.test("types: Spark schema hints become DuckDB types", () => {
  const cols = parseSchema(
    "a STRING, b STRUCT<c: LONG, d: ARRAY<STRUCT<e: STRING>>>, `f g` MAP<STRING, INT>",
  );
  assert.deepEqual(cols.map(([n, t]) => `${n} ${duckType(t)}`), [
    "a VARCHAR",
    'b STRUCT("c" BIGINT, "d" STRUCT("e" VARCHAR)[])',
    "f g MAP(VARCHAR, INTEGER)",
  ]);
});

Deno.test("graph: the lineage drawn as SVG holds every dataset", async () => {
  const { lineageSvg } = await import("../lib/dataflow/mod.ts");
  const svg = lineageSvg(await loadPipeline(`${FIXTURES}original.sql`));
  assert.match(svg, /^<(svg|figure)/);
  for (const id of ["bronze", "silver", "languages", "silver_quarantine"]) {
    assert.ok(svg.includes(`>${id}<`), id);
  }
});

Deno.test("types: DuckDB's own type strings read back unchanged", async () => {
  const { parseType } = await import("../lib/dataflow/types.ts");
  for (
    const t of [
      'STRUCT("start" BIGINT, "end" BIGINT, tag VARCHAR)[]',
      "STRUCT(a STRUCT(b VARCHAR[])[], m MAP(VARCHAR, DOUBLE), d DECIMAL(18,3))",
      "TIMESTAMP WITH TIME ZONE",
    ]
  ) {
    const again = duckType(parseType(duckType(parseType(t))));
    assert.equal(again, duckType(parseType(t)));
  }
  assert.equal(
    duckType(parseType('STRUCT("start" BIGINT, tag VARCHAR)[]')),
    'STRUCT("start" BIGINT, "tag" VARCHAR)[]',
  );
  assert.equal(duckType(parseType("TIMESTAMP WITH TIME ZONE")), "TIMESTAMPTZ");
});
