import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The allowed edges between the collector's parts (docs/architecture.md, "Import rules"):
// - a feature folder's domain code never imports the HTTP layer (`http/`) nor the dashboard:
//   only its route adapters (`*-routes.ts`) and tests do;
// - the engine (db/ and ingest's unit of work, group commit and prepared reads) never imports a
//   feature: features build on it, not the other way round;
// - the per-database runtime (database-runtime.ts) is built by the composition roots only
//   (server.ts, createApp in http/, test support): everyone else imports its type and receives it.

const SRC = dirname(fileURLToPath(import.meta.url));

/** Folders that are not features: the HTTP layer, the engine's home, the bus, test support. */
const NOT_FEATURES = new Set(["http", "db", "events", "testing"]);
/** The dashboard is an HTTP adapter over the services: it may import `http/`, features may not import it. */
const ADAPTER_FOLDERS = new Set(["dashboard"]);
const ENGINE_FILES = new Set([
  "ingest/group-commit.ts",
  "ingest/unit-of-work.ts",
  "ingest/prepared-reads.ts",
]);

interface SourceFile {
  /** Path from `collector/src`, with `/` separators. */
  path: string;
  text: string;
}

const isTest = (path: string) => /\.test\.tsx?$/.test(path);
const isRouteAdapter = (path: string) => /-routes\.tsx?$/.test(path);
const folderOf = (path: string) => (path.includes("/") ? path.slice(0, path.indexOf("/")) : null);
const isEngine = (path: string) => folderOf(path) === "db" || ENGINE_FILES.has(path);
const RUNTIME = "database-runtime.ts";
/** Where the runtime may be built: the process's start, the app factory and test support. */
const isCompositionRoot = (path: string) =>
  path === "server.ts" || path === RUNTIME || ["http", "testing"].includes(folderOf(path) ?? "");

/** Relative imports that bind a value, not only types (`import type`, `import { type X }`). */
function valueImportsOf(file: SourceFile): string[] {
  // Parsing is slow: only files that name the runtime at all.
  if (!file.text.includes(RUNTIME)) return [];
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    let target: ts.Expression | undefined;
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const typesOnly =
        clause?.isTypeOnly ||
        (clause?.name === undefined &&
          bindings !== undefined &&
          ts.isNamedImports(bindings) &&
          bindings.elements.every((element) => element.isTypeOnly));
      if (!typesOnly) target = node.moduleSpecifier;
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly) target = node.moduleSpecifier;
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      target = node.arguments[0];
    if (target && ts.isStringLiteral(target) && target.text.startsWith("."))
      found.push(posix.normalize(posix.join(posix.dirname(file.path), target.text)));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every relative import, re-export and dynamic import of a file, resolved to a path from `src`. */
function importsOf(file: SourceFile): string[] {
  const { importedFiles } = ts.preProcessFile(file.text, true, true);
  return importedFiles
    .map((ref) => ref.fileName)
    .filter((name) => name.startsWith("."))
    .map((name) => posix.normalize(posix.join(posix.dirname(file.path), name)));
}

/** Every import that breaks a rule, as `from → to (why)`. */
export function violations(files: SourceFile[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    if (isTest(file.path)) continue;
    const folder = folderOf(file.path);
    const feature = folder !== null && !NOT_FEATURES.has(folder);
    for (const target of importsOf(file)) {
      const targetFolder = folderOf(target);
      if (feature && !ADAPTER_FOLDERS.has(folder) && !isRouteAdapter(file.path) && targetFolder === "http")
        found.push(`${file.path} → ${target} (feature code imports the HTTP layer)`);
      if (
        feature &&
        !ADAPTER_FOLDERS.has(folder) &&
        targetFolder !== null &&
        ADAPTER_FOLDERS.has(targetFolder)
      )
        found.push(`${file.path} → ${target} (a feature imports the dashboard)`);
      if (
        isEngine(file.path) &&
        !isEngine(target) &&
        targetFolder !== null &&
        !NOT_FEATURES.has(targetFolder)
      )
        found.push(`${file.path} → ${target} (the engine imports a feature)`);
    }
    if (!isCompositionRoot(file.path) && valueImportsOf(file).includes(RUNTIME))
      found.push(`${file.path} → ${RUNTIME} (builds the per-database runtime outside the composition roots)`);
  }
  return found;
}

