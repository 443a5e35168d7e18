import type { Client, Transaction } from "@libsql/client";

/** The client calls that reach the database: the label of the database latency metric. */
export type QueryOperation =
  | "execute"
  | "batch"
  | "migrate"
  | "execute_multiple"
  | "begin"
  | "commit"
  | "rollback";

/**
 * Told how long each database call took, `failed` when the call rejected, and how many SQL
 * statements it sent (a batch sends several, BEGIN and COMMIT one each).
 */
export type QueryObserver = (
  operation: QueryOperation,
  seconds: number,
  failed: boolean,
  statements: number,
) => void;

const CLIENT_CALLS: Readonly<Record<string, QueryOperation>> = {
  execute: "execute",
  batch: "batch",
  migrate: "migrate",
  executeMultiple: "execute_multiple",
  transaction: "begin",
};
const TRANSACTION_CALLS: Readonly<Record<string, QueryOperation>> = {
  execute: "execute",
  batch: "batch",
  executeMultiple: "execute_multiple",
  commit: "commit",
  rollback: "rollback",
};

/**
 * The client with every call that reaches the database timed for `observers`. Drizzle, the group
 * committer and the raw `client.execute` calls all go through it, so nothing escapes the measure;
 * with no observer a call costs one extra function call.
 */
export function timedClient(client: Client, observers: ReadonlySet<QueryObserver>): Client {
  return timedObject(client, CLIENT_CALLS, observers);
}

function timedObject<T extends object>(
  target: T,
  calls: Readonly<Record<string, QueryOperation>>,
  observers: ReadonlySet<QueryObserver>,
): T {
  const methods = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== "function") return value;
      let method = methods.get(property);
      if (!method) {
        // Bound to the real object: the libSQL clients keep their state in #private fields.
        const call = (value as (...args: unknown[]) => unknown).bind(object);
        const operation = typeof property === "string" ? calls[property] : undefined;
        method = operation
          ? (...args: unknown[]) =>
              timed(
                observers,
                operation,
                statementsOf(operation, args[0]),
                () => call(...args) as Promise<unknown>,
              )
          : call;
        if (property === "transaction") {
          const begin = method as (...args: unknown[]) => Promise<Transaction>;
          method = async (...args: unknown[]) =>
            timedObject(await begin(...args), TRANSACTION_CALLS, observers);
        }
        methods.set(property, method);
      }
      return method;
    },
  });
}

/** The statements a call sends: one, or one per entry of a batch or a migration. */
function statementsOf(operation: QueryOperation, first: unknown): number {
  return (operation === "batch" || operation === "migrate") && Array.isArray(first) ? first.length : 1;
}

/** Runs `call`, telling `observers` how long it took (the one measure of every database call). */
export async function timed<T>(
  observers: ReadonlySet<QueryObserver>,
  operation: QueryOperation,
  statements: number,
  call: () => Promise<T>,
): Promise<T> {
  if (observers.size === 0) return call();
  const started = performance.now();
  let failed = true;
  try {
    const result = await call();
    failed = false;
    return result;
  } finally {
    const seconds = (performance.now() - started) / 1000;
    for (const observe of observers) observe(operation, seconds, failed, statements);
  }
}
