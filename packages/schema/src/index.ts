export * from "./environment-type.ts";
export * from "./error-codes.ts";
export * from "./events.ts";
export * from "./fields.ts";
export * from "./responses.ts";
export * from "./status.ts";
