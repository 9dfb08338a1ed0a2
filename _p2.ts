import { DuckDBInstance } from "@duckdb/node-api";
const dir = "/tmp/df/perf";
const i = await DuckDBInstance.create(":memory:");
const c = await i.connect();
async function q(s: string) { const t=performance.now(); try { const r = await c.runAndReadAll(s); console.log(((performance.now()-t)/1000).toFixed(2)+"s", s.slice(0,120).replace(/\s+/g," "), "=>", JSON.stringify(r.getRowObjectsJS(), (_k,v)=>typeof v==='bigint'?String(v):v).slice(0,150)); } catch (e) { console.log(s.slice(0,80), "ERR", String(e).slice(0,300)); } }
const files = Array.from({length: 14}, (_, k) => `'${dir}/f${String(k).padStart(3,"0")}.ndjson'`).join(",");
await q(`create temp table lines as select line, filename, json_valid(line) AND starts_with(ltrim(line), '{') AS ok from read_csv([${files}], columns={'line':'VARCHAR'}, delim=chr(1), quote='', escape='', header=false, auto_detect=false, strict_mode=false, null_padding=true, max_line_size=134217728, filename=true) where line is not null and trim(line) <> ''`);
await q(`SELECT count(*) FROM (SELECT DISTINCT json_structure(line)::VARCHAR AS s FROM lines WHERE ok AND (rowid % 3 = 0 OR rowid < 1000))`);
await q(`SELECT DISTINCT unnest(json_keys(line)) AS k FROM lines WHERE ok`);
const ty = (await c.runAndReadAll(`select json_structure(line) s from lines limit 1`)).getRowObjectsJS()[0].s;
console.log(ty);
await q(`create temp table p1 as select try_cast(line::JSON as STRUCT(data STRUCT(id VARCHAR, "text" VARCHAR, lang VARCHAR, author_id VARCHAR, created_at VARCHAR, public_metrics STRUCT(retweet_count BIGINT)), includes JSON, matching_rules JSON)) s, line from lines`);
await q(`create temp table p2 as select s.data, (s.data IS NULL AND coalesce(json_type(line, '$."data"') <> 'NULL', false)) m from p1`);
