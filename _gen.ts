import { makeEvents } from "./tools/make-sample.ts";
for (let f = 0; f < 100; f++) await Deno.writeTextFile(`/tmp/df/b1m/raw/x/date=2026-11-20/${String(f).padStart(4,"0")}.ndjson`, makeEvents(10000, 11, f * 10000).join("\n") + "\n");
