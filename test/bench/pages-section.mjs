// Bench section (f): the pages an ingested event writes, by b-tree. A commit's cost in the write
// thread follows the pages it appends to the WAL (docs/architecture.md, "What a commit costs"),
// and unlike events/s on a shared machine, that count does not move from one run to the next.
//
// A collector runs with its write thread's script wrapped so that every message the thread gets
// (the SQL texts and bound values of each transaction, in order) is also appended to a file. That
// collector takes 5,000 single-event requests (50 connections), then 40 batches of BATCH_SIZE
// events (2 in flight). The messages are then replayed, as the write thread runs
// them, into a fresh database built by the collector's migrations, with checkpoints off: the WAL
// then holds every frame each commit wrote, and SQLite's `dbstat` names the b-tree of each page.
//
// BENCH_PAGES_CAPTURE=<file> keeps the capture (or replays that file if it exists, without a
// collector run), and BENCH_PAGES_SQL=<file> runs that SQL on the fresh database before the replay:
// the same writes measured against another schema (an index dropped, reordered…).
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "libsql";
import { median, runLoad } from "./load.mjs";
import { COLLECTOR_ENTRY, makeTempDir, startCollector } from "./servers.mjs";
import { isEventInsert, parsePhases, replayThroughThread, threadScriptFor } from "./thread-replay.mjs";
import { BATCH_SIZE, batchRequest, singleEventRequest } from "./workload.mjs";

