import { createClient } from "../connection.ts";
import { EXIT, type Io } from "../io.ts";
import { formatStateTable } from "../state-table.ts";

/** `versioner state`: prints the product × environment matrix (or its JSON with `--json`). */
export async function stateCommand(values: Record<string, string | boolean>, io: Io): Promise<number> {
  const client = createClient(values, io, { requireKey: false });
  const state = await client.getState();
  io.stdout(values.json ? `${JSON.stringify(state, null, 2)}\n` : formatStateTable(state));
  return EXIT.ok;
}
