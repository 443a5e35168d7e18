export * from "./audit.ts";
export * from "./auth.ts";
export * from "./buttons.ts";
export * from "./catalog.ts";
export * from "./events.ts";
export * from "./notifications.ts";
export * from "./releases.ts";
export * from "./variables.ts";
