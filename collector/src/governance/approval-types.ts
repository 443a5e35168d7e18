import type { Principal, Role } from "../auth/capabilities.ts";

/** The approval types of the hosted product (docs/governance.md, Approvals). */
export const APPROVAL_TYPES = ["uat", "qa", "performance", "security", "code_review", "compliance"] as const;
export type ApprovalType = (typeof APPROVAL_TYPES)[number];

export const APPROVAL_DECISIONS = ["approved", "rejected"] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

/**
 * Which roles may decide each approval type: the hosted product's role → approval-type table
 * (admin and release_manager decide every type). The route capability comes on top of this.
 */
export const APPROVAL_TYPE_ROLES: Readonly<Record<ApprovalType, readonly Role[]>> = {
  uat: ["admin", "release_manager", "product"],
  qa: ["admin", "release_manager", "qa"],
  performance: ["admin", "release_manager", "qa", "sre"],
  security: ["admin", "release_manager", "security"],
  code_review: ["admin", "release_manager", "developer"],
  compliance: ["admin", "release_manager", "compliance"],
};

/** The types a role may decide, in the order of APPROVAL_TYPES. */
export function approvalTypesForRole(role: Role): ApprovalType[] {
  return APPROVAL_TYPES.filter((type) => APPROVAL_TYPE_ROLES[type].includes(role));
}

/**
 * Why `principal` may not decide `type`, or null when it may. An approval names a person:
 * API keys (even admin ones) never decide, so a pipeline cannot approve its own deployment.
 */
export function approvalRefusal(principal: Principal, type: ApprovalType): string | null {
  if (principal.kind !== "user" || !principal.role) {
    return "Approvals are decided by users (a personal token or a dashboard session), not by API keys";
  }
  if (!APPROVAL_TYPE_ROLES[type].includes(principal.role)) {
    const allowed = approvalTypesForRole(principal.role);
    return `The role '${principal.role}' may not decide '${type}' approvals${
      allowed.length > 0 ? ` (it may decide: ${allowed.join(", ")})` : ""
    }`;
  }
  return null;
}
