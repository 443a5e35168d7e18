import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../vitest.stryker.config.ts";

// Ingest's tests each import the whole app (every route module): several seconds per file, which
// Stryker paid again for every file a mutant reruns. Without isolation one worker imports it once
// and runs the files one after another. The files share no module state: each opens its own
// database, and names are unique per call.
export default mergeConfig(shared, defineConfig({ test: { isolate: false } }));
