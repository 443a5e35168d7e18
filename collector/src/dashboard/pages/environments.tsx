import { ENVIRONMENT_TYPES, type Environment, type EnvironmentType, Name } from "@versioner/schema";
import { z } from "zod";
import { listDeployments } from "../../catalog/deployments-service.ts";
import {
  createEnvironment,
  getEnvironment,
  listEnvironments,
  moveEnvironment,
  updateEnvironment,
} from "../../catalog/environments-service.ts";
import { getState } from "../../catalog/state-service.ts";
import { actorFrom } from "../../http/actor.ts";
import type { AppDeps } from "../../http/app-env.ts";
import { parseOrThrow } from "../../validation.ts";
import { Csrf, ListTable, MetadataList, PageHeader, StateCellColumns } from "../components.tsx";
import { can, type DashboardRouter, field, param } from "../dashboard-http.tsx";
import { Layout, type PageContext } from "../layout.tsx";
import { environmentPath, productPath } from "../paths.ts";
import { DeploymentsTable } from "./deployments.tsx";

const EnvironmentForm = z.object({
  name: Name,
  type: z.enum(ENVIRONMENT_TYPES).optional(),
  description: z.string().max(4096),
});

function readForm(form: Record<string, unknown>) {
  return parseOrThrow(
    EnvironmentForm,
    {
      name: field(form, "name"),
      type: field(form, "type") || undefined,
      description: field(form, "description"),
    },
    ["body"],
  );
}

export function registerEnvironmentPages(router: DashboardRouter, deps: AppDeps) {
  router.page("/environments", async (_c, ctx) => {
    const environments = await listEnvironments(deps, {});
    return <EnvironmentsPage ctx={ctx} environments={environments} />;
  });

  router.page("/environments/:name", async (c, ctx) => {
    const environment = await getEnvironment(deps, param(c, "name"));
    const [state, deployments] = await Promise.all([
      getState(deps),
      listDeployments(deps, { environment: environment.id, limit: 30 }),
    ]);
    const index = state.environments.findIndex((env) => env.id === environment.id);
    const running = state.products.flatMap((product) => {
      const cell = product.cells[index];
      return cell && (cell.current || cell.in_progress || cell.failed)
        ? [{ product: product.name, cell }]
        : [];
    });
    return (
      <Layout ctx={ctx} title={environment.name}>
        <PageHeader
          title={environment.name}
          lead={`Type: ${environment.type}${environment.description ? ` · ${environment.description}` : ""}`}
          actions={
            <a
              class="button secondary"
              href={`/deployments?environment=${encodeURIComponent(environment.name)}`}
            >
              All deployments here
            </a>
          }
        />
        <h2>What runs here now</h2>
        {running.length === 0 ? (
          <p class="empty">Nothing has been deployed to {environment.name} yet.</p>
        ) : (
          <ListTable columns={["Product", "Version", "Since", "Latest attempt"]}>
            {running.map(({ product, cell }) => (
              <tr>
                <th scope="row">
                  <a href={productPath(product)}>{product}</a>
                </th>
                <StateCellColumns cell={cell} now={ctx.now} />
              </tr>
            ))}
          </ListTable>
        )}
        <h2>Recent deployments</h2>
        <DeploymentsTable deployments={deployments.items} now={ctx.now} />
        <h2>Metadata</h2>
        <div class="card">
          <MetadataList data={environment.metadata} />
        </div>
      </Layout>
    );
  });

  router.action(
    "/dashboard/environments",
    "environments.write",
    async (c, form) => {
      const input = readForm(form);
      const created = await createEnvironment(deps, actorFrom(c), {
        name: input.name,
        type: input.type,
        description: input.description || null,
      });
      return `/environments?notice=${encodeURIComponent(`Created ${created.name} (${created.type})`)}`;
    },
    () => "/environments",
  );

  router.action(
    "/dashboard/environments/:name",
    "environments.write",
    async (c, form) => {
      const input = readForm(form);
      const updated = await updateEnvironment(deps, actorFrom(c), param(c, "name"), {
        name: input.name,
        type: input.type,
        description: input.description || null,
      });
      return `/environments?notice=${encodeURIComponent(`Saved ${updated.name}`)}`;
    },
    () => "/environments",
  );

  router.action(
    "/dashboard/environments/:name/move",
    "environments.write",
    async (c, form) => {
      const direction = field(form, "direction") === "up" ? "up" : "down";
      await moveEnvironment(deps, actorFrom(c), param(c, "name"), direction);
      return `/environments#env-${encodeURIComponent(param(c, "name"))}`;
    },
    () => "/environments",
  );
}

