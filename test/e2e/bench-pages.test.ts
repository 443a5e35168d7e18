// The bench's pages section (test/bench/pages-section.mjs) captures the real collector's write
// thread and replays it: if the thread's messages change shape, or the wrapper stops seeing them,
// the section would print nothing or nonsense. A short run pins what it reports.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pagesSection } from "../bench/pages-section.mjs";

const dir = mkdtempSync(join(tmpdir(), "bench-pages-test-"));
const capture = join(dir, "capture.jsonl");
const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

interface Replay {
  events: number;
  cpu_us: number;
  wall_us: number;
}
type Section = {
  figures: Record<string, string>;
  extra: { thread_replay: Record<string, Array<Record<"singles" | "batches", Replay>>> };
};

async function section(env: Record<string, string>): Promise<Section> {
  process.env = { ...saved, BENCH_PAGES_SINGLE: "60", BENCH_PAGES_BATCHES: "2", ...env };
  return (await pagesSection.run({ log: () => {} })) as Section;
}

/** The page figures: exact for one capture (the timed replays' figures are times). */
async function pages(env: Record<string, string>): Promise<Record<string, string>> {
  const { figures } = await section(env);
  return Object.fromEntries(Object.entries(figures).filter(([key]) => !key.startsWith("write thread")));
}

/** A timed replay's CPU figure: µs where /proc gives threads' CPU times (Linux), "–" elsewhere. */
const CPU = existsSync("/proc/self/task") ? String.raw`[\d.]+` : "–";
/** "single events <cpu> / <wall>[ (<ratio>× libsql)] · batches …" */
const timed = (ratio: boolean) => {
  const half = String.raw`${CPU} \/ [\d.]+${ratio ? String.raw` \([\d.]+× libsql\)` : ""}`;
  return new RegExp(String.raw`^single events ${half} · batches ${half} \(median of 1\)$`);
};

/** "8.65 pages per event, …" → 8.65 */
const perEvent = (figure: string | undefined) => Number(figure?.split(" ")[0]);

describe("bench pages section", () => {
  it("counts the pages each half wrote, by b-tree, and gives the same count for the same capture", async () => {
    const copies = () =>
      readdirSync(join(__dirname, "../../collector")).filter((name) => name.startsWith(".bench-pages-"));
    const copiesBefore = copies();
    const first = await pages({ BENCH_PAGES_CAPTURE: capture });
    expect(existsSync(capture)).toBe(true);
    // 60 single events, then 2 batches of 500: every event is one `events` row.
    expect(first["single events"]).toMatch(
      /^\d+\.\d\d pages per event, \d+ per commit \(\d+ commits of [\d.]+ events\)$/,
    );
    expect(first.batches).toMatch(/\(\d+ commits of [\d.]+ events\)$/);
    const commits = first.batches?.match(/\((\d+) commits of ([\d.]+) events\)/);
    expect(Number(commits?.[1]) * Number(commits?.[2])).toBeCloseTo(1000, 0);
    expect(perEvent(first["single events"])).toBeGreaterThan(perEvent(first.batches));
    expect(first["single events, pages per event by b-tree"]).toMatch(/(^| · )events \d+\.\d\d/);
    expect(first["single events, pages per event by b-tree"]).toMatch(/deployments_lifecycle_idx \d/);
    // The copy of collector/dist the capture ran from is gone.
    expect(copies()).toEqual(copiesBefore);

    const again = await pages({ BENCH_PAGES_CAPTURE: capture });
    expect(again).toEqual(first);
  }, 180_000);

  it("times the capture through the write thread's own script, and through another binding's copy", async () => {
    // The `libsql` package stands in for another binding with better-sqlite3's API: the copy of
    // the thread script that imports it by path runs the same statements.
    const driver = join(__dirname, "../../node_modules/libsql");
    const { figures, extra } = await section({ BENCH_PAGES_CAPTURE: capture, BENCH_PAGES_DRIVER: driver });
    const own = figures["write thread, replayed (libsql), CPU / wall µs per event"];
    expect(own).toMatch(timed(false));
    expect(figures[`write thread, replayed (${driver}), CPU / wall µs per event`]).toMatch(timed(true));
    // Every event of the capture ran, in each half, on both.
    for (const runs of Object.values(extra.thread_replay)) {
      expect(runs[0]?.singles.events).toBe(60);
      expect(runs[0]?.batches.events).toBe(1000);
      expect(runs[0]?.batches.wall_us).toBeGreaterThan(0);
    }
  }, 180_000);

  it("replays the same capture on a changed schema", async () => {
    const change = join(dir, "change.sql");
    writeFileSync(change, "DROP INDEX deployments_lifecycle_idx;");
    const before = await pages({ BENCH_PAGES_CAPTURE: capture });
    const after = await pages({ BENCH_PAGES_CAPTURE: capture, BENCH_PAGES_SQL: change });
    expect(after["schema change replayed"]).toBe(change);
    expect(after["single events, pages per event by b-tree"]).not.toMatch(/deployments_lifecycle_idx/);
    expect(perEvent(after["single events"])).toBeLessThan(perEvent(before["single events"]));
  }, 180_000);

  it("times the changed schema beside the one as built", async () => {
    const change = join(dir, "change.sql");
    writeFileSync(change, "DROP INDEX deployments_lifecycle_idx;");
    const { figures, extra } = await section({ BENCH_PAGES_CAPTURE: capture, BENCH_PAGES_SQL: change });
    expect(figures[`write thread, replayed (libsql, ${change}), CPU / wall µs per event`]).toMatch(
      timed(true),
    );
    expect(Object.keys(extra.thread_replay)).toEqual(["libsql", `libsql, ${change}`]);
    for (const runs of Object.values(extra.thread_replay)) expect(runs[0]?.batches.events).toBe(1000);
  }, 180_000);
});
