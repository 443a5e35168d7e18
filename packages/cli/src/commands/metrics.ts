import { createClient, stringFlag } from "../connection.ts";
import { formatDoraTable } from "../insight-tables.ts";
import { EXIT, type Io } from "../io.ts";

/** `versioner metrics`: DORA's four keys and their series (or the JSON with `--json`). */
export async function metricsCommand(values: Record<string, string | boolean>, io: Io): Promise<number> {
  const client = createClient(values, io, { requireKey: false });
  const metrics = await client.getDoraMetrics({
    product: stringFlag(values, "product"),
    team: stringFlag(values, "team"),
    environment: stringFlag(values, "environment"),
    from: stringFlag(values, "from"),
    to: stringFlag(values, "to"),
    bucket: stringFlag(values, "bucket"),
    tz: stringFlag(values, "tz"),
  });
  io.stdout(values.json ? `${JSON.stringify(metrics, null, 2)}\n` : formatDoraTable(metrics));
  return EXIT.ok;
}
