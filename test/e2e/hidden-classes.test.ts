import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, SERVER_ENTRY, startCollector } from "../support/collector.ts";
import { type HttpReceiver, startHttpReceiver } from "../support/receivers.ts";

// Ingest must not make a hidden class (a V8 "map") per event. On Node 20's V8 an object literal
// that starts with a spread and then adds a key (`{ ...row, extra }`) gets a map of its own every
// time: about 2.5 µs to build, a map's memory for the collector, and every read of it afterwards
// misses the inline caches (docs/architecture.md, "Object literals on the hot path"). V8 logs each
// map transition (`--log-maps`) with the key it adds; a key that is added through a new transition
// for a good share of the events is such a literal. Every ingest route and per-event feature runs
// here: build and deployment events alone and in batches, an invoke_id's start and completion,
// rollbacks, the governance rules (report only, so nothing is refused), a release, a webhook
// channel and the public URL's deployment link; then pages of deployments and versions are read.
const ROUNDS = 20;
/** A key no other object has: the log's transitions after the one that adds it are counted. */
const MARKER = "warm_up_over_e2e_marker";

let collector: RunningCollector;
let hook: HttpReceiver;
let logDir: string;
let logFile: string;

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), "versioner-maps-"));
  logFile = join(logDir, "v8.log");
  hook = await startHttpReceiver();
  collector = await startCollector({
    nodeArgs: ["--log-maps", `--logfile=${logFile}`, "--no-logfile-per-isolate"],
    env: {
      VERSIONER_PUBLIC_URL: "https://versioner.example.test",
      VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true",
      VERSIONER_NOTIFY_POLL_MS: "50",
    },
  });
});
afterAll(async () => {
  await collector?.stop();
  await hook?.close();
  if (!process.env.KEEP_MAPS_LOG) rmSync(logDir, { recursive: true, force: true });
});

