import { createClient, stringFlag } from "../connection.ts";
import { formatDiffTable } from "../insight-tables.ts";
import { EXIT, type Io } from "../io.ts";

/** `versioner diff <a> <b>`: what differs between two environments (or its JSON with `--json`). */
export async function diffCommand(
  args: string[],
  values: Record<string, string | boolean>,
  io: Io,
): Promise<number> {
  const [a = "", b = ""] = args;
  const client = createClient(values, io, { requireKey: false });
  const diff = await client.getEnvironmentDiff(a, b, {
    product: stringFlag(values, "product"),
    team: stringFlag(values, "team"),
  });
  io.stdout(values.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiffTable(diff));
  return EXIT.ok;
}
