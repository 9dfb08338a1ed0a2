import { DuckDBInstance } from "@duckdb/node-api";
const i = await DuckDBInstance.create("/tmp/df/p3.duckdb");
const c = await i.connect();
async function q(s: string) { const t=performance.now(); try { const r = await c.runAndReadAll(s); console.log(((performance.now()-t)/1000).toFixed(2)+"s", s.slice(0,110).replace(/\s+/g," "), "=>", JSON.stringify(r.getRowObjectsJS(), (_k,v)=>typeof v==='bigint'?String(v):v).slice(0,100)); } catch (e) { console.log(s.slice(0,80), "ERR", String(e).slice(0,300)); } }
const g = "/tmp/df/b1m/raw/x/*/*.ndjson";
const csv = `read_csv('${g}', columns={'line':'VARCHAR'}, delim=chr(1), quote='', escape='', header=false, auto_detect=false, strict_mode=false, null_padding=true, max_line_size=134217728, filename=true)`;
await q(`create temp table l1 as select line, filename from ${csv}`);
await q(`create temp table l2 as select line, filename, json_valid(line) AND starts_with(ltrim(line), '{') AS ok from ${csv} where line is not null and trim(line) <> ''`);
await q(`create table hb as select * from read_json('${g}', format='newline_delimited', union_by_name=true, ignore_errors=true, filename=true)`);
await q(`create table hb2 as select * from read_json('${g}', format='newline_delimited', ignore_errors=true, filename=true)`);
await q(`describe hb`);
