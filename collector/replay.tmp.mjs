// replay captured write-worker messages into a copy of a schema db, with variants
import fs from "node:fs";
import readline from "node:readline";
import Database from "libsql";
const [capture, base, out, ...flags] = process.argv.slice(2);
const opt = Object.fromEntries(flags.map((f) => f.split("=")));
for (const suf of ["", "-wal", "-shm"]) fs.rmSync(out + suf, { force: true });
fs.copyFileSync(base, out);
const db = new Database(out, { timeout: 5000 });
db.exec("PRAGMA journal_mode = WAL");
if (opt.sync) db.exec(`PRAGMA synchronous = ${opt.sync}`);
db.exec("PRAGMA wal_autocheckpoint = 0");
db.exec(`PRAGMA cache_size = -${opt.cache ?? 65536}`);
if (opt.setup) for (const s of fs.readFileSync(opt.setup, "utf8").split(";\n")) if (s.trim()) db.exec(s);
const interval = Number(opt.ckpt ?? 250);
const rewrite = opt.rewrite ? (await import(opt.rewrite)).default : (s) => s;
const prepared = new Map();
const texts = [];
const stats = new Map();
let events = 0, inTx = false, last = performance.now();
const add = (k, t) => { const a = stats.get(k) ?? [0, 0]; a[0]++; a[1] += t; stats.set(k, a); };
const rl = readline.createInterface({ input: fs.createReadStream(capture) });
const cpu0 = process.cpuUsage(); const t00 = performance.now(); let txs = 0;
for await (const line of rl) {
  const m = JSON.parse(line);
  if (m.close || m.abort) continue;
  if (!inTx) { db.exec("BEGIN IMMEDIATE"); inTx = true; }
  for (const t of m.texts) texts.push(rewrite(t));
  const { ops } = m;
  for (let i = 0; i < ops.length; ) {
    const sql = texts[ops[i]];
    if (sql === null) { i += 2 + ops[i + 1]; continue; }
    let st = prepared.get(sql); if (!st) { st = db.prepare(sql); prepared.set(sql, st); }
    const args = ops.slice(i + 2, i + 2 + ops[i + 1]);
    const t0 = performance.now();
    if (st.reader) st.all(args); else st.run(args);
    add(sql.slice(0, 60), performance.now() - t0);
    if (sql.startsWith('insert into "events"')) events++;
    i += 2 + ops[i + 1];
  }
  if (m.last) {
    let t0 = performance.now(); db.exec("COMMIT"); add("COMMIT", performance.now() - t0); inTx = false; txs++;
    if (performance.now() - last >= interval) { last = performance.now(); t0 = last; db.exec("PRAGMA wal_checkpoint(PASSIVE)"); add("CKPT", performance.now() - t0); }
  }
}
const wall = performance.now() - t00; const cpu = process.cpuUsage(cpu0);
console.log(`${flags.join(" ")}: ${events} events ${txs} txs; wall ${(1000 * wall / events).toFixed(1)} us/event, cpu ${((cpu.user + cpu.system) / events).toFixed(1)} us/event, wal ${(fs.statSync(out + "-wal").size / 1e6).toFixed(1)} MB, db ${(fs.statSync(out).size / 1e6).toFixed(1)} MB`);
if (opt.v) for (const [k, [n, t]] of [...stats].sort((a, b) => b[1][1] - a[1][1]).slice(0, 12)) console.log(`  ${(1000 * t / events).toFixed(1).padStart(6)} us/ev ${String(n).padStart(6)} ${k}`);
