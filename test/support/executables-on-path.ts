import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Every executable called `command` on PATH, in PATH order. */
export function executablesOnPath(command: string): string[] {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, command))
    .filter((candidate) => {
      try {
        accessSync(candidate, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}
