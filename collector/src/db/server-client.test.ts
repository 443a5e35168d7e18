import { type Client, createClient } from "@libsql/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resultSnapshot } from "../testing/result-snapshot.ts";
import { type RunningSqld, SQLD_AVAILABLE, startSqld } from "../testing/sqld-server.ts";
import { CONCURRENT_CALLS, createServerClient } from "./server-client.ts";
import { serverFetch, streamFetch } from "./server-fetch.ts";

// A real sqld of its own, whatever VERSIONER_TEST_ENGINE says: the client exists for a libSQL server.

/** The requests a client sends, read on the wire: how many opened a stream, and a way to spoil a baton. */
class Wire {
  newStreams = 0;
  requests = 0;
  storedSql = 0;
  spoilNextBaton = false;

  /** serverFetch, for @libsql/client's calls; streamFetch, for the kept streams'. */
  readonly fetch = this.#counting(serverFetch(5_000)) as typeof fetch;
  readonly streamFetch = this.#counting(streamFetch(5_000));

  #counting<T>(send: (input: string, init: RequestInit) => Promise<T>) {
    return async (input: Request | string | URL, init?: RequestInit): Promise<T> => {
      const request = input instanceof Request ? input : new Request(input, init);
      let body = request.method === "POST" ? await request.text() : undefined;
      if (body !== undefined && request.url.endsWith("/pipeline")) {
        this.requests++;
        const parsed = JSON.parse(body) as { baton?: string | null; requests: Array<{ type: string }> };
        this.storedSql += parsed.requests.filter((r) => r.type === "store_sql").length;
        if (parsed.baton == null) this.newStreams++;
        else if (this.spoilNextBaton) {
          this.spoilNextBaton = false;
          body = JSON.stringify({ ...parsed, baton: `${parsed.baton.slice(0, -4)}AAAA` });
        }
      }
      return send(request.url, { method: request.method, headers: request.headers, body });
    };
  }
}

