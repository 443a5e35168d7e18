import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";

// Random sequences of deployment events (2 products × 3 environments, with and without
// Idempotency-Keys and invoke_ids, exact resends, reused keys, pauses longer than the repeat
// window) checked against a reference model of docs/api.md: every acknowledged event that is not
// a repeat is recorded, replays return the right response, and /state equals the model's state.

const ENVIRONMENTS = ["dev", "qa", "production"] as const;
const VERSIONS = ["1.0", "1.1", "2.0"] as const;
// "success" is an alias of "completed": the same event for the repeat rules.
const STATUSES = ["pending", "started", "completed", "success", "failed", "aborted"] as const;
const WINDOW_MS = 600_000;

type Status = "pending" | "started" | "completed" | "failed" | "aborted";
const normalize = (status: (typeof STATUSES)[number]): Status =>
  status === "success" ? "completed" : status;
const rank = (status: Status) => (status === "pending" ? 0 : status === "started" ? 1 : 2);
const isOpen = (status: Status) => rank(status) < 2;

interface EventSpec {
  product: number;
  environment: number;
  version: (typeof VERSIONS)[number];
  status: (typeof STATUSES)[number];
  deployedBy: "ana" | "bo" | null | undefined;
  invokeId: "run-1" | "run-2" | undefined;
}

type Step =
  | { type: "send"; event: EventSpec; keyed: boolean }
  | { type: "resend"; pick: number }
  | { type: "reuse-key"; pick: number; event: EventSpec }
  | { type: "wait" };

