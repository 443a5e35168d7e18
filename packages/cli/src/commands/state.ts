import { UsageError } from "@versioner/ci-env";
import { ENVIRONMENT_TYPES } from "@versioner/schema/vocabulary";
import { createClient } from "../connection.ts";
import { EXIT, type Io } from "../io.ts";
import { formatStateTable } from "../state-table.ts";

/** `versioner state`: prints the product × environment matrix (or its JSON with `--json`). */
export async function stateCommand(
  values: Record<string, string | boolean>,
  filters: Record<string, string[]>,
  io: Io,
): Promise<number> {
  const types = filters.type ?? [];
  const unknown = types.filter((type) => !(ENVIRONMENT_TYPES as readonly string[]).includes(type));
  if (unknown.length > 0) {
    throw new UsageError(
      `--type must be one of ${ENVIRONMENT_TYPES.join(", ")}, not '${unknown.join("', '")}'`,
    );
  }
  const client = createClient(values, io, { requireKey: false });
  const state = await client.getState({
    product: filters.product ?? [],
    environment: filters.environment ?? [],
    type: types,
  });
  io.stdout(values.json ? `${JSON.stringify(state, null, 2)}\n` : formatStateTable(state));
  return EXIT.ok;
}
