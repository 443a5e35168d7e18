export { APPROVAL_TYPES } from "./governance-shapes.ts";
export { createMcpServer } from "./server.ts";
