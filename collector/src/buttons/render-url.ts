/** Variable keys: lowercase letters, digits and underscores, starting with a letter. */
export const VARIABLE_KEY = /^[a-z][a-z0-9_]*$/;

/** The `vi_` prefix belongs to the built-in variables. */
export const RESERVED_PREFIX = "vi_";

export const BUILT_IN_VARIABLES = [
  "vi_version",
  "vi_build_number",
  "vi_product_id",
  "vi_product_name",
  "vi_environment_id",
  "vi_environment_name",
  "vi_sha",
  "vi_scm_repository",
  "vi_scm_branch",
] as const;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Why a template cannot be rendered; the message is safe to show (it never holds a value). */
export class RenderError extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

export function secretMessage(key: string): string {
  return `Variable '${key}' is secret: a rendered button is a plain link shown in chat and in the dashboard, so it must never carry a secret`;
}

/** The placeholders of a template, in order; throws on a malformed one or a stray brace. */
export function templateVariables(template: string): string[] {
  const keys = [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? "");
  for (const key of keys) {
    if (!VARIABLE_KEY.test(key)) {
      throw new RenderError(
        `Invalid placeholder '{${key}}': names are lowercase letters, digits and underscores`,
      );
    }
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER, ""))) {
    throw new RenderError("Unbalanced '{' or '}' in the template");
  }
  return keys;
}

export interface ResolvedVariable {
  value: string;
  secret: boolean;
}

// Input rules refuse lone surrogates now, but a row stored before them may hold one, and the
// encoders throw URIError on it: leave that button out rather than fail the whole response.
function encodeValue(key: string, value: string, inQuery: boolean): string {
  try {
    return inQuery ? encodeURIComponent(value) : encodeURI(value);
  } catch (error) {
    if (!(error instanceof URIError)) throw error;
    throw new RenderError(`Variable '${key}' holds text that cannot be URL-encoded (a lone surrogate)`, key);
  }
}

/**
 * Fills `{name}` placeholders. Values in the query string or fragment are encoded as one
 * component (`&`, `=`, `/` escaped); before the `?` they keep URL structure (`encodeURI`), so
 * a variable can hold a base URL such as `https://rundeck.example.com`. The result must be an
 * absolute http(s) URL.
 */
export function renderUrl(template: string, resolve: (key: string) => ResolvedVariable | undefined): string {
  templateVariables(template);
  const query = template.search(/[?#]/);
  let out = "";
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const key = match[1] ?? "";
    const resolved = resolve(key);
    if (!resolved) throw new RenderError(`Missing variable: ${key}`, key);
    if (resolved.secret) throw new RenderError(secretMessage(key), key);
    const inQuery = query >= 0 && match.index > query;
    out += template.slice(last, match.index);
    out += encodeValue(key, resolved.value, inQuery);
    last = match.index + match[0].length;
  }
  out += template.slice(last);
  let url: URL;
  try {
    url = new URL(out);
  } catch {
    throw new RenderError(`The rendered URL is not absolute: '${out}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RenderError(`Only http and https URLs are allowed, got '${url.protocol.replace(/:$/, "")}'`);
  }
  return out;
}
