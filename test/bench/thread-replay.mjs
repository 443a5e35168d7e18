// Section (f)'s second replay: the captured messages run through the collector's real write-thread
// script (collector/dist/write-worker-thread.mjs) in a worker thread, with the settings the
// collector gives it (checkpoints, page cache, synchronous = FULL), timed by the thread's own CPU.
// Live CPU per event moves with the machine's load and with the timing of the groups; one capture
// replayed several times, interleaved, compares engines on exactly the same statements.
//
// BENCH_PAGES_DRIVER=<folder of a package> replays the same capture, interleaved, through a copy
// of the script that imports that package instead of `libsql`: any binding with better-sqlite3's
// API (the `libsql` package has it), e.g. better-sqlite3 installed outside the project
// (docs/architecture.md, "The binding": what that measured and why the collector stays on libsql).
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

const THREAD_SCRIPT = new URL("../../collector/dist/write-worker-thread.mjs", import.meta.url);
const WORKER_SOURCE = new URL("../../collector/src/db/write-worker.ts", import.meta.url);
const ENGINE_IMPORT = 'import Database from "libsql";';

/**
 * What the collector gives its write thread (write-worker.ts): the checkpoint interval and the page
 * cache, read from its source once, so the replay cannot drift from it.
 */
function workerSettings() {
  settingsRead ??= readWorkerSettings();
  return settingsRead;
}
let settingsRead;

function readWorkerSettings() {
  const source = readFileSync(WORKER_SOURCE, "utf8");
  const setting = (name) => {
    const match = source.match(new RegExp(`export const ${name} = ([\\d_]+);`));
    if (!match) throw new Error(`${name} not found in ${WORKER_SOURCE.pathname}`);
    return Number(match[1].replaceAll("_", ""));
  };
  return { checkpointIntervalMs: setting("CHECKPOINT_INTERVAL_MS"), cacheKib: setting("WRITE_CACHE_KIB") };
}

/** Whether a statement's SQL text is ingest's insert of an event row: one per ingested event. */
export function isEventInsert(text) {
  return text.startsWith('insert into "events"');
}

/**
 * The captured message lines of each phase (name → lines, in order), parsed once for every replay:
 * per phase its messages, the answers the thread owes for them (a commit or an abort each) and its
 * events. A message names its statements' SQL texts by number; a text is sent once, so the count
 * reads the texts of earlier phases too.
 */
export function parsePhases(phases) {
  const texts = [];
  return Object.fromEntries(
    Object.entries(phases).map(([name, lines]) => {
      const messages = lines.map((line) => JSON.parse(line)).filter((message) => !message.close);
      let events = 0;
      for (const { texts: sent, ops } of messages) {
        if (sent) texts.push(...sent);
        for (let i = 0; ops && i < ops.length; i += 2 + ops[i + 1]) {
          if (isEventInsert(texts[ops[i]] ?? "")) events++;
        }
      }
      const answers = messages.filter((message) => message.last || message.abort).length;
      return [name, { messages, answers, events }];
    }),
  );
}

/** This process's threads (Linux): none where there is no /proc, and CPU times are then not read. */
function tasks() {
  return existsSync("/proc/self/task") ? readdirSync("/proc/self/task") : [];
}

/** The CPU seconds a thread of this process used (Linux, 10 ms ticks); NaN without its task. */
function threadCpuSeconds(tid) {
  const file = `/proc/self/task/${tid}/stat`;
  // No /proc, or a thread already gone: the replay itself says what became of it.
  if (tid === undefined || !existsSync(file)) return Number.NaN;
  const stat = readFileSync(file, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The thread script for `driver` (a package folder), or the collector's own for none: a copy, in
 * `dir`, whose engine import names the package's entry instead of `libsql`.
 */
export function threadScriptFor(driver, dir) {
  if (!driver) return THREAD_SCRIPT;
  const source = readFileSync(THREAD_SCRIPT, "utf8");
  if (!source.includes(ENGINE_IMPORT))
    throw new Error(`${THREAD_SCRIPT.pathname} no longer imports its engine as \`${ENGINE_IMPORT}\``);
  const entry = createRequire(join(resolve(driver), "package.json")).resolve(resolve(driver));
  const copy = join(dir, "write-worker-thread-driver.mjs");
  writeFileSync(
    copy,
    source.replace(ENGINE_IMPORT, `import Database from ${JSON.stringify(pathToFileURL(entry).href)};`),
  );
  return pathToFileURL(copy);
}

/**
 * Runs `phases` (from parsePhases) through the thread script on a copy of `template`; per phase,
 * the write thread's CPU µs and wall µs per event. Every message of a phase is posted at once: the
 * thread runs its queue flat out, answering each commit and checkpointing after one as it does in
 * the collector.
 */
export async function replayThroughThread({ script, template, dir, phases }) {
  const path = join(dir, `replay-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(template, path);
  const before = new Set(tasks());
  const worker = new Worker(script, {
    workerData: {
      path,
      timeoutMs: 10_000,
      ...workerSettings(),
    },
  });
  const failures = [];
  let answered = 0;
  let waiting;
  worker.on("message", (answer) => {
    if (answer.ok === false) failures.push(answer.error?.message);
    answered++;
    waiting?.();
  });
  const exited = new Promise((resolve, reject) => {
    worker.on("error", reject);
    worker.on("exit", resolve);
  });
  // A thread that dies (a binding that fails to load, a crash) ends the replay instead of hanging it.
  const unlessGone = (promise) =>
    Promise.race([
      promise,
      exited.then((code) => {
        throw new Error(`the write thread exited (${code}) during the replay`);
      }),
    ]);
  try {
    await unlessGone(new Promise((resolve) => worker.once("online", resolve)));
    // The write thread's task: the one that appeared with the worker (none without /proc).
    const [tid] = tasks().filter((task) => !before.has(task));
    const figures = {};
    for (const [name, { messages, answers, events }] of Object.entries(phases)) {
      answered = 0;
      const cpu = threadCpuSeconds(tid);
      const started = performance.now();
      const done = new Promise((resolve) => {
        waiting = () => answered >= answers && resolve();
      });
      for (const message of messages) worker.postMessage(message);
      await unlessGone(done);
      figures[name] = {
        events,
        cpu_us: ((threadCpuSeconds(tid) - cpu) * 1e6) / events,
        wall_us: ((performance.now() - started) * 1000) / events,
      };
    }
    if (failures.length) throw new Error(`the replay failed: ${failures[0]}`);
    return figures;
  } finally {
    worker.postMessage({ close: true });
    await exited.catch(() => {});
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
  }
}
