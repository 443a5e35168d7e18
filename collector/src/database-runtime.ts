import { CredentialLookups } from "./auth/credential-lookups.ts";
import { StateDocuments } from "./catalog/state-service.ts";
import { MatrixCache } from "./dashboard/matrix-cache.ts";
import type { Database } from "./db/client.ts";
import { GroupCommitter } from "./ingest/group-commit.ts";
import { NotificationHub } from "./notifications/channel-directory.ts";

/**
 * What a collector keeps per database beside the connection: queues and caches over it, built once
 * and carried to the services in their deps (`AppDeps.runtime`; a service's deps name the parts it
 * uses). server.ts builds one and gives it to the app and to the delivery worker, which must share
 * the hub; createApp builds one when given none. Build one per `Database` and pass it to every app on
 * that database in the process (tests: `TestApp.runtime`), so their requests share the same groups.
 * What there must be exactly one of per connection (the write lock, the write worker, the
 * configuration cache) is on the `Database` itself, built by openDatabase.
 */
export interface DatabaseRuntime {
  /** Ingest's group commit, holding the ingest reads prepared once (ingest/group-commit.ts). */
  committer: GroupCommitter;
  /** Wakes the delivery worker once the outbox rows of a write have committed. */
  hub: NotificationHub;
  /** `GET /state` (and the dashboard's matrix) serialized once per state generation. */
  stateDocuments: StateDocuments;
  /** The dashboard's rendered matrix sections. */
  matrices: MatrixCache;
  /** The credential reads every authenticated request runs, prepared once (auth/authenticate.ts). */
  credentials: CredentialLookups;
}

export function createDatabaseRuntime(database: Database): DatabaseRuntime {
  const credentials = new CredentialLookups(database.db);
  return {
    // A group's first reads also answer the requests waiting for the credentials generation.
    committer: new GroupCommitter(database, { waiters: credentials.cache }),
    hub: new NotificationHub(database),
    stateDocuments: new StateDocuments(database),
    matrices: new MatrixCache(),
    credentials,
  };
}
