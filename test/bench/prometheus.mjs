// Reading Prometheus text (the collector's GET /metrics, sqld's admin GET /metrics) for the bench:
// snapshots taken before and after a section, and the figures their difference gives.

/** One scrape: every sample as { name, labels, value }. */
export async function scrape(url, token) {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 200)}`);
  return parse(text);
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parse(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(LABEL)].map((m) => [m[1], m[2]]));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The sum of `name`'s samples whose labels include `where`, or null if the scrape has none.
 * A metric that sqld exports both without labels and per namespace is counted once: pass
 * `{ namespace: "default" }` or use `unlabelled`.
 */
export function total(samples, name, where = {}) {
  const matching = samples.filter(
    (sample) =>
      sample.name === name && Object.entries(where).every(([key, value]) => sample.labels[key] === value),
  );
  return matching.length ? matching.reduce((sum, sample) => sum + sample.value, 0) : null;
}

/** The sample of `name` that carries no label (null if there is none). */
export function unlabelled(samples, name) {
  return (
    samples.find((sample) => sample.name === name && Object.keys(sample.labels).length === 0)?.value ?? null
  );
}

/**
 * What a histogram gained between two scrapes, as counts per bucket rather than cumulative ones:
 * [{ bucket: "3–4", count }] with integer bounds (the group-size histogram counts requests), plus
 * how many observations and their sum. Null if the histogram is not exposed.
 */
export function histogramDelta(before, after, name) {
  const cumulative = (samples) =>
    new Map(
      samples
        .filter((sample) => sample.name === `${name}_bucket`)
        .map((sample) => [sample.labels.le, sample.value]),
    );
  const [start, end] = [cumulative(before), cumulative(after)];
  if (end.size === 0) return null;
  const bounds = [...end.keys()]
    .filter((le) => le !== "+Inf")
    .map(Number)
    .sort((a, b) => a - b);
  const buckets = [];
  let previousBound = 0;
  let previousCount = 0;
  for (const bound of [...bounds, Number.POSITIVE_INFINITY]) {
    const le = bound === Number.POSITIVE_INFINITY ? "+Inf" : String(bound);
    const count = (end.get(le) ?? 0) - (start.get(le) ?? 0);
    const low = Math.floor(previousBound) + 1;
    const label =
      bound === Number.POSITIVE_INFINITY
        ? `> ${previousBound}`
        : low >= bound
          ? `${bound}`
          : `${low}–${bound}`;
    buckets.push({ bucket: label, count: count - previousCount });
    previousBound = bound;
    previousCount = count;
  }
  const delta = (suffix) =>
    (total(after, `${name}${suffix}`) ?? 0) - (total(before, `${name}${suffix}`) ?? 0);
  return { count: delta("_count"), sum: delta("_sum"), buckets };
}
