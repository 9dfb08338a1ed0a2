/**
 * The continuous run's trigger loop: cycles never overlap, a burst of notifications is
 * coalesced into one cycle, cycles start at most once per interval, a stop with drain
 * runs the cycle still owed, and a stop without drain starts none.
 */
import assert from "node:assert/strict";
import { TriggerLoop } from "../lib/live/trigger.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A cycle that records its start and end and takes `ms`. */
function recorder(ms: number) {
  const runs: { start: number; end: number }[] = [];
  let active = 0;
  let maxActive = 0;
  return {
    runs,
    get maxActive() {
      return maxActive;
    },
    cycle: async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      const start = performance.now();
      await sleep(ms);
      runs.push({ start, end: performance.now() });
      active--;
    },
  };
}

Deno.test("trigger: notifications while a cycle runs never start a second one at the same time", async () => {
  const rec = recorder(60);
  const loop = new TriggerLoop({ intervalMs: 0, cycle: rec.cycle });
  loop.start();
  const t0 = performance.now();
  for (let i = 0; i < 40; i++) {
    loop.notify();
    await sleep(5);
  }
  const notifying = performance.now() - t0;
  await loop.stop({ drain: true });
  assert.equal(rec.maxActive, 1, "cycles overlapped");
  for (let i = 1; i < rec.runs.length; i++) {
    assert.ok(rec.runs[i].start >= rec.runs[i - 1].end, `cycle ${i} started before ${i - 1} ended`);
  }
  // Notifications every 5 ms (≈ 200 ms, longer on a loaded machine), 60 ms cycles: one cycle
  // per 60 ms of notifying plus the one owed at the stop, never one per notification.
  const most = Math.ceil(notifying / 60) + 2;
  assert.ok(
    rec.runs.length >= 2 && rec.runs.length <= Math.min(most, 39),
    `${rec.runs.length} cycles in ${notifying.toFixed(0)} ms of notifications`,
  );
});

Deno.test("trigger: a burst of files is coalesced into one cycle", async () => {
  const rec = recorder(10);
  const loop = new TriggerLoop({ intervalMs: 100, cycle: rec.cycle });
  loop.start();
  loop.notify(); // first cycle at once
  await sleep(30);
  for (let i = 0; i < 50; i++) loop.notify(); // a burst of 50 files while waiting for the interval
  await sleep(250);
  assert.equal(rec.runs.length, 2, "one cycle for the first file, one for the whole burst");
  await loop.stop();
  assert.equal(loop.cycles, 2);
});

Deno.test("trigger: cycles start at most once per interval", async () => {
  const rec = recorder(5);
  const loop = new TriggerLoop({ intervalMs: 80, cycle: rec.cycle });
  loop.start();
  const until = performance.now() + 400;
  while (performance.now() < until) {
    loop.notify();
    await sleep(3);
  }
  await loop.stop();
  assert.ok(rec.runs.length >= 3, `${rec.runs.length} cycles in 400 ms`);
  for (let i = 1; i < rec.runs.length; i++) {
    const gap = rec.runs[i].start - rec.runs[i - 1].start;
    assert.ok(gap >= 79, `cycles ${i - 1} and ${i} started ${gap.toFixed(1)} ms apart`);
  }
});

Deno.test("trigger: no notification, no cycle; stop with drain runs the one owed, without drain none", async () => {
  const rec = recorder(5);
  const loop = new TriggerLoop({ intervalMs: 50, cycle: rec.cycle });
  loop.start();
  await sleep(80);
  assert.equal(rec.runs.length, 0);
  loop.notify();
  await sleep(20);
  loop.notify(); // owed, but the interval has not passed
  await loop.stop({ drain: true });
  assert.equal(rec.runs.length, 2);

  const rec2 = recorder(5);
  const loop2 = new TriggerLoop({ intervalMs: 50, cycle: rec2.cycle });
  loop2.start();
  loop2.notify();
  await sleep(20);
  loop2.notify();
  await loop2.stop();
  assert.equal(rec2.runs.length, 1, "no cycle starts after stop()");
});

Deno.test("trigger: a failing cycle goes to onError and the loop goes on; without onError stop() throws", async () => {
  const errors: unknown[] = [];
  let n = 0;
  const loop = new TriggerLoop({
    intervalMs: 0,
    cycle: () => {
      n++;
      return n === 1 ? Promise.reject(new Error("boom")) : Promise.resolve();
    },
    onError: (e) => errors.push(e),
  });
  loop.start();
  loop.notify();
  await sleep(20);
  loop.notify();
  await loop.stop({ drain: true });
  assert.equal(n, 2);
  assert.equal(errors.length, 1);

  const failing = new TriggerLoop({
    intervalMs: 0,
    cycle: () => Promise.reject(new Error("bad update")),
  });
  failing.start();
  failing.notify();
  await assert.rejects(failing.stop({ drain: true }), /bad update/);
});
