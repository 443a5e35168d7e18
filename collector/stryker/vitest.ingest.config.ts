import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../vitest.stryker.config.ts";

// Ingest's tests each import the whole app (every route module): several seconds per file, which
// Stryker paid again for every file a mutant reruns. Without isolation one worker imports it once
// and runs the files one after another. The files share no module state: each opens its own
// database, and names are unique per call. Set-up hooks get the tests' time limit: one file
// records 300 events before its tests, which takes over the default 10 s beside other runs, and
// a timed-out hook would count as a killed mutant.
export default mergeConfig(shared, defineConfig({ test: { isolate: false, hookTimeout: 120_000 } }));
