/* Versioner CLI loader, run as: node --input-type=module -e <this text> -- <versioner arguments>.
   Downloads the CLI the collector at VERSIONER_API_URL serves (GET /cli/versioner.mjs), checks the
   body against its X-Checksum-Sha256 header and runs it; nothing unchecked is ever run. A collector
   that cannot be reached only warns when VERSIONER_FAIL_ON_API_ERROR is false, like the CLI itself.
   Copies live in actions/gitlab/templates and actions/jenkins/resources: edit this file, then run
   node scripts/sync-cli-loader.mjs. No dollar sign, double quote, percent sign or line comment, so
   GitLab variable expansion, cmd.exe and joining the lines with spaces all leave it intact. */
import { createHash } from 'node:crypto';
const env = process.env;
const args = process.argv.slice(1);
const tolerate = ['false', '0', 'no'].includes((env.VERSIONER_FAIL_ON_API_ERROR || '').trim().toLowerCase());
function stop(message, always) {
  const warn = tolerate && !always;
  console.error((warn ? 'warning: ' : 'error: ') + message + (warn ? ' (continuing: fail-on-api-error is false)' : ''));
  process.exit(warn ? 0 : 1);
}
let base = (env.VERSIONER_API_URL || '').trim();
while (base.endsWith('/')) base = base.slice(0, -1);
if (!/^https?:[/][/]/i.test(base)) stop('cannot fetch the versioner CLI: set VERSIONER_API_URL to the collector URL (http:// or https://)', true);
const url = base + '/cli/versioner.mjs';
const seconds = Number(env.VERSIONER_TIMEOUT) > 0 ? Number(env.VERSIONER_TIMEOUT) : 30;
let response;
let body;
let reason = '';
for (let attempt = 1; attempt <= 3 && !body; attempt++) {
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(seconds * 1000) });
    if (response.status < 500) body = Buffer.from(await response.arrayBuffer());
    else reason = 'HTTP ' + response.status;
  } catch (error) {
    const cause = error.cause || {};
    const code = cause.code || cause.errors?.[0]?.code || cause.message || error.message;
    reason = error.name === 'TimeoutError' ? 'timeout after ' + seconds + ' s' : 'network error: ' + code;
  }
  if (!body && attempt < 3) await new Promise((resolve) => setTimeout(resolve, attempt * 1000));
}
if (!body) stop('could not download the versioner CLI from ' + url + ' after 3 attempts: ' + reason);
if (!response.ok) stop('could not download the versioner CLI from ' + url + ': HTTP ' + response.status + (response.status === 404 ? ' (a collector older than the component does not serve its CLI: upgrade it, or set the cli option)' : ''));
const expected = (response.headers.get('x-checksum-sha256') || '').trim().toLowerCase();
const actual = createHash('sha256').update(body).digest('hex');
if (expected !== actual) stop('the versioner CLI from ' + url + ' does not match its X-Checksum-Sha256 header (' + (expected || 'missing') + ', received ' + actual + '); not running it');
process.argv = [process.argv[0], url, ...args];
await import('data:text/javascript;base64,' + body.toString('base64'));
