import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import { EOL } from "node:os";

// The runner protocol, written directly instead of importing @actions/core: its index pulls
// @actions/http-client (undici) and @actions/exec into the bundle (~420 KB, ~40 ms at start-up)
// for the OIDC and platform helpers this action never calls. Encoding mirrors @actions/core 3.

/** Where an annotation points; all optional. */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  line?: number;
}

/** What the runner gives a step: its environment, its stdout and the file-command files. */
export interface RunnerIo {
  env: Readonly<Record<string, string | undefined>>;
  write(text: string): void;
  appendFile(path: string, data: string): void;
}

/** Talks to the GitHub Actions runner: workflow commands on stdout, outputs and summary through files. */
export interface Runner {
  notice(message: string, properties?: AnnotationProperties): void;
  warning(message: string, properties?: AnnotationProperties): void;
  error(message: string, properties?: AnnotationProperties): void;
  setSecret(value: string): void;
  setOutput(name: string, value: string): void;
  appendSummary(markdown: string): void;
}

export function processRunnerIo(): RunnerIo {
  return {
    env: process.env,
    write: (text) => process.stdout.write(text),
    appendFile: (path, data) => appendFileSync(path, data, "utf8"),
  };
}

function escapeData(value: string): string {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** `::name key=value,...::message`, escaped as the runner expects. */
function formatCommand(
  name: string,
  properties: Readonly<Record<string, string | number | undefined>>,
  message: string,
): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== "")
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(",");
  return `::${name}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}

/** `name<<delimiter` heredoc block of a file command, with a delimiter the value cannot contain. */
export function formatFileCommand(
  name: string,
  value: string,
  delimiter = `ghadelimiter_${randomUUID()}`,
): string {
  if (name.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`Unexpected input: name and value must not contain the delimiter ${delimiter}`);
  }
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

export function createRunner(io: RunnerIo = processRunnerIo()): Runner {
  const command = (name: string, properties: AnnotationProperties, message: string) =>
    io.write(`${formatCommand(name, { ...properties }, message)}${EOL}`);
  return {
    notice: (message, properties = {}) => command("notice", properties, message),
    warning: (message, properties = {}) => command("warning", properties, message),
    error: (message, properties = {}) => command("error", properties, message),
    setSecret: (value) => {
      if (value) command("add-mask", {}, value);
    },
    setOutput: (name, value) => {
      const file = io.env.GITHUB_OUTPUT;
      // Outside a runner (local runs) there is no output file; printing keeps the value visible.
      if (file) io.appendFile(file, formatFileCommand(name, value));
      else io.write(`${name}=${value}${EOL}`);
    },
    appendSummary: (markdown) => {
      const file = io.env.GITHUB_STEP_SUMMARY;
      if (file) io.appendFile(file, `${markdown}${EOL}`);
    },
  };
}
