import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import {
  bumpGeneration,
  type ClaimedGenerationRead,
  type GenerationWaiters,
  generationReader,
  PendingGeneration,
} from "../db/config-generation.ts";
import { apiKeys, personalTokens, sessions, users } from "../db/schema/index.ts";

const hash = sql.placeholder("hash");

/** The user columns a credential resolves to (a principal: id, email as its name, role, active). */
const principalUser = { id: users.id, email: users.email, role: users.role, active: users.active };

/**
 * The reads that resolve a credential, prepared once per database (DatabaseRuntime): every
 * authenticated request runs one, and drizzle building the same select with its join again for
 * each request cost about as much as the rest of a single-event ingest request's planning. Each
 * reads only the columns authentication uses: every column costs its reading and mapping on every
 * request (the token and its user were 18 columns, now 6).
 */
export class CredentialLookups {
  readonly apiKey;
  readonly personalToken;
  readonly session;
  /** What the bearer lookups found, kept while no credential changed (sessions are read each time). */
  readonly cache: CredentialCache;

  constructor(db: Db) {
    this.cache = new CredentialCache(db);
    this.apiKey = db
      .select({ id: apiKeys.id, name: apiKeys.name, scope: apiKeys.scope })
      .from(apiKeys)
      .where(and(eq(apiKeys.token_hash, hash), isNull(apiKeys.revoked_at)))
      .limit(1)
      .prepare();
    this.personalToken = db
      .select({
        token: { id: personalTokens.id, expires_at: personalTokens.expires_at },
        user: principalUser,
      })
      .from(personalTokens)
      .innerJoin(users, eq(users.id, personalTokens.user_id))
      .where(and(eq(personalTokens.token_hash, hash), isNull(personalTokens.revoked_at)))
      .limit(1)
      .prepare();
    this.session = db
      .select({
        session: { id: sessions.id, expires_at: sessions.expires_at, csrf_token: sessions.csrf_token },
        user: principalUser,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.user_id))
      .where(and(eq(sessions.secret_hash, hash), isNull(sessions.revoked_at)))
      .limit(1)
      .prepare();
  }
}

/**
 * The `settings` row every change that can end or narrow a bearer credential bumps, in the
 * change's own transaction: revoking an API key or a personal token, any edit of a user (role,
 * active, e-mail), deleting a user, the admin command's token reset.
 */
const CREDENTIALS_GENERATION = "credentials_generation";

/** Bumps the credentials generation: one statement of the batch that changes a credential. */
export function bumpCredentialsGeneration(db: Db) {
  return bumpGeneration(db, CREDENTIALS_GENERATION);
}

/** Most bearer credentials kept; past it the oldest entry goes (a CI fleet uses a handful). */
export const CREDENTIAL_CACHE_ENTRIES = 10_000;
/**
 * How long an entry is trusted while the generation is unchanged: bounds how long a credential
 * changed by hand in the database (outside the collector, so without a bump) keeps working.
 */
export const CREDENTIAL_CACHE_TTL_MS = 60_000;

interface Entry {
  generation: string;
  readAt: number;
  row: unknown;
}

/**
 * The bearer credentials (API keys, personal tokens and their users) this process resolved, kept
 * while the credentials generation is unchanged: a request then costs a share of one read of one
 * row instead of its credential's lookup (on a libSQL server, a round trip). Exact, as reading the
 * credential on every request was: the generation a request is checked against is read after the
 * request arrived (the requests that arrive in one turn of the event loop share the read; one
 * already in flight is never shared with a later request), and every change that ends or narrows
 * a credential bumps it in its own transaction, so a revocation, demotion or deactivation
 * acknowledged by any collector on the database refuses the next request. Entries read with an
 * older generation are read again; negative answers are never kept. One per database
 * (DatabaseRuntime.credentials).
 */
export class CredentialCache implements GenerationWaiters {
  readonly #entries = new Map<string, Entry>();
  /** The callers waiting for the next read of the generation, which has not started. */
  #waiting: PendingGeneration | undefined;
  #inFlight: Promise<string> | undefined;

  /** `readGeneration`: reads the credentials generation (a test gives its own). */
  constructor(
    db: Db,
    private readonly readGeneration: () => Promise<string> = generationReader(db, CREDENTIALS_GENERATION),
  ) {}

  /**
   * The row `read` finds for `key` (the credential's kind and hash), from the cache when it was
   * read at the current generation and less than CREDENTIAL_CACHE_TTL_MS before `now`; `undefined`
   * when there is none.
   */
  async resolve<T>(key: string, now: number, read: () => Promise<T | undefined>): Promise<T | undefined> {
    const generation = await this.#generation();
    const entry = this.#entries.get(key);
    if (entry && entry.generation === generation && now - entry.readAt < CREDENTIAL_CACHE_TTL_MS) {
      return entry.row as T;
    }
    this.#entries.delete(key);
    // Read after the generation: a change committed in between is read here, and bumps past it.
    const row = await read();
    if (row === undefined) return undefined;
    if (this.#entries.size >= CREDENTIAL_CACHE_ENTRIES) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(key, { generation, readAt: now, row });
    return row;
  }

  /**
   * Hands the callers waiting for the next read of the generation to a read starting now (the
   * group committer's first reads on a libSQL server: one request to the server fewer). It counts
   * as this cache's read in flight: the next one starts once it has ended.
   */
  claim(): ClaimedGenerationRead | undefined {
    const waiting = this.#waiting;
    if (!waiting) return undefined;
    this.#waiting = undefined;
    this.#started(waiting.promise);
    return { key: CREDENTIALS_GENERATION, found: waiting.found, failed: waiting.failed };
  }

  /**
   * The generation read after this call: the read starts in the next turn of the event loop, or
   * once the read in flight has ended, whichever comes later, for every caller until it starts
   * (unless `claim` hands them to a read starting sooner). One read at a time: on a libSQL server a
   * read takes a round trip, during which requests arrive in many turns of the event loop, and one
   * read each turn cost a group of single-event requests about 2.5 of its 6.5 requests to the
   * server.
   */
  #generation(): Promise<string> {
    if (this.#waiting) return this.#waiting.promise;
    const waiting = new PendingGeneration();
    this.#waiting = waiting;
    void (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await this.#inFlight?.catch(() => undefined);
      // Claimed meanwhile: answered by the claimer's read.
      if (this.#waiting !== waiting) return;
      this.#waiting = undefined;
      const read = this.readGeneration();
      this.#started(read);
      read.then(waiting.found, waiting.failed);
    })();
    return waiting.promise;
  }

  /** Makes `read` the read in flight until it ends. */
  #started(read: Promise<string>): void {
    this.#inFlight = read;
    const ended = () => {
      if (this.#inFlight === read) this.#inFlight = undefined;
    };
    read.then(ended, ended);
  }
}
