/**
 * Terminal polish: every command reports an unknown flag in one style and exits 2;
 * `deno task bench --help` works; `deno task test` repeats the tests' warnings at the end.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/config.ts";

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

Deno.test("cli: an unknown flag is one line in one style, exit 2, for every command", async () => {
  for (const command of ["pipeline", "ingest", "dataflow", "sentiment", "eval-sentiment"]) {
    const r = await run(["run", "-A", "cli.ts", command, "--bogus"]);
    assert.equal(r.code, 2, `${command}: ${r.err}`);
    assert.equal(r.err.trim(), `error: unknown flag --bogus (see deno task ${command} --help)`);
  }
  const bench = await run(["run", "-A", "bench/run.ts", "--bogus"]);
  assert.equal(bench.code, 2);
  assert.equal(bench.err.trim(), "error: unknown flag --bogus (see deno task bench --help)");
  const value = await run(["run", "-A", "cli.ts", "pipeline", "--lake"]);
  assert.equal(value.err.trim(), "error: --lake needs a value (see deno task pipeline --help)");
});

Deno.test("cli: deno task bench --help prints its usage and runs nothing", async () => {
  const r = await run(["task", "bench", "--help"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^usage: deno task bench \[name…\]/m);
  assert.match(r.out, /Names: .*dataflow.*ingest.*sentiment/);
  assert.ok(!r.out.includes('"bench"'), "no benchmark ran");
});

Deno.test("deno task test: warnings the tests record are repeated at the end of the run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-warn-" });
  try {
    const test = join(dir, "w_test.ts");
    await Deno.writeTextFile(
      test,
      `import { recordTestWarning } from "${join(REPO_ROOT, "tests/support/warnings.ts")}";\n` +
        `Deno.test("records", () => recordTestWarning("kernel path NOT exercised: no jupyter"));\n`,
    );
    const r = await run(["run", "-A", "tools/test.ts", test]);
    assert.equal(r.code, 0, r.err);
    const tail = r.err.trim().split("\n").slice(-2).join("\n");
    assert.equal(
      tail,
      "warnings from the tests (1):\n  warning: kernel path NOT exercised: no jupyter",
    );
    const failing = join(dir, "f_test.ts");
    await Deno.writeTextFile(failing, 'Deno.test("fails", () => { throw new Error("no"); });\n');
    assert.equal((await run(["run", "-A", "tools/test.ts", failing])).code, 1, "status kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("first run: deno task -q sets up node_modules without the Initialize lines or the build-scripts box", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-fresh-" });
  try {
    // A fresh checkout's files (no node_modules), as `git clone` leaves them.
    for (const f of ["deno.json", "deno.lock", "cli.ts"]) {
      await Deno.copyFile(join(REPO_ROOT, f), join(dir, f));
    }
    for (const d of ["lib", "pipelines"]) {
      await new Deno.Command("cp", { args: ["-r", join(REPO_ROOT, d), join(dir, d)] }).output();
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "pipeline", "--help"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    assert.ok(Deno.statSync(join(dir, "node_modules")).isDirectory, "node_modules set up");
    assert.equal(err, "", "nothing on stderr: no Initialize lines, no Ignored build scripts box");
    assert.match(new TextDecoder().decode(out.stdout), /^usage: deno task pipeline/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
