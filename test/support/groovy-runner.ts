// Runs Jenkins shared-library steps with Debian's `groovy` and stubbed pipeline steps
// (see jenkins-pipeline-stubs.groovy), returning what each case called.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ciFreeEnv } from "./ci-free-env.ts";
import { executablesOnPath } from "./executables-on-path.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const jenkinsLibraryDir = resolve(here, "../../actions/jenkins");
const stubsScript = join(here, "jenkins-pipeline-stubs.groovy");

export type StepCall =
  | { step: "sh" | "bat"; script: string; env: Record<string, string>; output?: string; status?: number }
  | { step: "withEnv"; entries: string[] }
  | { step: "withCredentials"; bindings: { type: string; credentialsId: string; variable: string }[] }
  | { step: "echo" | "error"; message: string };

export interface CaseResult {
  outcome: "ok" | "threw";
  value?: string | null;
  error?: string;
  errorClass?: string;
  calls: StepCall[];
}

/** JAVA_HOME for Debian's groovy launcher, which needs one (default-java is not always installed). */
function javaHome(): string | undefined {
  const current = process.env.JAVA_HOME;
  if (current && existsSync(join(current, "bin", "java"))) return current;
  const [java] = executablesOnPath("java");
  return java ? dirname(dirname(realpathSync(java))) : undefined;
}

function assertGroovyAvailable(): void {
  if (!executablesOnPath("groovy")[0]) throw new Error("groovy is not on PATH: apt-get install -y groovy");
  if (!javaHome()) throw new Error("no Java runtime for groovy: apt-get install -y default-jre-headless");
}

/**
 * Runs `cases` (Groovy source evaluating to `[name: { ... }]`) against the library's vars.
 * mode "record": `sh` only records; "execute": `sh` runs the script with `sh -c` in the environment
 * withEnv/withCredentials built. `credentials` is the Jenkins credential store (id -> secret text).
 */
export async function runJenkinsCases(options: {
  cases: string;
  mode: "record" | "execute";
  credentials?: Record<string, string>;
  env?: Record<string, string>;
}): Promise<Record<string, CaseResult>> {
  assertGroovyAvailable();
  const dir = mkdtempSync(join(tmpdir(), "versioner-groovy-"));
  try {
    const casesFile = join(dir, "cases.groovy");
    const resultFile = join(dir, "result.json");
    const credentialsFile = join(dir, "credentials.json");
    writeFileSync(casesFile, options.cases);
    writeFileSync(credentialsFile, JSON.stringify(options.credentials ?? {}), { mode: 0o600 });
    const env = ciFreeEnv({ ...options.env, STUB_CREDENTIALS_FILE: credentialsFile, JAVA_HOME: javaHome() });
    const args = [
      "-cp",
      join(jenkinsLibraryDir, "src"),
      stubsScript,
      jenkinsLibraryDir,
      casesFile,
      resultFile,
    ];
    const output = await new Promise<string>((resolvePromise, reject) => {
      execFile(
        "groovy",
        [...args, options.mode],
        { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`groovy failed: ${error.message}\n${stdout}\n${stderr}`));
          else resolvePromise(`${stdout}${stderr}`);
        },
      );
    });
    if (!existsSync(resultFile)) throw new Error(`groovy wrote no result:\n${output}`);
    return JSON.parse(await readFile(resultFile, "utf8")) as Record<string, CaseResult>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shell calls (`sh`/`bat`) of a case. */
export function shellCalls(result: CaseResult): Extract<StepCall, { step: "sh" | "bat" }>[] {
  return result.calls.filter(
    (call): call is Extract<StepCall, { step: "sh" | "bat" }> => call.step === "sh" || call.step === "bat",
  );
}

/** A single-quoted Groovy string literal (no `$` interpolation). */
export function groovyString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}