const eventSpec = fc.record({
  product: fc.integer({ min: 0, max: 1 }),
  environment: fc.integer({ min: 0, max: 2 }),
  version: fc.constantFrom(...VERSIONS),
  status: fc.constantFrom(...STATUSES),
  deployedBy: fc.constantFrom("ana" as const, "bo" as const, null, undefined),
  // Mostly plain scripts (the rules under test), sometimes CI runs naming themselves.
  invokeId: fc.constantFrom(undefined, undefined, undefined, "run-1" as const, "run-2" as const),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({ type: fc.constant("send" as const), event: eventSpec, keyed: fc.boolean() }),
  },
  { weight: 4, arbitrary: fc.record({ type: fc.constant("resend" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("reuse-key" as const), pick: fc.nat(), event: eventSpec }),
  },
  { weight: 1, arbitrary: fc.constant({ type: "wait" as const }) },
);

interface Request {
  body: Record<string, unknown>;
  key: string | undefined;
}

interface Response {
  status: number;
  replayed: boolean;
  body: Record<string, unknown> & { deployment_id?: string; status?: string; code?: string };
}

/** One deployment record as the model knows it; `id` is learned from the collector's first answer. */
interface ModelDeployment {
  id: string;
  cell: ModelCell;
  version: string;
  invoke: string | null;
  status: Status;
  // Model clock ticks: the collector's times in the same order.
  created: number;
  started: number | null;
  completed: number | null;
}

/** What `/state` shows of a deployment, as of the last time the cell took it. */
interface Shown {
  deployment_id: string;
  version: string;
  status: Status;
  at: number;
}

interface ModelCell {
  latest?: { hash: string; epoch: number; deployment: ModelDeployment; response: Response["body"] };
  /** The open deployment without invoke_id of each version (at most one). */
  open: Map<string, ModelDeployment>;
  current: Shown | null;
  last: Shown | null;
}

// When a deployment went live, or its latest known moment before that.
const timeOf = (d: ModelDeployment) => d.completed ?? d.started ?? d.created;

/** The reference: docs/api.md's rules, written as plainly as possible. */
class Model {
  readonly deployments: ModelDeployment[] = [];
  readonly cells = new Map<string, ModelCell>();
  readonly keys = new Map<string, { hash: string; response: Response["body"] }>();
  readonly versions = new Set<string>();
  recorded = 0;
  epoch = 0;
  time = 0;

  cell(product: string, environment: string): ModelCell {
    const key = `${product}/${environment}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { open: new Map(), current: null, last: null };
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** Checks the collector's answer to one request against the model, then applies it. */
  apply(request: Request, response: Response): void {
    const body = request.body;
    const status = normalize(body.status as (typeof STATUSES)[number]);
    const version = body.version as string;
    const invoke = (body.invoke_id as string | undefined) ?? null;
    const hash = JSON.stringify([
      body.product_name,
      body.environment_name,
      version,
      status,
      body.deployed_by ?? null,
      invoke,
    ]);
    const cell = this.cell(body.product_name as string, body.environment_name as string);

    if (request.key !== undefined) {
      const stored = this.keys.get(request.key);
      if (stored) {
        if (stored.hash !== hash) {
          expect(response.status).toBe(409);
          expect(response.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
          return;
        }
        expect(response).toEqual({ status: 200, replayed: true, body: stored.response });
        return;
      }
    } else if (cell.latest?.hash === hash && (invoke !== null || cell.latest.epoch === this.epoch)) {
      expect(response).toEqual({ status: 200, replayed: true, body: cell.latest.response });
      return;
    }

    expect(response.status).toBe(200);
    expect(response.replayed).toBe(false);
    this.recorded++;
    const now = ++this.time;
    // A run's record, or the open one without invoke_id, advanced only while it is the latest there.
    const matched =
      invoke === null
        ? cell.open.get(version)
        : this.deployments.find((d) => d.cell === cell && d.version === version && d.invoke === invoke);
    const advance = matched && (invoke !== null || cell.latest?.deployment === matched);
    if (matched && !advance) this.close(matched, now);
    let deployment: ModelDeployment;
    if (advance) {
      deployment = matched;
      expect(response.body.deployment_id).toBe(deployment.id);
      if (rank(status) >= rank(deployment.status)) {
        deployment.status = status;
        deployment.started ??= status === "started" ? now : null;
        if (!isOpen(status)) deployment.completed = now;
      }
    } else {
      deployment = {
        id: String(response.body.deployment_id),
        cell,
        version,
        invoke,
        status,
        created: now,
        started: status === "started" ? now : null,
        completed: isOpen(status) ? null : now,
      };
      expect(this.deployments.some((d) => d.id === deployment.id)).toBe(false);
      this.deployments.push(deployment);
    }
    const versionKey = `${body.product_name}/${version}`;
    if (invoke !== null && status === "completed" && this.versions.has(versionKey)) {
      const open = cell.open.get(version);
      if (open) this.close(open, now);
    }
    this.versions.add(versionKey);
    expect(response.body.status).toBe(deployment.status);
    if (invoke === null) {
      if (isOpen(deployment.status)) cell.open.set(version, deployment);
      else cell.open.delete(version);
    }
    this.show(deployment);
    cell.latest = { hash, epoch: this.epoch, deployment, response: response.body };
    if (request.key !== undefined) this.keys.set(request.key, { hash, response: response.body });
  }

  /** A superseded open deployment: closed as aborted. */
  close(deployment: ModelDeployment, now: number): void {
    deployment.status = "aborted";
    deployment.completed = now;
    deployment.cell.open.delete(deployment.version);
    if (deployment.cell.last?.deployment_id === deployment.id) this.show(deployment);
  }

  /** The cell moves `current` to a later completion and `last` to a later attempt, never back. */
  show(d: ModelDeployment): void {
    const cell = d.cell;
    const shown = { deployment_id: d.id, version: d.version, status: d.status, at: timeOf(d) };
    const same = (s: Shown | null) => s?.deployment_id === d.id;
    if (d.status === "completed" && (!cell.current || shown.at >= cell.current.at || same(cell.current)))
      cell.current = shown;
    if (!cell.last || same(cell.last) || shown.at >= cell.last.at) cell.last = shown;
  }

  /** The `/state` cell the collector should show. */
  expectedCell(product: string, environment: string) {
    const cell = this.cells.get(`${product}/${environment}`);
    const current = cell?.current;
    const last = cell?.last;
    return {
      current: current ? { version: current.version, deployment_id: current.deployment_id } : null,
      in_progress: last && isOpen(last.status) ? attempt(last) : null,
      failed: last && (last.status === "failed" || last.status === "aborted") ? attempt(last) : null,
    };
  }
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_DEDUP_WINDOW_SECONDS: String(WINDOW_MS / 1000) });
});
afterAll(() => t.close());

let run = 0;

async function runSequence(steps: Step[]): Promise<void> {
  run++;
  const products = [`prop-${run}-a`, `prop-${run}-b`];
  const model = new Model();
  const requests: Request[] = [];
  let keyCount = 0;
  const bodyOf = (spec: EventSpec): Record<string, unknown> => ({
    product_name: products[spec.product],
    version: spec.version,
    environment_name: ENVIRONMENTS[spec.environment],
    status: spec.status,
    ...(spec.deployedBy === undefined ? {} : { deployed_by: spec.deployedBy }),
    ...(spec.invokeId === undefined ? {} : { invoke_id: spec.invokeId }),
  });

  for (const s of steps) {
    let request: Request | undefined;
    if (s.type === "wait") {
      t.clock.advance(WINDOW_MS + 60_000);
      model.epoch++;
    } else if (s.type === "send") {
      request = { body: bodyOf(s.event), key: s.keyed ? `prop-${run}-${keyCount++}` : undefined };
    } else if (s.type === "resend") {
      request = requests[s.pick % Math.max(requests.length, 1)];
    } else {
      const keyed = requests.filter((r) => r.key !== undefined);
      const original = keyed[s.pick % Math.max(keyed.length, 1)];
      if (original) request = { body: bodyOf(s.event), key: original.key };
    }
    if (!request) continue;
    requests.push(request);
    const res = await t.call(
      "POST",
      "/deployment-events/",
      request.body,
      request.key === undefined ? {} : { headers: { "idempotency-key": request.key } },
    );
    model.apply(request, {
      status: res.status,
      replayed: res.headers.get("idempotent-replayed") === "true",
      body: res.body,
    });
  }

  const state = await t.call("GET", "/state");
  for (const product of products) {
    const row = state.body.products.find((p: { name: string }) => p.name === product);
    for (const environment of ENVIRONMENTS) {
      const cell = row?.cells.find((c: { environment_name: string }) => c.environment_name === environment);
      expect(
        {
          current: cell?.current ? pick(cell.current, ["version", "deployment_id"]) : null,
          in_progress: cell?.in_progress
            ? pick(cell.in_progress, ["version", "status", "deployment_id"])
            : null,
          failed: cell?.failed ? pick(cell.failed, ["version", "status", "deployment_id"]) : null,
        },
        `${product} in ${environment}`,
      ).toEqual(model.expectedCell(product, environment));
    }
  }
  const recorded = await t.database.client.execute({
    sql: "SELECT d.id, d.status FROM deployments d JOIN products p ON p.id = d.product_id WHERE p.name IN (?, ?)",
    args: products,
  });
  expect(Object.fromEntries(recorded.rows.map((r) => [r.id, r.status]))).toEqual(
    Object.fromEntries(model.deployments.map((d) => [d.id, d.status])),
  );
  const logged = await t.database.client.execute({
    sql: "SELECT count(*) AS n FROM events e JOIN products p ON p.id = e.product_id WHERE p.name IN (?, ?)",
    args: products,
  });
  expect(Number(logged.rows[0]?.n)).toBe(model.recorded);

  // Keep /state small for the next sequences.
  for (const product of products) {
    if (row(state, product)) await t.call("DELETE", `/products/${product}?confirm=${product}`);
  }
}

function attempt(shown: Shown) {
  return { version: shown.version, status: shown.status, deployment_id: shown.deployment_id };
}

function pick(value: Record<string, unknown>, keys: string[]) {
  return Object.fromEntries(keys.map((key) => [key, value[key]]));
}

function row(state: { body: { products: Array<{ name: string }> } }, product: string) {
  return state.body.products.find((p) => p.name === product);
}

describe("ingest against a reference model", () => {
  it("records every event that is not a repeat, and /state equals the model's", async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), runSequence), {
      seed: 20_261_129,
      numRuns: 200,
    });
  }, 300_000);
});
