import { eq } from "drizzle-orm";
import type { Database } from "./client.ts";
import { integrations, notificationChannels, variables } from "./schema/index.ts";

/**
 * Seals again every secret stored in clear (before encryption existed) or under a previous key,
 * so that after a rotation the previous key can be dropped. Runs at start-up; returns the rows written.
 */
export async function resealSecrets(database: Database): Promise<number> {
  const { db, secrets } = database;
  return database.writeLock.run(async () => {
    const [channels, secretVariables, integrationSecrets] = await Promise.all([
      db
        .select({ id: notificationChannels.id, secrets: notificationChannels.secrets })
        .from(notificationChannels),
      db
        .select({ id: variables.id, value: variables.value })
        .from(variables)
        .where(eq(variables.secret, true)),
      db.select({ id: integrations.id, secret: integrations.secret }).from(integrations),
    ]);
    const updates = [
      ...channels
        .filter((row) => secrets.needsReseal(row.secrets))
        .map((row) =>
          db
            .update(notificationChannels)
            .set({ secrets: secrets.sealJson(secrets.openJson(row.secrets)) })
            .where(eq(notificationChannels.id, row.id)),
        ),
      ...secretVariables
        .filter((row) => secrets.needsReseal(row.value))
        .map((row) =>
          db
            .update(variables)
            .set({ value: secrets.seal(secrets.open(row.value)) })
            .where(eq(variables.id, row.id)),
        ),
      ...integrationSecrets
        .filter((row) => secrets.needsReseal(row.secret))
        .map((row) =>
          db
            .update(integrations)
            .set({ secret: secrets.seal(secrets.open(row.secret)) })
            .where(eq(integrations.id, row.id)),
        ),
    ];
    const [first, ...rest] = updates;
    if (first) await db.batch([first, ...rest]);
    return updates.length;
  });
}
