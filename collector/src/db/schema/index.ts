export * from "./audit.ts";
export * from "./auth.ts";
export * from "./catalog.ts";
export * from "./events.ts";
export * from "./releases.ts";
export * from "./variables.ts";
export * from "./buttons.ts";