async function ok(method: string, path: string, body: unknown, status = 200) {
  const res = await api(collector, method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
}

const PRODUCTS = ["cart", "search", "billing"];
const ENVIRONMENTS = ["staging", "production", "qa"];

/** The events of one round: each product's new version built, started, completed in every environment. */
function round(n: number) {
  const events: Array<{ kind: "build" | "deployment"; event: Record<string, unknown> }> = [];
  for (const product_name of PRODUCTS) {
    const version = `1.${n}.0`;
    events.push({
      kind: "build",
      event: {
        product_name,
        version,
        status: "completed",
        scm_sha: `${n}`.padStart(40, "a"),
        invoke_id: `b-${n}`,
      },
    });
    for (const environment_name of ENVIRONMENTS) {
      const run = {
        product_name,
        version,
        environment_name,
        invoke_id: `d-${product_name}-${environment_name}-${n}`,
      };
      events.push({ kind: "deployment", event: { ...run, status: "started", deployed_by: "ana" } });
      events.push({
        kind: "deployment",
        event: { ...run, status: "completed", extra_metadata: { round: n } },
      });
    }
  }
  return events;
}

describe("hidden classes during ingest", () => {
  it("adds no key through a new map transition once per event or more often", async () => {
    for (const [name, type, settings] of [
      ["always", "schedule", { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" }],
      ["flow", "flow", { prerequisites: [{ environment: "staging", min_soak_minutes: 5 }] }],
      ["one at a time", "concurrency", {}],
      ["approved", "version_approval", { required_types: ["qa"] }],
    ] as const) {
      await ok(
        "POST",
        "/rules",
        { name, type, mode: "report_only", scope: { products: [], environments: [] }, settings },
        201,
      );
    }
    await ok(
      "POST",
      "/notification-channels",
      {
        name: "everything",
        kind: "webhook",
        url: hook.url,
        secret: "s",
        subscriptions: [{ event_types: ["*"] }],
      },
      201,
    );
    await ok("POST", "/events/batch", { events: round(0) });
    // The release's members are round 1's versions, built before it.
    await ok("POST", "/events/batch", { events: round(1).filter((item) => item.kind === "build") });
    await ok("POST", "/releases", { name: "spring", target_environments: ["production"] }, 201);
    for (const product_name of PRODUCTS) {
      await ok("POST", "/releases/spring/versions", { product_name, version: "1.1.0" }, 201);
    }

    let events = 0;
    for (let n = 1; n <= ROUNDS; n++) {
      const batch = round(n);
      if (n % 2 === 0) {
        await ok("POST", "/events/batch", { events: batch });
      } else {
        for (const { kind, event } of batch) {
          await ok("POST", kind === "build" ? "/build-events/" : "/deployment-events/", event);
        }
      }
      // A rollback: the round before's version again, in qa.
      await ok("POST", "/deployment-events/", {
        product_name: PRODUCTS[n % PRODUCTS.length],
        version: `1.${n - 1}.0`,
        environment_name: "qa",
        status: "completed",
      });
      if (n === 2) {
        // Both ways in (alone and in a batch) have run: the first objects of each shape are made.
        await ok("POST", "/deployment-events/", {
          product_name: "marker",
          version: "1.0.0",
          environment_name: "qa",
          status: "completed",
          extra_metadata: { [MARKER]: true },
        });
      } else if (n > 2) {
        events += batch.length + 1;
      }
    }
    // Pages of rows, as the dashboard and the CLI read them: no map per row either.
    for (let read = 0; read < 3; read++) {
      expect((await ok("GET", "/deployments?limit=100", undefined)).items).toHaveLength(100);
      expect((await ok("GET", "/versions?limit=50", undefined)).items).toHaveLength(50);
    }
    const body = await ok("GET", "/state", undefined);
    expect(body.products).toHaveLength(PRODUCTS.length + 1);

    // V8 writes its log as the process exits.
    expect(await collector.stop()).toBe(0);
    const { warm, transitions } = transitionsAfterMarker(readFileSync(logFile, "latin1"));
    expect(warm, "the marker's transition is in the log").toBe(true);
    // Once every shape has been made, keys are added through the same transitions again and
    // again: a key that the collector's code still adds through new ones for one event in ten is
    // a literal as above.
    const perEvent = [...transitions].filter(([, where]) => where.length >= events / 10);
    const report = Object.fromEntries(
      perEvent.map(([key, where]) => [key, `${where.length}× in ${where[0]}`]),
    );
    expect(report, `${events} events`).toEqual({});
  });
});

/**
 * The map transitions V8 logged after the marker's, by the key each adds, for those made by the
 * collector's own code (its bundle, SERVER_ENTRY): each with the function it was made in. Others
 * are left out: on a libSQL server, @libsql/hrana-client builds each statement's result as
 * `{ ...stmtResult, rows }`, and Node's web streams behind fetch make their own maps per request
 * (docs/architecture.md says what that costs).
 */
function transitionsAfterMarker(log: string): { warm: boolean; transitions: Map<string, string[]> } {
  // Code objects in the order V8 made them: a pc belongs to the latest one that spans it. A pc
  // looked up before is checked again only against the code made since.
  const code: Array<{ start: number; end: number; name: string }> = [];
  const lookedUp = new Map<string, { name: string; codeSeen: number }>();
  const whereIs = (pc: string) => {
    const before = lookedUp.get(pc);
    const address = Number.parseInt(pc, 16);
    let name = before?.name ?? "";
    for (let i = code.length - 1; i >= (before?.codeSeen ?? 0); i--) {
      const c = code[i];
      if (c && c.start <= address && address < c.end) {
        name = c.name;
        break;
      }
    }
    lookedUp.set(pc, { name, codeSeen: code.length });
    return name;
  };
  const transitions = new Map<string, string[]>();
  let warm = false;
  for (const line of log.split("\n")) {
    if (line.startsWith("code-creation,")) {
      // code-creation,<type>,<kind>,<time>,<start>,<size>,<name>[,…]
      const fields = line.split(",");
      const start = Number.parseInt(fields[4] ?? "", 16);
      code.push({ start, end: start + Number(fields[5]), name: fields.slice(6).join(",") });
    } else if (line.startsWith("map,Transition,")) {
      // map,Transition,<time>,<from>,<to>,<pc>,<line>,<column>,<reason>,<key>
      const fields = line.split(",");
      const key = fields.slice(9).join(",");
      if (key === MARKER) warm = true;
      if (!warm || key === MARKER) continue;
      const where = whereIs(fields[5] ?? "");
      if (!where.includes(SERVER_ENTRY)) continue;
      const made = transitions.get(key) ?? [];
      made.push(where.split(",")[0] ?? where);
      transitions.set(key, made);
    }
  }
  return { warm, transitions };
}
