// Spark SQL functions, casts and syntax give Spark's answers on DuckDB: each case is an
// example of the Spark SQL built-in function reference (input and result), translated by the
// engine's one translation layer and run on a real DuckDB. Results are shown as DuckDB prints
// values (lists as [1, 2], structs as {'a': 1}); the session time zone is UTC (the reference's
// unix_timestamp / from_unixtime examples were printed in America/Los_Angeles).
import assert from "node:assert/strict";
import { type DuckDBConnection, withDb } from "../lib/db.ts";
import { PipelineError } from "../lib/dataflow/errors.ts";
import { installSparkFunctions } from "../lib/dataflow/spark/macros.ts";
import { translate, type TranslateOptions } from "../lib/dataflow/translate.ts";
import { tokenize } from "../lib/dataflow/tokens.ts";
import { parsePipeline } from "../lib/dataflow/parse.ts";
import { runUpdate } from "../lib/dataflow/run.ts";
import { query } from "../lib/db.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

const where = { file: "spark.sql", dataset: "t" };
const resolver = {
  ref: () => {
    throw new Error("no references here");
  },
  source: () => {
    throw new Error("no sources here");
  },
};

/** Translates a Spark query. */
function duck(sql: string, options: TranslateOptions = {}): string {
  return translate(tokenize(sql), new Set(), resolver, where, options);
}

/** Runs a Spark query; every value of the result, printed by DuckDB, rows joined by ' | '. */
async function run(conn: DuckDBConnection, sql: string, options?: TranslateOptions) {
  const reader = await conn.runAndReadAll(
    `SELECT COLUMNS(*)::VARCHAR FROM (${duck(sql, options)})`,
  );
  return reader.getRows().map((r) => r.map((v) => v === null ? "NULL" : String(v)).join(", "))
    .join(" | ");
}

