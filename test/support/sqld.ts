// The libSQL server (sqld) the end-to-end tests start: the collector's test helper, shared so the
// collector suite and these tests find and start the same pinned binary one way.
export {
  type RunningSqld,
  SQLD_AVAILABLE,
  SQLD_BINARY,
  startSqld,
} from "@versioner/collector/testing/sqld-server";