/** How many single events, then how many batches (BENCH_PAGES_SINGLE, BENCH_PAGES_BATCHES: a test's shorter run). */
function loadSize() {
  const count = (name, fallback) => {
    const raw = process.env[name];
    const value = raw === undefined || raw === "" ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  return { singles: count("BENCH_PAGES_SINGLE", 5_000), batches: count("BENCH_PAGES_BATCHES", 40) };
}
/** How many b-trees each phase lists, largest share first. */
const LISTED = 10;

const COLLECTOR_DIR = fileURLToPath(new URL("../../collector/", import.meta.url));
const THREAD_SCRIPT = new URL("../../collector/dist/write-worker-thread.mjs", import.meta.url);

/**
 * A copy of the built collector whose write thread also appends its messages to `capture`, and how
 * to remove it. It lives in the collector's folder, as dist/ does, so that it finds the migrations
 * and the packages as the real one does. Its thread script imports the capture first, then the
 * real thread: modules run in import order, so each message is written down before the thread
 * runs it (and answers it).
 */
function capturingCollector(capture) {
  const dir = makeTempDir(".bench-pages-", COLLECTOR_DIR);
  const dist = join(dir, "dist");
  cpSync(join(COLLECTOR_DIR, "dist"), dist, { recursive: true });
  writeFileSync(
    join(dist, "capture-messages.mjs"),
    [
      `import { appendFileSync } from "node:fs";`,
      `import { parentPort } from "node:worker_threads";`,
      `parentPort.on("message", (message) => appendFileSync(${JSON.stringify(capture)}, JSON.stringify(message) + "\\n"));`,
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dist, "write-worker-thread.mjs"),
    `import "./capture-messages.mjs";\nimport ${JSON.stringify(THREAD_SCRIPT.href)};\n`,
  );
  return { entry: join(dist, "server.js"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the load on a capturing collector; returns the capture's size (bytes) when the batches began. */
async function capture(file, log) {
  const { singles, batches } = loadSize();
  const copy = capturingCollector(file);
  const collector = await startCollector({ entry: copy.entry }).catch((error) => {
    copy.remove();
    throw error;
  });
  try {
    log(`  capturing ${singles.toLocaleString("en-US")} single events…`);
    await runLoad(collector, { amount: singles, connections: 50, request: singleEventRequest });
    // Every group's messages are sent before its requests are answered: the singles are all in.
    const boundary = existsSync(file) ? statSync(file).size : 0;
    log(`  capturing ${batches} batches of ${BATCH_SIZE}…`);
    await runLoad(collector, {
      amount: batches,
      connections: 2,
      request: batchRequest,
      firstIndex: Math.ceil(singles / BATCH_SIZE),
    });
    return boundary;
  } finally {
    await collector.stop();
    copy.remove();
  }
}

/** An empty database as the collector's migrations leave it, its WAL folded into the file. */
async function freshDatabase(dir) {
  const path = join(dir, "template.db");
  const collector = await startCollector({ env: { DATABASE_URL: `file:${path}` } });
  await collector.stop();
  const db = new Database(path);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return path;
}

/** Runs `sql` on the database file at `path`, its WAL folded back into the file. */
function changeSchema(path, sql) {
  const db = new Database(path);
  db.exec(sql);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}

/**
 * Replays the captured messages as the write thread runs them (write-worker-thread.mjs), noting
 * the WAL pages each commit appended, and names each page's b-tree from `dbstat` at the end (a
 * page freed and used again by another b-tree would count for the last; ingest deletes nothing).
 */
function replay(path, lines, sql) {
  const db = new Database(path);
  db.exec("PRAGMA journal_mode = WAL");
  if (sql) db.exec(sql);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.exec("PRAGMA wal_autocheckpoint = 0");
  const texts = [];
  const prepared = new Map();
  const commits = [];
  let open;
  let events = 0;
  let wal;
  let walOffset = 32;
  let pageSize = 0;
  const header = Buffer.alloc(24);
  lines.forEach((line, index) => {
    const message = JSON.parse(line);
    if (message.texts) texts.push(...message.texts);
    if (message.close) return;
    if (message.abort) {
      if (open === message.id && db.inTransaction) db.exec("ROLLBACK");
      open = undefined;
      return;
    }
    if (open !== message.id) {
      db.exec("BEGIN IMMEDIATE");
      open = message.id;
      events = 0;
    }
    const { ops } = message;
    for (let i = 0; i < ops.length; i += 2 + ops[i + 1]) {
      const text = texts[ops[i]];
      let statement = prepared.get(text);
      if (!statement) {
        statement = db.prepare(text);
        prepared.set(text, statement);
      }
      const values = ops.slice(i + 2, i + 2 + ops[i + 1]);
      if (statement.reader) statement.all(values);
      else statement.run(values);
      if (isEventInsert(text)) events++;
    }
    if (!message.last) return;
    db.exec("COMMIT");
    open = undefined;
    wal ??= openSync(`${path}-wal`, "r");
    if (!pageSize) {
      readSync(wal, header, 0, 24, 0);
      pageSize = header.readUInt32BE(8);
    }
    const size = fstatSync(wal).size;
    const pages = [];
    for (; walOffset + 24 + pageSize <= size; walOffset += 24 + pageSize) {
      readSync(wal, header, 0, 4, walOffset);
      pages.push(header.readUInt32BE(0));
    }
    commits.push({ line: index, events, pages });
  });
  const pageOwner = new Map(
    db
      .prepare("SELECT name, pageno FROM dbstat")
      .all()
      .map((row) => [row.pageno, row.name]),
  );
  if (wal !== undefined) closeSync(wal);
  db.close();
  return { commits, pageOwner };
}

function summarise(name, commits, pageOwner) {
  const events = commits.reduce((sum, c) => sum + c.events, 0);
  if (events === 0) return {};
  const byTree = new Map();
  let pages = 0;
  for (const commit of commits) {
    for (const page of commit.pages) {
      const tree = pageOwner.get(page) ?? "(freed)";
      byTree.set(tree, (byTree.get(tree) ?? 0) + 1);
      pages++;
    }
  }
  const listed = [...byTree]
    .sort((a, b) => b[1] - a[1])
    .slice(0, LISTED)
    .map(([tree, count]) => `${tree} ${(count / events).toFixed(2)}`);
  return {
    [name]:
      `${(pages / events).toFixed(2)} pages per event, ${Math.round(pages / commits.length)} per commit ` +
      `(${commits.length} commits of ${(events / commits.length).toFixed(1)} events)`,
    [`${name}, pages per event by b-tree`]: listed.join(" · "),
  };
}

export const pagesSection = {
  id: "pages",
  title: `(f) WAL pages per ingested event, by b-tree (a replay of the write thread's messages: single events, then batches of ${BATCH_SIZE})`,
  async run(context) {
    if (!existsSync(COLLECTOR_ENTRY))
      throw new Error(`${COLLECTOR_ENTRY} is missing: build the collector first`);
    const dir = makeTempDir("versioner-bench-pages-");
    const kept = process.env.BENCH_PAGES_CAPTURE;
    const file = kept || join(dir, "capture.jsonl");
    let boundary;
    const boundaryFile = `${file}.boundary`;
    if (kept && existsSync(kept)) {
      context.log(`  replaying ${kept}`);
      boundary = Number(readFileSync(boundaryFile, "utf8"));
    } else {
      boundary = await capture(file, context.log);
      if (kept) writeFileSync(boundaryFile, String(boundary));
    }
    const sqlFile = process.env.BENCH_PAGES_SQL;
    const sql = sqlFile ? readFileSync(sqlFile, "utf8") : undefined;
    // One read: the singles' messages are the capture's first `boundary` bytes.
    const captured = readFileSync(file);
    const singles = captured.subarray(0, boundary).toString("utf8").split("\n").filter(Boolean);
    const batches = captured.subarray(boundary).toString("utf8").split("\n").filter(Boolean);
    const template = await freshDatabase(dir);
    // The page replay writes into its database; the timed ones each start from a copy of the
    // schema as built and, with BENCH_PAGES_SQL, of the changed one.
    const asBuilt = join(dir, "as-built.db");
    copyFileSync(template, asBuilt);
    const changed = sql ? join(dir, "changed.db") : undefined;
    if (changed) {
      copyFileSync(template, changed);
      changeSchema(changed, sql);
    }
    const { commits, pageOwner } = replay(template, [...singles, ...batches], sql);
    const timed = await timedReplays(
      { asBuilt, changed, sqlFile, dir, singles, batches, rounds: context.settings?.rounds ?? 1 },
      context.log,
    );
    return {
      figures: {
        ...(sqlFile ? { "schema change replayed": sqlFile } : {}),
        ...summarise(
          "single events",
          commits.filter((c) => c.line < singles.length),
          pageOwner,
        ),
        ...summarise(
          "batches",
          commits.filter((c) => c.line >= singles.length),
          pageOwner,
        ),
        ...timed.figures,
      },
      extra: { thread_replay: timed.rounds },
    };
  },
};

/**
 * The capture replayed through the write thread's own script (thread-replay.mjs) on the schema as
 * built, and, interleaved with it, through BENCH_PAGES_DRIVER's copy of the script and on
 * BENCH_PAGES_SQL's schema when they are set, `rounds` times each; the medians of the thread's CPU
 * and wall time per event for each half, with each variant's ratio to the first.
 */
async function timedReplays({ asBuilt, changed, sqlFile, dir, singles, batches, rounds }, log) {
  const own = threadScriptFor(undefined, dir);
  const driver = process.env.BENCH_PAGES_DRIVER;
  const variants = [
    { name: "libsql", script: own, template: asBuilt },
    ...(driver ? [{ name: driver, script: threadScriptFor(driver, dir), template: asBuilt }] : []),
    ...(changed ? [{ name: `libsql, ${sqlFile}`, script: own, template: changed }] : []),
  ];
  const phases = parsePhases({ singles, batches });
  const results = variants.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    for (const [index, variant] of variants.entries()) {
      log(`  replay ${round}/${rounds} through the write thread (${variant.name})…`);
      const { script, template } = variant;
      results[index].push(await replayThroughThread({ script, template, dir, phases }));
    }
  }
  const figures = {};
  const medians = results.map((runs) => ({
    singles: medianOf(runs, "singles"),
    batches: medianOf(runs, "batches"),
  }));
  for (const [index, variant] of variants.entries()) {
    // Each half's CPU / wall µs, and its ratio to the first variant: of CPU times, or of wall
    // times where there are none (no /proc).
    const half = (phase) => {
      const mine = medians[index][phase];
      const first = medians[0][phase];
      const key = Number.isFinite(mine.cpu_us) ? "cpu_us" : "wall_us";
      const ratio = index === 0 ? "" : ` (${(mine[key] / first[key]).toFixed(2)}× libsql)`;
      return `${us(mine.cpu_us)} / ${us(mine.wall_us)}${ratio}`;
    };
    figures[`write thread, replayed (${variant.name}), CPU / wall µs per event`] =
      `single events ${half("singles")} · batches ${half("batches")} (median of ${rounds})`;
  }
  return {
    figures,
    rounds: Object.fromEntries(variants.map((variant, index) => [variant.name, results[index]])),
  };
}

/** µs with one decimal, or "–" for a figure this machine cannot give (CPU times without /proc). */
function us(value) {
  return Number.isFinite(value) ? value.toFixed(1) : "–";
}

function medianOf(runs, phase) {
  const pick = (key) => median(runs.map((run) => run[phase][key]));
  return { cpu_us: pick("cpu_us"), wall_us: pick("wall_us") };
}
