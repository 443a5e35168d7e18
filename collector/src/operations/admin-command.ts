import { parseArgs } from "node:util";
import { resetUserToken } from "../auth/token-recovery.ts";
import type { UsersDeps } from "../auth/users-service.ts";
import { DomainError } from "../errors.ts";

export const ADMIN_USAGE = `Usage: npm run admin -- reset-token [--email <email>]
   or: node collector/dist/server.js admin reset-token [--email <email>]

Commands run against the database in DATABASE_URL (the collector may keep running):
  reset-token   Print a new token for a user (default: VERSIONER_ADMIN_EMAIL, admin@localhost)
                and revoke that user's earlier tokens and sessions. Audited.
`;

export interface AdminOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** `server.js admin <command>`: operator commands on the database. Returns the exit code. */
export async function runAdminCommand(
  args: string[],
  deps: UsersDeps,
  defaults: { adminEmail: string },
  out: AdminOutput,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    out.stderr(`${(error as Error).message}\n\n${ADMIN_USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help) {
    out.stdout(ADMIN_USAGE);
    return 0;
  }
  if (command !== "reset-token" || rest.length > 0) {
    out.stderr(
      `${command ? `Unknown admin command '${[command, ...rest].join(" ")}'` : "No admin command given"}\n\n${ADMIN_USAGE}`,
    );
    return 2;
  }
  try {
    const reset = await resetUserToken(deps, parsed.values.email ?? defaults.adminEmail);
    // The token goes to stdout alone on its line, so `… | tail -1`-style scripts can take it.
    out.stdout(
      `New token for ${reset.email} (shown once, store it now); revoked ${plural(reset.revokedTokens, "earlier token")} and ${plural(reset.revokedSessions, "session")}:\n${reset.token}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      out.stderr(`${String(error.detail)}\n`);
      return 1;
    }
    throw error;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { email: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