function typeOptions(value?: EnvironmentType, inferable = false) {
  return [
    inferable ? <option value="">Infer from the name</option> : null,
    ...ENVIRONMENT_TYPES.map((type) => (
      <option value={type} selected={value === type}>
        {type}
      </option>
    )),
  ];
}

function EnvironmentsPage(props: { ctx: PageContext; environments: Environment[] }) {
  const { ctx, environments } = props;
  const editable = can(ctx, "environments.write");
  return (
    <Layout ctx={ctx} title="Environments">
      <PageHeader
        title="Environments"
        lead="In promotion order: by type (dev → test → staging → production), then by the order you set within a type."
      />
      {editable ? (
        <details class="card">
          <summary>New environment</summary>
          <form method="post" action="/dashboard/environments" class="inline-form">
            <Csrf token={ctx.csrfToken} />
            <label>
              Name
              <input name="name" required maxlength={255} />
            </label>
            <label>
              Type
              <select name="type">{typeOptions(undefined, true)}</select>
            </label>
            <label>
              Description
              <input name="description" maxlength={4096} />
            </label>
            <button type="submit">Create environment</button>
          </form>
        </details>
      ) : null}
      {environments.length === 0 ? (
        <p class="empty">No environments yet; the first deployment to one creates it.</p>
      ) : (
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Description</th>
                {editable ? <th scope="col">Order and edit</th> : null}
              </tr>
            </thead>
            <tbody>
              {environments.map((env, index) => {
                const sameTypeAbove = environments[index - 1]?.type === env.type;
                const sameTypeBelow = environments[index + 1]?.type === env.type;
                const action = `/dashboard/environments/${encodeURIComponent(env.name)}`;
                return (
                  <tr id={`env-${env.name}`}>
                    <th scope="row">
                      <a href={environmentPath(env.name)}>{env.name}</a>
                    </th>
                    <td>{env.type}</td>
                    <td class="wrap">{env.description ?? ""}</td>
                    {editable ? (
                      <td>
                        <div class="inline-form">
                          {/* One form, two submit buttons: the pressed one sends its direction. */}
                          <form method="post" action={`${action}/move`} class="inline-form">
                            <Csrf token={ctx.csrfToken} />
                            {(
                              [
                                ["up", "↑", sameTypeAbove],
                                ["down", "↓", sameTypeBelow],
                              ] as const
                            ).map(([direction, arrow, possible]) => (
                              <button
                                type="submit"
                                name="direction"
                                value={direction}
                                class="secondary"
                                disabled={!possible}
                                aria-label={`Move ${env.name} ${direction}`}
                              >
                                {arrow}
                              </button>
                            ))}
                          </form>
                          <details>
                            <summary>Edit {env.name}</summary>
                            <form method="post" action={action} class="stack">
                              <Csrf token={ctx.csrfToken} />
                              <label>
                                Name
                                <input name="name" value={env.name} required maxlength={255} />
                              </label>
                              <label>
                                Type
                                <select name="type">{typeOptions(env.type)}</select>
                              </label>
                              <label>
                                Description
                                <input name="description" value={env.description ?? ""} maxlength={4096} />
                              </label>
                              <div>
                                <button type="submit">Save</button>
                              </div>
                            </form>
                          </details>
                        </div>
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
