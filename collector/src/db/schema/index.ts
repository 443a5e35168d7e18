export * from "./audit.ts";
export * from "./auth.ts";
export * from "./catalog.ts";
export * from "./events.ts";
