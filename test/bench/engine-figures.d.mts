// Types for engine-figures.mjs, as end-to-end tests use it (test/e2e/bench-engine-figures.test.ts).
import type { BenchCollector } from "./servers.d.mts";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Counters {
  collector: Sample[];
  sqld: Sample[] | null;
  pid: number;
  /** CPU ms per thread id of the collector, from /proc; null elsewhere. */
  threads: Record<string, number> | null;
  sqldCpuMs: number | null;
}

export interface EngineFigures {
  events_recorded: number | null;
  groups: {
    count: number;
    requests: number;
    mean_requests_per_group: number | null;
    events_per_group: number | null;
    buckets: Array<{ bucket: string; count: number }>;
  } | null;
  db_client_calls_per_event: number | null;
  /** µs of CPU per recorded event; null without /proc or without events. */
  cpu: {
    main_us_per_event: number;
    busiest_other_us_per_event: number;
    rest_us_per_event: number;
  } | null;
  sqld?: {
    round_trips: number | null;
    statements: number | null;
    round_trips_per_event: number | null;
    round_trips_per_group: number | null;
    statements_per_event: number | null;
    cpu_us_per_event: number | null;
  };
}

export function countersOf(collector: BenchCollector): Promise<Counters>;
export function engineFigures(before: Counters, after: Counters): EngineFigures;
export function describeEngine(name: string, figures: EngineFigures): string[];
