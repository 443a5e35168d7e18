// What both baselines answer to GET: the document named by BENCH_GET_BODY_FILE (the collector's own
// /state body in the /state section, so the ceiling serialises the same bytes), else a small object.
import { readFileSync } from "node:fs";

export function loadCannedDocument() {
  const file = process.env.BENCH_GET_BODY_FILE;
  return file ? JSON.parse(readFileSync(file, "utf8")) : { ok: true };
}

/** Baselines run as children: they exit when the bench closes their stdin, even if it dies abruptly. */
export function exitWithParent(close) {
  process.stdin.resume();
  process.stdin.on("close", () => close(() => process.exit(0)));
}
