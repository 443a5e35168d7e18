import { detectCi, runGit } from "@versioner/ci-env";
import { EXIT, type Io } from "../io.ts";

/** `versioner ci-env`: prints what CI detection found (no secrets: only CI metadata variables are read). */
export function ciEnvCommand(values: Record<string, string | boolean>, io: Io): number {
  const context = detectCi(io.env, { git: runGit, ...(io.cwd ? { cwd: io.cwd } : {}) });
  if (values.json) {
    io.stdout(`${JSON.stringify(context, null, 2)}\n`);
    return EXIT.ok;
  }
  const { metadata, ...fields } = context;
  const rows = [
    ...Object.entries(fields),
    ...Object.entries(metadata).map(([key, value]) => [`metadata.${key}`, value]),
  ];
  const width = Math.max(...rows.map(([key]) => String(key).length));
  io.stdout(`${rows.map(([key, value]) => `${String(key).padEnd(width)}  ${value}`).join("\n")}\n`);
  return EXIT.ok;
}