function collectorSources(): SourceFile[] {
  const files: SourceFile[] = [];
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.tsx?$/.test(entry.name)) continue;
    const full = join(entry.parentPath, entry.name);
    files.push({ path: relative(SRC, full).split("\\").join("/"), text: readFileSync(full, "utf8") });
  }
  return files;
}

describe("import graph", () => {
  it("reads the collector's sources, route adapters, engine files and the runtime included", () => {
    const paths = collectorSources().map((file) => file.path);
    expect(paths).toContain("ingest/ingest-service.ts");
    expect(paths).toContain("ingest/ingest-routes.ts");
    for (const engine of ENGINE_FILES) expect(paths).toContain(engine);
    expect(paths).toContain(RUNTIME);
  });

  it("keeps features off http/ and the dashboard, and the engine off features", () => {
    expect(violations(collectorSources())).toEqual([]);
  });

  it("finds each kind of violation in a synthetic tree", () => {
    const synthetic: SourceFile[] = [
      { path: "catalog/products-service.ts", text: `import { PageQuery } from "../http/pagination.ts";` },
      { path: "releases/release-view.ts", text: `export { page } from "../dashboard/pages/releases.tsx";` },
      { path: "db/client.ts", text: `import type { Actor } from "../audit/audit-service.ts";` },
      { path: "ingest/unit-of-work.ts", text: `const rules = await import("./lifecycle.ts");` },
      {
        path: "notifications/delivery-worker.ts",
        text: `import { createDatabaseRuntime, type DatabaseRuntime } from "../database-runtime.ts";`,
      },
    ];
    expect(violations(synthetic)).toEqual([
      "catalog/products-service.ts → http/pagination.ts (feature code imports the HTTP layer)",
      "releases/release-view.ts → dashboard/pages/releases.tsx (a feature imports the dashboard)",
      "db/client.ts → audit/audit-service.ts (the engine imports a feature)",
      "ingest/unit-of-work.ts → ingest/lifecycle.ts (the engine imports a feature)",
      "notifications/delivery-worker.ts → database-runtime.ts (builds the per-database runtime outside the composition roots)",
    ]);
  });

  it("allows route adapters, the dashboard, tests and the engine's own edges", () => {
    const allowed: SourceFile[] = [
      { path: "catalog/catalog-routes.ts", text: `import { protectedRoute } from "../http/route.ts";` },
      { path: "dashboard/pages/products.tsx", text: `import { PageQuery } from "../../http/pagination.ts";` },
      { path: "catalog/catalog.test.ts", text: `import { createApp } from "../http/app.ts";` },
      { path: "ingest/unit-of-work.ts", text: `import type { PreparedReads } from "./prepared-reads.ts";` },
      { path: "db/pagination.ts", text: `import { ValidationError } from "../errors.ts";` },
      { path: "ingest/ingest-service.ts", text: `import { GroupCommitter } from "./group-commit.ts";` },
      {
        path: "ingest/ingest-service.ts",
        text: `import type { DatabaseRuntime } from "../database-runtime.ts";`,
      },
      {
        path: "catalog/catalog-routes.ts",
        text: `import { type DatabaseRuntime } from "../database-runtime.ts";`,
      },
      { path: "http/app.ts", text: `import { createDatabaseRuntime } from "../database-runtime.ts";` },
      { path: "server.ts", text: `import { createDatabaseRuntime } from "./database-runtime.ts";` },
    ];
    expect(violations(allowed)).toEqual([]);
  });
});
