export * from "./drift.ts";
export * from "./events.ts";
export * from "./fields.ts";
export * from "./insights.ts";
export * from "./responses.ts";
export * from "./vocabulary.ts";
