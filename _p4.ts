import { DuckDBInstance } from "@duckdb/node-api";
const i = await DuckDBInstance.create(":memory:");
const c = await i.connect();
async function q(s: string) { const t=performance.now(); try { const r = await c.runAndReadAll(s); console.log(((performance.now()-t)/1000).toFixed(2)+"s", s.slice(0,130).replace(/\s+/g," "), "=>", JSON.stringify(r.getRowObjectsJS(), (_k,v)=>typeof v==='bigint'?String(v):v).slice(0,100)); } catch (e) { console.log(s.slice(0,80), "ERR", String(e).slice(0,300)); } }
const g = "/tmp/df/b1m/raw/x/*/*.ndjson";
const csv = `read_csv('${g}', columns={'line':'VARCHAR'}, delim=chr(1), quote='', escape='', header=false, auto_detect=false, strict_mode=false, null_padding=true, max_line_size=134217728, filename=true)`;
await q(`create temp table l1 as select line, filename from ${csv}`);
await q(`create temp table l1b as select line, filename from ${csv}`);
await q(`create temp table l3 as select line, filename, json_valid(line) AS ok from l1`);
await q(`create temp table l4 as select line, filename, json_valid(line) AND (starts_with(line, '{') OR starts_with(ltrim(line), '{')) AS ok from l1 where line is not null and (starts_with(line, '{') OR trim(line) <> '')`);
const T = `STRUCT(data STRUCT(id VARCHAR, "text" VARCHAR, lang VARCHAR, author_id VARCHAR, created_at VARCHAR, conversation_id VARCHAR, public_metrics STRUCT(retweet_count BIGINT, reply_count BIGINT, like_count BIGINT, quote_count BIGINT)), includes STRUCT(users STRUCT(id VARCHAR, username VARCHAR, name VARCHAR)[]), matching_rules STRUCT(id VARCHAR, tag VARCHAR)[])`;
const S = JSON.stringify({data: {id: "VARCHAR", text: "VARCHAR", lang: "VARCHAR", author_id: "VARCHAR", created_at: "VARCHAR", conversation_id: "VARCHAR", public_metrics: {retweet_count: "BIGINT", reply_count: "BIGINT", like_count: "BIGINT", quote_count: "BIGINT"}}, includes: {users: [{id: "VARCHAR", username: "VARCHAR", name: "VARCHAR"}]}, matching_rules: [{id: "VARCHAR", tag: "VARCHAR"}]});
await q(`create temp table p1 as select CASE WHEN ok THEN try_cast(line::JSON AS ${T}) END s from l4`);
await q(`create temp table p2 as select CASE WHEN ok THEN json_transform(line, '${S}') END s from l4`);
await q(`create temp table p3 as select json_transform(line, '${S}') s from l4`);
await q(`select json_transform('{"m": {"a": 1}}', '{"m": "MAP(VARCHAR, BIGINT)"}') x`);
