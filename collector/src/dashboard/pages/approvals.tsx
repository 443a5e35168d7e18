import { ValidationError } from "../../errors.ts";
import { APPROVAL_TYPES, type ApprovalType, approvalTypesForRole } from "../../governance/approval-types.ts";
import { decideVersion, type VersionApprovalView } from "../../governance/approvals-service.ts";
import {
  cancelDeploymentRequest,
  createDeploymentRequest,
  DEPLOYMENT_REQUEST_STATUSES,
  type DeploymentRequestStatus,
  type DeploymentRequestView,
  decideSlot,
  getDeploymentRequest,
  listDeploymentRequests,
  submitDeploymentRequest,
} from "../../governance/deployment-requests-service.ts";
import { actorFrom } from "../../http/actor.ts";
import type { AppDeps } from "../../http/app-env.ts";
import { allProducts } from "../catalog-reads.ts";
import { Csrf, ListTable, PageHeader, Pager, When } from "../components.tsx";
import { can, type DashboardRouter, field, param, withQuery } from "../dashboard-http.tsx";
import { Layout, type PageContext } from "../layout.tsx";
import { environmentPath, productPath, versionPath } from "../paths.ts";
import { fieldList, PostButton, requiredText } from "../settings/settings-layout.tsx";

const REQUESTS = "/deployment-requests";
const PAGE_SIZE = 50;

const requestPath = (id: string) => `${REQUESTS}/${encodeURIComponent(id)}`;
const label = (text: string) => text.replaceAll("_", " ");

function approvalType(value: string, name = "type"): ApprovalType {
  if ((APPROVAL_TYPES as readonly string[]).includes(value)) return value as ApprovalType;
  throw ValidationError.field(["body", name], `must be one of ${APPROVAL_TYPES.join(", ")}`);
}

function decision(form: Record<string, unknown>): "approved" | "rejected" {
  return field(form, "decision") === "rejected" ? "rejected" : "approved";
}

/** The approval types this person may decide: none for API keys, the role → type table for users. */
export function decidableTypes(ctx: PageContext): ApprovalType[] {
  const { principal } = ctx;
  return principal.kind === "user" && principal.role ? approvalTypesForRole(principal.role) : [];
}

/** The version page's approvals: who approved or rejected which type, and a form for allowed roles. */
export function VersionApprovals(props: {
  ctx: PageContext;
  versionId: string;
  approvals: VersionApprovalView[];
}) {
  const { ctx } = props;
  const types = can(ctx, "versions.approve") ? decidableTypes(ctx) : [];
  return (
    <section aria-labelledby="approvals-title">
      <h2 id="approvals-title">Approvals</h2>
      {props.approvals.length === 0 ? (
        <p class="empty">No approvals yet.</p>
      ) : (
        <ListTable columns={["Type", "Decision", "Environment", "By", "Comment", "When"]}>
          {props.approvals.map((approval) => (
            <tr data-approval={approval.type}>
              <th scope="row">{label(approval.type)}</th>
              <td>
                <span
                  class={`status ${approval.decision === "approved" ? "status-completed" : "status-failed"}`}
                >
                  {approval.decision}
                </span>
              </td>
              <td>{approval.environment ?? "any"}</td>
              <td>
                {approval.approved_by}
                {approval.approver_role ? <small> ({label(approval.approver_role)})</small> : null}
              </td>
              <td class="wrap">{approval.comment ?? ""}</td>
              <td>
                <When at={approval.created_at} now={ctx.now} />
              </td>
            </tr>
          ))}
        </ListTable>
      )}
      {types.length > 0 ? (
        <details class="card">
          <summary>Approve or reject</summary>
          <form
            method="post"
            action={`/dashboard/versions/${encodeURIComponent(props.versionId)}/approvals`}
            class="stack"
          >
            <Csrf token={ctx.csrfToken} />
            <label>
              Type
              <select name="type">
                {types.map((type) => (
                  <option value={type}>{label(type)}</option>
                ))}
              </select>
            </label>
            <label>
              Environment (empty: any)
              <input type="text" name="environment" />
            </label>
            <label>
              Comment
              <input type="text" name="comment" maxlength={2048} />
            </label>
            <div class="row-actions">
              <button type="submit" name="decision" value="approved">
                Approve
              </button>
              <button type="submit" name="decision" value="rejected" class="danger">
                Reject
              </button>
            </div>
          </form>
        </details>
      ) : null}
    </section>
  );
}

function RequestStatus(props: { status: string }) {
  const tone =
    props.status === "approved" || props.status === "completed"
      ? "status-completed"
      : props.status === "rejected"
        ? "status-failed"
        : props.status === "in_progress"
          ? "status-in_progress"
          : "status-not_deployed";
  return <span class={`status ${tone}`}>{label(props.status)}</span>;
}