/** [Spark expression or query, expected result]; an expression is run as `SELECT <expr>`. */
const CASES: [string, string][] = [
  // dates
  ["dayofweek('2009-07-30')", "5"],
  ["dayofweek(DATE'2009-07-26')", "1"], // a Sunday
  ["weekday('2009-07-30')", "3"],
  ["datediff('2009-07-31', '2009-07-30')", "1"],
  ["datediff('2009-07-30', '2009-07-31')", "-1"],
  ["datediff(MONTH, TIMESTAMP'2021-02-28 12:00:00', TIMESTAMP'2021-03-28 11:59:59')", "0"],
  ["datediff(MONTH, TIMESTAMP'2021-02-28 12:00:00', TIMESTAMP'2021-03-28 12:00:00')", "1"],
  ["timestampdiff(YEAR, DATE'2021-01-01', DATE'1900-03-28')", "-120"],
  ["date_add('2016-07-30', 1)", "2016-07-31"],
  ["date_sub('2016-07-30', 1)", "2016-07-29"],
  ["add_months('2016-08-31', 1)", "2016-09-30"],
  ["months_between('1997-02-28 10:30:00', '1996-10-30')", "3.94959677"],
  ["months_between('1997-02-28 10:30:00', '1996-10-30', false)", "3.9495967741935485"],
  ["to_date('2009-07-30 04:17:52')", "2009-07-30"],
  ["to_date('2016-12-31', 'yyyy-MM-dd')", "2016-12-31"],
  ["to_date('12-31-2016', 'MM-dd-yyyy')", "2016-12-31"],
  ["to_date('20161231', 'yyyyMMdd')", "2016-12-31"],
  ["to_timestamp('2016-12-31 00:12:00')", "2016-12-31 00:12:00"],
  ["to_timestamp('2016-12-31', 'yyyy-MM-dd')", "2016-12-31 00:00:00"],
  ["to_timestamp('12-31-2016 13:45:10', 'MM-dd-yyyy HH:mm:ss')", "2016-12-31 13:45:10"],
  ["date_format('2016-04-08', 'y')", "2016"],
  ["date_format(TIMESTAMP'2016-04-08 09:05:03', 'yyyyMMdd HH:mm:ss')", "20160408 09:05:03"],
  ["from_unixtime(0, 'yyyy-MM-dd HH:mm:ss')", "1970-01-01 00:00:00"],
  ["from_unixtime(0)", "1970-01-01 00:00:00"],
  ["unix_timestamp('2016-04-08', 'yyyy-MM-dd')", "1460073600"],
  ["to_unix_timestamp('2016-04-08', 'yyyy-MM-dd')", "1460073600"],
  ["to_utc_timestamp('2016-08-31', 'Asia/Seoul')", "2016-08-30 15:00:00"],
  ["from_utc_timestamp('2016-08-31', 'Asia/Seoul')", "2016-08-31 09:00:00"],
  ["weekofyear('2008-02-20')", "8"],
  ["year('2016-07-30')", "2016"],
  ["month('2016-07-30')", "7"],
  ["day('2009-07-30')", "30"],
  ["dayofmonth('2009-07-30')", "30"],
  ["dayofyear('2016-04-09')", "100"],
  ["quarter('2016-08-31')", "3"],
  ["hour('2009-07-30 12:58:59')", "12"],
  ["minute('2009-07-30 12:58:59')", "58"],
  ["second('2009-07-30 12:58:59')", "59"],
  ["extract(DAYOFWEEK FROM DATE'2009-07-30')", "5"],
  ["date_trunc('MM', '2015-03-05T09:32:05.359')", "2015-03-01 00:00:00"],
  ["trunc('2019-08-04', 'MONTH')", "2019-08-01"],
  ["last_day('2009-01-12')", "2009-01-31"],
  ["date_part('YEAR', TIMESTAMP'2019-08-12 01:00:00.123456')", "2019"],
  [
    "SELECT a, w.start, w.end, count(*) FROM (SELECT a, window(b, '5 minutes') AS w FROM VALUES " +
    "('A1', '2021-01-01 00:00:00'), ('A1', '2021-01-01 00:04:30'), ('A1', '2021-01-01 00:06:00'), " +
    "('A2', '2021-01-01 00:01:00') AS tab(a, b)) GROUP BY a, w ORDER BY a, w.start",
    "A1, 2021-01-01 00:00:00, 2021-01-01 00:05:00, 2 | A1, 2021-01-01 00:05:00, 2021-01-01 00:10:00, 1 | A2, 2021-01-01 00:00:00, 2021-01-01 00:05:00, 1",
  ],
  // arrays, structs, maps
  ["array(1, 2, 3)", "[1, 2, 3]"],
  ["struct(1 AS a, 'x' AS b)", "{'a': 1, 'b': x}"],
  ["named_struct('a', 1, 'b', 2)", "{'a': 1, 'b': 2}"],
  ["map(1.0, '2', 3.0, '4')", "{1.0=2, 3.0=4}"],
  ["sequence(1, 5)", "[1, 2, 3, 4, 5]"],
  ["sequence(5, 1)", "[5, 4, 3, 2, 1]"],
  [
    "sequence(to_date('2018-01-01'), to_date('2018-03-01'), interval 1 month)",
    "[2018-01-01, 2018-02-01, 2018-03-01]",
  ],
  ["size(array('b', 'd', 'c', 'a'))", "4"],
  ["size(map('a', 1, 'b', 2))", "2"],
  ["element_at(array(1, 2, 3), 2)", "2"],
  ["element_at(array(1, 2, 3), -1)", "3"],
  ["element_at(map(1, 'a', 2, 'b'), 2)", "b"],
  ["try_element_at(array(1, 2, 3), 5)", "NULL"],
  [
    "SELECT arr[0], arr[2], m['b'], s['x'] FROM VALUES (array(1, 2, 3), map('a', 1, 'b', 2), named_struct('x', 5)) AS t(arr, m, s)",
    "1, 3, 2, 5",
  ],
  ["array_contains(array(1, 2, 3), 2)", "true"],
  ["array_position(array(312, 773, 708, 708), 708)", "3"],
  ["array_distinct(array(1, 2, 3, null, 3))", "[1, 2, 3, NULL]"],
  ["array_join(array('hello', 'world'), ' ')", "hello world"],
  ["array_join(array('hello', null ,'world'), ' ', ',')", "hello , world"],
  ["sort_array(array('b', 'd', null, 'c', 'a'), true)", "[NULL, a, b, c, d]"],
  ["slice(array(1, 2, 3, 4), 2, 2)", "[2, 3]"],
  ["slice(array(1, 2, 3, 4), -2, 2)", "[3, 4]"],
  ["transform(array(1, 2, 3), x -> x + 1)", "[2, 3, 4]"],
  ["filter(array(1, 2, 3), x -> x % 2 == 1)", "[1, 3]"],
  ["transform(array(named_struct('main', 'Rain')), w -> w.main)", "[Rain]"],
  ["SELECT explode(array(10, 20))", "10 | 20"],
  ["SELECT explode_outer(array(10, 20))", "10 | 20"],
  ["SELECT posexplode(array(10,20))", "0, 10 | 1, 20"],
  ["SELECT collect_list(col) FROM VALUES (1), (2), (1) AS tab(col)", "[1, 2, 1]"],
  ["SELECT array_sort(collect_set(col)) FROM VALUES (1), (2), (1) AS tab(col)", "[1, 2]"],
  // JSON
  [`get_json_object('{"a":"b"}', '$.a')`, "b"],
  [`from_json('{"a":1, "b":0.8}', 'a INT, b DOUBLE')`, "{'a': 1, 'b': 0.8}"],
  ["to_json(named_struct('a', 1, 'b', 2))", `{"a":1,"b":2}`],
  ["to_json(named_struct('a', 1, 'b', null))", `{"a":1}`],
  // strings and hashes
  ["initcap('sPark sql')", "Spark Sql"],
  ["concat_ws(' ', 'Spark', 'SQL')", "Spark SQL"],
  ["concat_ws(',', array('a', null, 'b'))", "a,b"],
  ["concat('Spark', 'SQL')", "SparkSQL"],
  ["concat('Spark', null)", "NULL"],
  ["split('oneAtwoBthreeC', '[ABC]')", "[one, two, three, '']"],
  ["regexp_extract('100-200', '(\\\\d+)-(\\\\d+)', 1)", "100"],
  ["regexp_extract('100-200', '(\\\\d+)-(\\\\d+)')", "100"],
  ["regexp_replace('100-200', '(\\\\d+)', 'num')", "num-num"],
  ["regexp_replace('100-200', '(\\\\d+)-(\\\\d+)', '$2-$1')", "200-100"],
  ["'%SystemDrive%\\\\Users\\\\John' rlike '%SystemDrive%\\\\\\\\Users.*'", "true"],
  ["replace('ABCabc', 'abc', 'DEF')", "ABCDEF"],
  ["substring_index('www.apache.org', '.', 2)", "www.apache"],
  ["substring_index('www.apache.org', '.', -2)", "apache.org"],
  ["format_string('Hello World %d %s', 100, 'days')", "Hello World 100 days"],
  ["get(array(1, 2, 3), 0)", "1"],
  ["get(array(1, 2, 3), 3)", "NULL"],
  ["replace('ABCabc', 'abc')", "ABC"],
  ["substring('Spark SQL', 5)", "k SQL"],
  ["substring('Spark SQL', -3)", "SQL"],
  ["substring('Spark SQL', 5, 1)", "k"],
  ["substr('Spark SQL', 0, 2)", "Sp"],
  ["lpad('hi', 5, '??')", "???hi"],
  ["lpad('hi', 5)", "   hi"],
  ["sha2('Spark', 256)", "529bc3b07127ecb7e53a4dcf1991d9152c24537d919178022b2c42657f79a26b"],
  ["md5('Spark')", "8cde774d6f7333752ed72cacddb05126"],
  ["sha1('Spark')", "85f5955f4b27a9a4c2aab6ffe5d7189fc298b92c"],
  ["log(10, 100)", "2.0"],
  ["ln(1)", "0.0"],
  ["nvl(NULL, array('2'))", "[2]"],
  ["nvl2(NULL, 2, 1)", "1"],
  // aggregates and windows
  ["SELECT percentile_approx(col, 0.5, 100) FROM VALUES (0), (1), (2), (10) AS tab(col)", "1"],
  [
    "SELECT percentile_approx(col, array(0.5, 0.4, 0.1), 100) FROM VALUES (0), (1), (2), (10) AS tab(col)",
    "[1, 1, 0]",
  ],
  ["SELECT first_value(col) FROM VALUES (10), (5), (20) AS tab(col)", "10"],
  ["SELECT first_value(col, true) FROM VALUES (NULL), (5), (20) AS tab(col)", "5"],
  ["SELECT last_value(col, true) FROM VALUES (10), (5), (NULL) AS tab(col)", "5"],
  [
    "SELECT k, last_value(v, true) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) " +
    "FROM VALUES (1, 'a'), (2, NULL), (3, 'c') AS t(k, v) ORDER BY k",
    "1, a | 2, a | 3, c",
  ],
  // casts (ANSI on: valid inputs)
  ["boolean('yes')", "true"],
  ["int('10')", "10"],
  ["int(' 1.9 ')", "1"],
  ["int(1.9)", "1"],
  ["string(1)", "1"],
  ["timestamp('2016-12-31 00:12:00')", "2016-12-31 00:12:00"],
  ["date('2009-07-30 04:17:52')", "2009-07-30"],
  ["CAST(1460073600 AS TIMESTAMP)", "2016-04-08 00:00:00"],
  ["CAST(TIMESTAMP'2016-04-08 00:00:01' AS BIGINT)", "1460073601"],
  ["DATE'2016-07-30' > '2016-07-29'", "true"],
  ["10L / 4", "2.5"],
  ["7 div 2", "3"],
  ["-7 % 2", "-1"],
  ["NULL <=> NULL", "true"],
  // query syntax
  ["SELECT * EXCEPT (b) FROM VALUES (1, 2, 3) AS t(a, b, c)", "1, 3"],
  ["SELECT t.* EXCEPT (a, t.c) FROM VALUES (1, 2, 3) AS t(a, b, c)", "2"],
  [
    "SELECT id, c FROM VALUES (1, array(10, 20)), (2, array()) AS t(id, arr) " +
    "LATERAL VIEW explode(arr) e AS c ORDER BY id, c",
    "1, 10 | 1, 20",
  ],
  [
    "SELECT id, c FROM VALUES (1, array(10, 20)), (2, array()) AS t(id, arr) " +
    "LATERAL VIEW OUTER explode(arr) e AS c ORDER BY id, c",
    "1, 10 | 1, 20 | 2, NULL",
  ],
  [
    "SELECT p, c FROM VALUES (array('x', 'y')) AS t(arr) LATERAL VIEW posexplode(arr) e AS p, c",
    "0, x | 1, y",
  ],
  [
    `SELECT raw:store.bicycle.price, raw:store.fruit[0].type, raw:['store']['bicycle'].color FROM ` +
    `VALUES ('{"store":{"bicycle":{"price":19.95,"color":"red"},"fruit":[{"type":"apple"}]}}') AS t(raw)`,
    "19.95, apple, red",
  ],
  ["SELECT offset FROM VALUES (7) AS t(offset)", "7"],
  ["SELECT x FROM VALUES (2), (NULL), (1) AS t(x) ORDER BY x", "NULL | 1 | 2"],
  ["SELECT x FROM VALUES (2), (NULL), (1) AS t(x) ORDER BY x DESC", "2 | 1 | NULL"],
];