describe.skipIf(!SQLD_AVAILABLE)("the libSQL server client", () => {
  let sqld: RunningSqld;
  const clients: Client[] = [];
  let n = 0;
  const table = () => `items_${++n}`;

  beforeAll(async () => {
    sqld = await startSqld();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => {
    await sqld?.stop();
  });

  function ours(wire = new Wire(), keepIdleMs?: number): Client {
    const client = createServerClient({
      url: sqld.url,
      fetch: wire.fetch,
      streamFetch: wire.streamFetch,
      keepIdleMs,
    });
    clients.push(client);
    return client;
  }
  function reference(): Client {
    const client = createClient({ url: sqld.url, fetch: serverFetch(5_000) });
    clients.push(client);
    return client;
  }

  it("answers queries and batches as @libsql/client does", async () => {
    const name = table();
    await reference().execute(
      `CREATE TABLE ${name} (id TEXT PRIMARY KEY, n INTEGER, r REAL, data BLOB, note TEXT)`,
    );
    const insert = {
      sql: `INSERT INTO ${name} (id, n, r, data, note) VALUES (?, ?, ?, ?, ?)`,
      args: ["a", 42, 1.5, new Uint8Array([1, 2, 3]), null],
    };
    const read = { sql: `SELECT id, n, r, data, note, n AS length FROM ${name} WHERE id = ?`, args: ["a"] };
    const client = ours();
    const written = await client.batch([insert], "write");
    expect(written[0]?.rowsAffected).toBe(1);
    for (const mode of ["read", "deferred", "write"] as const) {
      const [mine, theirs] = await Promise.all([
        client.batch([read, read], mode),
        reference().batch([read, read], mode),
      ]);
      expect(resultSnapshot(mine)).toEqual(resultSnapshot(theirs));
    }
    expect(resultSnapshot(await client.execute(read))).toEqual(
      resultSnapshot(await reference().execute(read)),
    );
    const named = { sql: `SELECT n FROM ${name} WHERE id = :id`, args: { id: "a" } };
    expect((await client.execute(named)).rows[0]?.n).toBe(42);
  });

  it("refuses as @libsql/client does: the same codes, the failing statement named, nothing written", async () => {
    const name = table();
    await reference().execute(`CREATE TABLE ${name} (id TEXT PRIMARY KEY)`);
    const client = ours();
    const insert = (id: string) => ({ sql: `INSERT INTO ${name} (id) VALUES (?)`, args: [id] });
    const failures = await Promise.all(
      [client, reference()].map((c) =>
        c.batch([insert("x"), insert("y"), insert("x")], "write").catch((e) => e),
      ),
    );
    for (const failure of failures) {
      expect(failure).toMatchObject({
        name: "LibsqlBatchError",
        code: "SQLITE_CONSTRAINT",
        statementIndex: 2,
      });
    }
    const missing = await Promise.all(
      [client, reference()].map((c) => c.execute("SELECT * FROM nowhere").catch((e) => e)),
    );
    expect(missing[0]).toMatchObject({ code: missing[1].code, message: missing[1].message });
    // The failed batch rolled back, and the stream it ran on held no transaction after it.
    await client.batch([insert("z")], "write");
    const rows = await reference().execute(`SELECT id FROM ${name} ORDER BY id`);
    expect(rows.rows.map((row) => row.id)).toEqual(["z"]);
  });

  it("keeps its streams open between calls, and stores each SQL text on a stream once", async () => {
    const wire = new Wire();
    const client = ours(wire);
    for (let i = 0; i < 10; i++) {
      await client.execute({ sql: "SELECT ?", args: [i] });
      await client.batch([{ sql: "SELECT ?", args: [i] }], "read");
    }
    expect(wire.requests).toBe(20);
    expect(wire.newStreams).toBe(1);
    expect(wire.storedSql).toBe(1);
    // Calls at the same moment each have a stream of their own, kept for later.
    await Promise.all(Array.from({ length: 4 }, (_, i) => client.execute({ sql: "SELECT ?", args: [i] })));
    await Promise.all(Array.from({ length: 4 }, (_, i) => client.execute({ sql: "SELECT ?", args: [i] })));
    expect(wire.newStreams).toBe(4);
  });

  it("runs what changes a connection on a stream of its own, never on a kept one", async () => {
    const [parent, child] = [table(), table()];
    await reference().batch(
      [
        `CREATE TABLE ${parent} (id TEXT PRIMARY KEY)`,
        `CREATE TABLE ${child} (id TEXT REFERENCES ${parent} (id))`,
      ],
      "write",
    );
    const wire = new Wire();
    const client = ours(wire);
    await client.execute("SELECT 1");
    await client.execute("PRAGMA foreign_keys = OFF");
    await client.batch(["PRAGMA foreign_keys = OFF", `SELECT count(*) FROM ${child}`], "write");
    // Foreign keys are on in sqld: had either PRAGMA run on the kept stream, this insert would pass.
    await expect(
      client.execute({ sql: `INSERT INTO ${child} (id) VALUES (?)`, args: ["orphan"] }),
    ).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT" });
    expect(wire.newStreams).toBe(3);
  });

  it("opens no more streams than calls it runs at once, the others waiting their turn", async () => {
    const wire = new Wire();
    const client = ours(wire);
    const answers = await Promise.all(
      Array.from({ length: 3 * CONCURRENT_CALLS }, (_, i) => client.execute({ sql: "SELECT ?", args: [i] })),
    );
    expect(answers.map((answer) => answer.rows[0]?.[0])).toEqual(
      Array.from({ length: 3 * CONCURRENT_CALLS }, (_, i) => i),
    );
    expect(wire.newStreams).toBe(CONCURRENT_CALLS);
  });

  it("lets a stream go once it has been idle, before the server does", async () => {
    const wire = new Wire();
    const client = ours(wire, 50);
    await client.execute("SELECT 1");
    await client.execute("SELECT 1");
    await new Promise((resolve) => setTimeout(resolve, 80));
    await client.execute("SELECT 1");
    expect(wire.newStreams).toBe(2);
  });

  it("makes a call again on a new stream when the server no longer knows the kept one", async () => {
    const name = table();
    await reference().execute(`CREATE TABLE ${name} (id TEXT PRIMARY KEY)`);
    const wire = new Wire();
    const client = ours(wire);
    await client.execute("SELECT 1");
    wire.spoilNextBaton = true;
    await client.batch([{ sql: `INSERT INTO ${name} (id) VALUES (?)`, args: ["once"] }], "write");
    expect(wire.newStreams).toBe(2);
    expect((await reference().execute(`SELECT count(*) AS c FROM ${name}`)).rows[0]?.c).toBe(1);
  });

  it("refuses calls once closed", async () => {
    const client = ours();
    await client.execute("SELECT 1");
    client.close();
    expect(client.closed).toBe(true);
    await expect(client.execute("SELECT 1")).rejects.toMatchObject({ code: "CLIENT_CLOSED" });
  });
});