/** Deployment requests: the list with a "new request" form, the detail with its approval slots. */
export function registerApprovalPages(router: DashboardRouter, deps: AppDeps) {
  router.action(
    "/dashboard/versions/:id/approvals",
    "versions.approve",
    async (c, form) => {
      const id = param(c, "id");
      const made = await decideVersion(deps, actorFrom(c), id, {
        type: approvalType(field(form, "type")),
        decision: decision(form),
        environment: field(form, "environment") || null,
        comment: field(form, "comment") || null,
      });
      return withQuery(
        `${versionPath(id)}#approvals-title`,
        "notice",
        `${label(made.type)} ${made.decision}`,
      );
    },
    (c) => versionPath(param(c, "id")),
  );

  router.page(REQUESTS, async (c, ctx) => {
    const query = new URL(c.req.url).searchParams;
    const status = (DEPLOYMENT_REQUEST_STATUSES as readonly string[]).includes(query.get("status") ?? "")
      ? (query.get("status") as DeploymentRequestStatus)
      : undefined;
    const [page, products] = await Promise.all([
      listDeploymentRequests(deps, { status, limit: PAGE_SIZE, cursor: query.get("cursor") ?? undefined }),
      allProducts(deps),
    ]);
    return (
      <Layout ctx={ctx} title="Deployment requests">
        <PageHeader
          title="Deployment requests"
          lead="A deployment that needs approvals first: one slot per approval type, decided by the roles of that type."
          actions={
            <a class="button secondary" href="/rules">
              Governance
            </a>
          }
        />
        <form class="filters" method="get" action={REQUESTS} aria-label="Filter deployment requests">
          <label>
            Status
            <select name="status">
              <option value="">Any</option>
              {DEPLOYMENT_REQUEST_STATUSES.map((s) => (
                <option value={s} selected={status === s}>
                  {label(s)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
        {page.items.length === 0 ? (
          <p class="empty">No deployment requests{status ? ` with status ${label(status)}` : ""}.</p>
        ) : (
          <ListTable columns={["Request", "Status", "Product", "Version", "Environment", "Slots", "Created"]}>
            {page.items.map((request) => (
              <tr data-request={request.name}>
                <th scope="row">
                  <a href={requestPath(request.id)}>{request.name}</a>
                </th>
                <td>
                  <RequestStatus status={request.status} />
                </td>
                <td>
                  <a href={productPath(request.product)}>{request.product}</a>
                </td>
                <td>
                  <a href={versionPath(request.version_id)}>{request.version}</a>
                </td>
                <td>
                  <a href={environmentPath(request.environment)}>{request.environment}</a>
                </td>
                <td class="wrap">
                  {request.slots.map((slot) => `${label(slot.type)}: ${slot.status}`).join(" · ")}
                </td>
                <td>
                  <When at={request.created_at} now={ctx.now} />
                </td>
              </tr>
            ))}
          </ListTable>
        )}
        <Pager base={REQUESTS} query={query} nextCursor={page.next_cursor} />
        {can(ctx, "deployment_requests.manage") ? (
          <details class="card">
            <summary>New deployment request</summary>
            <form method="post" action="/dashboard/deployment-requests" class="stack">
              <Csrf token={ctx.csrfToken} />
              <label>
                Product
                <select name="product">
                  {products.map((p) => (
                    <option value={p.name}>{p.name}</option>
                  ))}
                </select>
              </label>
              <label>
                Version
                <input type="text" name="version" required />
              </label>
              <label>
                Environment
                <input type="text" name="environment" required />
              </label>
              <label>
                Name (empty: product version → environment)
                <input type="text" name="name" maxlength={255} />
              </label>
              <label>
                Description
                <input type="text" name="description" maxlength={2048} />
              </label>
              <fieldset>
                <legend>Approvals needed</legend>
                {APPROVAL_TYPES.map((type) => (
                  <label class="choice">
                    <input type="checkbox" name="approval_types[]" value={type} /> {label(type)}
                  </label>
                ))}
              </fieldset>
              <div>
                <button type="submit">Create request</button>
              </div>
            </form>
          </details>
        ) : null}
      </Layout>
    );
  });

  router.page(`${REQUESTS}/:id`, async (c, ctx) => {
    const request = await getDeploymentRequest(deps, param(c, "id"));
    return <RequestPage ctx={ctx} request={request} />;
  });

  router.action(
    "/dashboard/deployment-requests",
    "deployment_requests.manage",
    async (c, form) => {
      const types = fieldList(form, "approval_types").map((type) => approvalType(type, "approval_types"));
      const name = field(form, "name");
      const made = await createDeploymentRequest(deps, actorFrom(c), {
        product: requiredText(form, "product"),
        version: requiredText(form, "version"),
        environment: requiredText(form, "environment"),
        ...(name ? { name } : {}),
        description: field(form, "description") || null,
        approval_types: types,
      });
      return withQuery(requestPath(made.id), "notice", `Created ${made.name} (draft)`);
    },
    () => REQUESTS,
  );

  const transition = (verb: "submit" | "cancel", run: typeof submitDeploymentRequest) =>
    router.action(
      `/dashboard/deployment-requests/:id/${verb}`,
      "deployment_requests.manage",
      async (c) => {
        const request = await run(deps, actorFrom(c), param(c, "id"));
        return withQuery(requestPath(request.id), "notice", `${request.name} is ${label(request.status)}`);
      },
      (c) => requestPath(param(c, "id")),
    );
  transition("submit", submitDeploymentRequest);
  transition("cancel", cancelDeploymentRequest);

  router.action(
    "/dashboard/deployment-requests/:id/slots/:type",
    "deployment_requests.approve",
    async (c, form) => {
      const type = approvalType(param(c, "type"));
      const request = await decideSlot(deps, actorFrom(c), param(c, "id"), type, {
        decision: decision(form),
        comment: field(form, "comment") || null,
      });
      return withQuery(requestPath(request.id), "notice", `${label(type)} ${decision(form)}`);
    },
    (c) => requestPath(param(c, "id")),
  );
}

function RequestPage(props: { ctx: PageContext; request: DeploymentRequestView }) {
  const { ctx, request } = props;
  const manage = can(ctx, "deployment_requests.manage");
  const mine = new Set(can(ctx, "deployment_requests.approve") ? decidableTypes(ctx) : []);
  const open =
    request.status === "draft" || request.status === "in_progress" || request.status === "approved";
  const base = `/dashboard/deployment-requests/${encodeURIComponent(request.id)}`;
  return (
    <Layout ctx={ctx} title={request.name}>
      <PageHeader
        title={request.name}
        lead={
          <>
            <RequestStatus status={request.status} /> ·{" "}
            <a href={productPath(request.product)}>{request.product}</a>{" "}
            <a href={versionPath(request.version_id)}>{request.version}</a> →{" "}
            <a href={environmentPath(request.environment)}>{request.environment}</a>
          </>
        }
        actions={
          manage && open ? (
            <div class="row-actions">
              {request.status === "draft" ? (
                <PostButton
                  action={`${base}/submit`}
                  csrf={ctx.csrfToken}
                  label="Submit for approval"
                  class=""
                />
              ) : null}
              <PostButton
                action={`${base}/cancel`}
                csrf={ctx.csrfToken}
                label="Cancel request"
                class="danger"
              />
            </div>
          ) : null
        }
      />
      {request.description ? <p>{request.description}</p> : null}
      <p class="muted">
        Created by {request.created_by} <When at={request.created_at} now={ctx.now} />
        {request.completed_at ? (
          <>
            {" "}
            · completed <When at={request.completed_at} now={ctx.now} />
          </>
        ) : null}
      </p>
      <h2>Approval slots</h2>
      <ListTable columns={["Type", "Status", "By", "Comment", "When", ""]}>
        {request.slots.map((slot) => (
          <tr data-slot={slot.type}>
            <th scope="row">{label(slot.type)}</th>
            <td>
              <RequestStatus status={slot.status === "pending" ? "pending" : slot.status} />
            </td>
            <td>{slot.decided_by ?? ""}</td>
            <td class="wrap">{slot.comment ?? ""}</td>
            <td>
              <When at={slot.decided_at} now={ctx.now} />
            </td>
            <td>
              {request.status === "in_progress" && mine.has(slot.type) ? (
                <form method="post" action={`${base}/slots/${slot.type}`} class="inline-form">
                  <Csrf token={ctx.csrfToken} />
                  <input
                    type="text"
                    name="comment"
                    placeholder="Comment"
                    aria-label={`Comment on ${label(slot.type)}`}
                  />
                  {slot.status !== "approved" ? (
                    <button
                      type="submit"
                      name="decision"
                      value="approved"
                      aria-label={`Approve ${label(slot.type)}`}
                    >
                      Approve
                    </button>
                  ) : null}
                  <button
                    type="submit"
                    name="decision"
                    value="rejected"
                    class="danger"
                    aria-label={`Reject ${label(slot.type)}`}
                  >
                    Reject
                  </button>
                </form>
              ) : null}
            </td>
          </tr>
        ))}
      </ListTable>
    </Layout>
  );
}