Deno.test("spark functions: the reference's examples give the reference's results", async () => {
  await withDb(":memory:", async (conn) => {
    await installSparkFunctions(conn);
    const wrong: string[] = [];
    for (const [spark, expected] of CASES) {
      const sql = /^\s*select\b/i.test(spark) ? spark : `SELECT ${spark}`;
      try {
        const got = await run(conn, sql);
        if (got !== expected) wrong.push(`${spark}\n   got ${got}\n  want ${expected}`);
      } catch (e) {
        wrong.push(`${spark}\n  failed: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    assert.deepEqual(wrong, [], `\n${wrong.join("\n")}`);
  });
});

Deno.test("spark functions: columns without an alias are named as Spark names them", async () => {
  await withDb(":memory:", async (conn) => {
    await installSparkFunctions(conn);
    const sql = duck(
      `SELECT d, t.d, year(d), dayofweek(d), count(*), a + 1, upper('x'), a AS b, a c,
         element_at(arr, 1), CAST(a AS STRING)
       FROM VALUES ('2024-06-01', 1, array(1, 2)) AS t(d, a, arr) GROUP BY ALL`,
    );
    const rows = (await conn.runAndReadAll(`DESCRIBE (${sql})`)).getRowObjectsJS();
    assert.deepEqual(rows.map((r) => r.column_name), [
      "d",
      "d",
      "year(d)",
      "dayofweek(d)",
      "count(1)",
      "(a + 1)",
      "upper(x)",
      "b",
      "c",
      "element_at(arr, 1)",
      "CAST(a AS STRING)",
    ]);
    const gen = duck("SELECT explode(arr), posexplode(arr) FROM VALUES (array(1, 2)) AS t(arr)");
    const cols = (await conn.runAndReadAll(`DESCRIBE (${gen})`)).getRowObjectsJS();
    assert.deepEqual(cols.map((r) => r.column_name), ["col", "pos", "col"]);
  });
});

Deno.test("spark functions: dayofweek counts Sunday as 1, so is_weekend is right", async () => {
  await withDb(":memory:", async (conn) => {
    await installSparkFunctions(conn);
    const got = await run(
      conn,
      `SELECT d, dayofweek(d) AS dow, dayofweek(d) IN (1, 7) AS is_weekend
       FROM VALUES ('2024-06-01'), ('2024-06-02'), ('2024-06-03'), ('2024-06-07') AS t(d)
       ORDER BY d`,
    );
    assert.equal(
      got,
      "2024-06-01, 7, true | 2024-06-02, 1, true | 2024-06-03, 2, false | 2024-06-07, 6, false",
    );
  });
});

Deno.test("spark functions: ANSI mode makes bad casts and division by zero errors; legacy gives NULL", async () => {
  await withDb(":memory:", async (conn) => {
    await installSparkFunctions(conn);
    const legacy = { ansi: false };
    assert.equal(
      await run(conn, "SELECT cast('' AS FLOAT), 1/0, 1 % 0, int('x')", legacy),
      "NULL, NULL, NULL, NULL",
    );
    assert.equal(await run(conn, "SELECT try_cast('' AS FLOAT), try_divide(1, 0)"), "NULL, NULL");
    assert.equal(await run(conn, "SELECT size(NULL)", legacy), "-1");
    assert.equal(await run(conn, "SELECT size(NULL)"), "NULL");
    assert.equal(await run(conn, "SELECT element_at(array(1, 2, 3), 5)", legacy), "NULL");
    assert.equal(await run(conn, "SELECT array(1, 2, 3)[3]", legacy), "NULL");
    for (
      const [sql, message] of [
        ["SELECT cast('' AS FLOAT)", /Could not convert/],
        ["SELECT 1/0", /DIVIDE_BY_ZERO/],
        ["SELECT 1 % 0", /REMAINDER_BY_ZERO/],
        ["SELECT int('x')", /Could not convert/],
        ["SELECT boolean('maybe')", /CAST_INVALID_INPUT/],
        ["SELECT date('not a date')", /date/i],
        ["SELECT element_at(array(1, 2, 3), 5)", /INVALID_ARRAY_INDEX_IN_ELEMENT_AT/],
        ["SELECT element_at(array(1, 2, 3), 0)", /INVALID_INDEX_OF_ZERO/],
        ["SELECT array(1, 2, 3)[3]", /INVALID_ARRAY_INDEX/],
      ] as const
    ) {
      await assert.rejects(run(conn, sql), message, sql);
    }
  });
});

Deno.test("spark functions: a function without Spark's meaning here is an error naming it and its line", () => {
  for (
    const [sql, message] of [
      ["SELECT 1,\n  hash('Spark')", /spark\.sql:2: dataset t: hash\(\) is Spark's Murmur3/],
      ["SELECT\n\n  soundex(name) FROM t", /spark\.sql:3: .*function soundex\(\) is not supported/],
      ["SELECT sha2('x', 512)", /only 256 bits/],
      ["SELECT date_format(ts, 'yyyy-MM-dd G')", /pattern letter 'G'/],
      ["SELECT regexp_extract(s, '(?<=a)b', 0)", /lookaround/],
      ["SELECT get_json_object(j, '$.a[*]')", /wildcard/],
      ["SELECT x FROM t LATERAL VIEW json_tuple(j, 'a') v AS a", /LATERAL VIEW json_tuple\(\)/],
    ] as const
  ) {
    assert.throws(() => duck(sql), (e: unknown) => {
      assert.ok(e instanceof PipelineError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("spark functions: a pipeline reads a field through an array of structs as Spark does", async () => {
  const ws = await workspace();
  try {
    await writeLakeFile(
      ws.lake,
      "raw/w/0001.json",
      [
        { city: "Oslo", weather: [{ main: "Rain", id: 500 }, { main: "Mist", id: 701 }] },
        { city: "Rome", weather: [{ main: "Clear", id: 800 }] },
      ].map((x) => JSON.stringify(x)).join("\n") + "\n",
    );
    const pipeline = parsePipeline(
      `CREATE OR REFRESH STREAMING TABLE w AS
       SELECT city, weather.main AS mains, size(weather) AS n, weather[0].main AS first
       FROM STREAM read_files('raw/w', format => 'json')`,
      "w.sql",
    );
    await runUpdate({ pipeline, lake: ws.lake, db: ws.db });
    await withDb(ws.db, async (conn) => {
      const rows = await query(conn, "SELECT city, mains, n, first FROM w ORDER BY city");
      assert.deepEqual(rows.map((r) => [r.city, r.mains, Number(r.n), r.first]), [
        ["Oslo", ["Rain", "Mist"], 2, "Rain"],
        ["Rome", ["Clear"], 1, "Clear"],
      ]);
    });
  } finally {
    await ws.remove();
  }
});
