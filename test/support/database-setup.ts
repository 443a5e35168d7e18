import { afterAll } from "vitest";
import { dropAllDatabases } from "./database.ts";

// The libSQL servers a test file's collectors ran on (VERSIONER_TEST_ENGINE=sqld) go with it.
afterAll(dropAllDatabases);
