import { listVersions } from "../../catalog/versions-service.ts";
import { ValidationError } from "../../errors.ts";
import { listLocks, lockEnvironment, unlockEnvironment } from "../../governance/locks-service.ts";
import { dryRunPreflight, listPreflightFailures } from "../../governance/preflight.ts";
import {
  RULE_MODES,
  RULE_TYPES,
  type Rule,
  type RuleMode,
  type RuleType,
} from "../../governance/rules-schema.ts";
import { createRule, deleteRule, getRule, listRules, updateRule } from "../../governance/rules-service.ts";
import { actorFrom } from "../../http/actor.ts";
import type { AppDeps } from "../../http/app-env.ts";
import { allProducts } from "../catalog-reads.ts";
import { Csrf, ListTable, PageHeader, When } from "../components.tsx";
import { can, type DashboardRouter, field, param, withQuery } from "../dashboard-http.tsx";
import { Layout, type PageContext } from "../layout.tsx";
import { environmentPath, preflightPath, productPath } from "../paths.ts";
import { PostButton, requiredText, splitList } from "../settings/settings-layout.tsx";
import { PreflightAnswerView } from "./preflight-answer.tsx";

const AREA = "/rules";
const RECENT_BLOCKS = 20;

/** An example per type for the settings field: what the JSON of each rule type looks like. */
const SETTINGS_EXAMPLES: Readonly<Record<RuleType, string>> = {
  schedule:
    '{"recurrence": "weekly", "timezone": "Europe/Berlin", "days_of_week": [5], "start": "12:00", "end": "23:59", "reason": "Friday freeze"}',
  flow: '{"prerequisites": [{"environment": "staging", "min_soak_minutes": 60}], "strict_order": false}',
  version_approval: '{"required_types": ["qa"]}',
  deployment_request: '{"required_types": ["security"]}',
  concurrency: "{}",
};

function ModeBadge(props: { mode: string }) {
  return <span class={`status mode-${props.mode}`}>{props.mode.replace("_", " ")}</span>;
}

function oneOf<T extends string>(values: readonly T[], value: string, name: string): T {
  if ((values as readonly string[]).includes(value)) return value as T;
  throw ValidationError.field(["body", name], `must be one of ${values.join(", ")}`);
}

function readSettings(form: Record<string, unknown>): Record<string, unknown> {
  const text = field(form, "settings") || "{}";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw ValidationError.field(["body", "settings"], "must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw ValidationError.field(["body", "settings"], "must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function readScope(form: Record<string, unknown>) {
  return {
    products: splitList(field(form, "products")),
    environments: splitList(field(form, "environments")),
  };
}

const scopeText = (names: string[], all: string) => (names.length > 0 ? names.join(", ") : all);

/**
 * The governance area: deployment rules (every role reads them; `rules.manage` edits), environment
 * locks (`environments.write` locks and unlocks), recent blocked attempts, and the "may I deploy?"
 * page. All of it goes through the same services as the API.
 */
export function registerGovernancePages(router: DashboardRouter, deps: AppDeps) {
  router.page(AREA, async (_c, ctx) => {
    const [rules, locks, blocked, products] = await Promise.all([
      listRules(deps),
      listLocks(deps),
      listPreflightFailures(deps, { limit: RECENT_BLOCKS }),
      allProducts(deps),
    ]);
    const manage = can(ctx, "rules.manage");
    const lockable = can(ctx, "environments.write");
    return (
      <Layout ctx={ctx} title="Governance">
        <PageHeader
          title="Governance"
          lead="Rules that decide what may deploy where, environment locks, and the deployments they stopped."
          actions={
            <>
              <a class="button secondary" href="/deployment-requests">
                Deployment requests
              </a>{" "}
              <a class="button secondary" href={preflightPath({})}>
                May I deploy?
              </a>
            </>
          }
        />
        <section aria-labelledby="locks-title" id="locks">
          <h2 id="locks-title">Locks</h2>
          {locks.length === 0 ? (
            <p class="empty">No environment is locked.</p>
          ) : (
            <ListTable columns={["Environment", "Product", "Reason", "Locked by", "Since", "Until", ""]}>
              {locks.map((lock) => (
                <tr data-lock={`${lock.environment}/${lock.product ?? "*"}`}>
                  <th scope="row">
                    <a href={environmentPath(lock.environment)}>{lock.environment}</a>
                  </th>
                  <td>
                    {lock.product ? <a href={productPath(lock.product)}>{lock.product}</a> : "every product"}
                  </td>
                  <td class="wrap">{lock.reason}</td>
                  <td>{lock.locked_by}</td>
                  <td>
                    <When at={lock.created_at} now={ctx.now} />
                  </td>
                  <td>
                    {lock.expires_at ? <When at={lock.expires_at} now={ctx.now} /> : "unlocked by hand"}
                  </td>
                  <td>
                    {lockable ? (
                      <PostButton
                        action="/dashboard/locks/unlock"
                        csrf={ctx.csrfToken}
                        label="Unlock"
                        ariaLabel={`Unlock ${lock.environment}${lock.product ? ` for ${lock.product}` : ""}`}
                        hidden={{ environment: lock.environment, product: lock.product ?? "" }}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </ListTable>
          )}
          {lockable ? <LockForm ctx={ctx} products={products.map((p) => p.name)} /> : null}
        </section>

        <section aria-labelledby="rules-title">
          <h2 id="rules-title">Rules</h2>
          {rules.length === 0 ? (
            <p class="empty">No rules yet: every deployment is admitted.</p>
          ) : (
            <ListTable columns={["Rule", "Type", "Mode", "Products", "Environments", "Description"]}>
              {rules.map((rule) => (
                <RuleRow rule={rule} ctx={ctx} manage={manage} />
              ))}
            </ListTable>
          )}
          {manage ? <NewRuleForm ctx={ctx} /> : null}
        </section>

        <section aria-labelledby="blocked-title">
          <h2 id="blocked-title">Recently blocked</h2>
          {blocked.items.length === 0 ? (
            <p class="empty">No deployment has been blocked.</p>
          ) : (
            <ListTable columns={["When", "Product", "Version", "Environment", "Code", "Rule", "Message"]}>
              {blocked.items.map((failure) => (
                <tr>
                  <td>
                    <When at={failure.created_at} now={ctx.now} />
                  </td>
                  <td>{failure.product}</td>
                  <td>{failure.version}</td>
                  <td>{failure.environment}</td>
                  <td>
                    <code>{failure.code}</code>
                  </td>
                  <td>{failure.rule_name ?? ""}</td>
                  <td class="wrap">{failure.message}</td>
                </tr>
              ))}
            </ListTable>
          )}
        </section>
      </Layout>
    );
  });

  router.page(`${AREA}/:id`, async (c, ctx) => {
    const rule = await getRule(deps, param(c, "id"));
    const manage = can(ctx, "rules.manage");
    return (
      <Layout ctx={ctx} title={rule.name}>
        <PageHeader
          title={rule.name}
          lead={
            <>
              <ModeBadge mode={rule.mode} /> {rule.type.replace("_", " ")} rule · <a href={AREA}>all rules</a>
            </>
          }
        />
        {manage ? (
          <>
            <form method="post" action={`/dashboard/rules/${encodeURIComponent(rule.id)}`} class="stack card">
              <Csrf token={ctx.csrfToken} />
              <RuleFields rule={rule} />
              <div>
                <button type="submit">Save rule</button>
              </div>
            </form>
            <PostButton
              action={`/dashboard/rules/${encodeURIComponent(rule.id)}/delete`}
              csrf={ctx.csrfToken}
              label="Delete rule"
              class="danger"
            />
          </>
        ) : (
          <dl class="facts">
            <dt>Products</dt>
            <dd>{scopeText(rule.scope.products, "all")}</dd>
            <dt>Environments</dt>
            <dd>{scopeText(rule.scope.environments, "all")}</dd>
            <dt>Settings</dt>
            <dd>
              <pre>{JSON.stringify(rule.settings, null, 2)}</pre>
            </dd>
            <dt>Description</dt>
            <dd>{rule.description ?? ""}</dd>
          </dl>
        )}
      </Layout>
    );
  });

  router.action(
    "/dashboard/rules",
    "rules.manage",
    async (c, form) => {
      const rule = await createRule(deps, actorFrom(c), {
        name: requiredText(form, "name"),
        type: oneOf(RULE_TYPES, field(form, "type"), "type"),
        mode: oneOf(RULE_MODES, field(form, "mode") || "enabled", "mode"),
        scope: readScope(form),
        settings: readSettings(form),
        description: field(form, "description") || null,
      });
      return withQuery(AREA, "notice", `Created rule ${rule.name}`);
    },
    () => AREA,
  );

  router.action(
    "/dashboard/rules/:id",
    "rules.manage",
    async (c, form) => {
      const id = param(c, "id");
      // The quick mode switch of the list sends only `mode`; the edit page sends every field.
      const onlyMode = form.name === undefined;
      const rule = await updateRule(
        deps,
        actorFrom(c),
        id,
        onlyMode
          ? { mode: oneOf<RuleMode>(RULE_MODES, field(form, "mode"), "mode") }
          : {
              name: requiredText(form, "name"),
              mode: oneOf<RuleMode>(RULE_MODES, field(form, "mode"), "mode"),
              scope: readScope(form),
              settings: readSettings(form),
              description: field(form, "description") || null,
            },
      );
      return withQuery(
        onlyMode ? AREA : `${AREA}/${encodeURIComponent(id)}`,
        "notice",
        `Saved rule ${rule.name}`,
      );
    },
    (c) =>
      c.req.header("referer")?.includes(`${AREA}/`) ? `${AREA}/${encodeURIComponent(param(c, "id"))}` : AREA,
  );

  router.action(
    "/dashboard/rules/:id/delete",
    "rules.manage",
    async (c) => {
      await deleteRule(deps, actorFrom(c), param(c, "id"));
      return withQuery(AREA, "notice", "Deleted the rule");
    },
    () => AREA,
  );

  router.action(
    "/dashboard/locks",
    "environments.write",
    async (c, form) => {
      const environment = requiredText(form, "environment");
      const product = field(form, "product") || undefined;
      const expires = field(form, "expires_at");
      await lockEnvironment(deps, actorFrom(c), environment, {
        reason: requiredText(form, "reason", 1024),
        ...(product ? { product } : {}),
        ...(expires ? { expires_at: localToIso(expires) } : {}),
      });
      return withQuery(AREA, "notice", `Locked ${environment}${product ? ` for ${product}` : ""}`);
    },
    () => AREA,
  );

  router.action(
    "/dashboard/locks/unlock",
    "environments.write",
    async (c, form) => {
      const environment = requiredText(form, "environment");
      const product = field(form, "product") || undefined;
      await unlockEnvironment(deps, actorFrom(c), environment, product);
      return withQuery(AREA, "notice", `Unlocked ${environment}${product ? ` for ${product}` : ""}`);
    },
    () => AREA,
  );

  router.page("/preflight", async (c, ctx) => {
    const product = c.req.query("product")?.trim() ?? "";
    const environment = c.req.query("environment")?.trim() ?? "";
    const [products, recent] = await Promise.all([
      allProducts(deps),
      product ? listVersions(deps, { product, limit: 10 }) : undefined,
    ]);
    // A matrix cell knows product and environment; the version asked about is then the newest one.
    const version = c.req.query("version")?.trim() || recent?.items[0]?.version || "";
    const answer =
      product && environment && version
        ? await dryRunPreflight(deps, { product_name: product, version, environment_name: environment })
        : undefined;
    return (
      <Layout ctx={ctx} title="May I deploy?">
        <PageHeader
          title="May I deploy?"
          lead="Asks every rule and lock whether this version may be deployed to this environment now. Nothing is recorded."
        />
        <form method="get" action="/preflight" class="filters" aria-label="The deployment to check">
          <label>
            Product
            <input type="text" name="product" value={product} required list="preflight-products" />
            <datalist id="preflight-products">
              {products.map((p) => (
                <option value={p.name} />
              ))}
            </datalist>
          </label>
          <label>
            Version
            <input type="text" name="version" value={version} required list="preflight-versions" />
            <datalist id="preflight-versions">
              {(recent?.items ?? []).map((v) => (
                <option value={v.version} />
              ))}
            </datalist>
          </label>
          <label>
            Environment
            <input type="text" name="environment" value={environment} required />
          </label>
          <button type="submit">Check</button>
        </form>
        {answer ? (
          <PreflightAnswerView
            answer={answer}
            target={`${product} ${version} to ${environment}`}
            now={ctx.now}
          />
        ) : null}
      </Layout>
    );
  });
}

/** `datetime-local` gives a local time without zone; the browser's zone is unknown here, so UTC is stated. */
function localToIso(value: string): string {
  const at = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(at)) throw ValidationError.field(["body", "expires_at"], "must be a date and time");
  return new Date(at).toISOString();
}

function RuleRow(props: { rule: Rule; ctx: PageContext; manage: boolean }) {
  const { rule, ctx } = props;
  return (
    <tr data-rule={rule.name}>
      <th scope="row">
        <a href={`${AREA}/${encodeURIComponent(rule.id)}`}>{rule.name}</a>
      </th>
      <td>{rule.type.replace("_", " ")}</td>
      <td>
        {props.manage ? (
          <form method="post" action={`/dashboard/rules/${encodeURIComponent(rule.id)}`} class="inline-form">
            <Csrf token={ctx.csrfToken} />
            <select name="mode" aria-label={`Mode of ${rule.name}`}>
              {RULE_MODES.map((mode) => (
                <option value={mode} selected={mode === rule.mode}>
                  {mode.replace("_", " ")}
                </option>
              ))}
            </select>
            <button type="submit" class="secondary" aria-label={`Set the mode of ${rule.name}`}>
              Set
            </button>
          </form>
        ) : (
          <ModeBadge mode={rule.mode} />
        )}
      </td>
      <td class="wrap">{scopeText(rule.scope.products, "all")}</td>
      <td class="wrap">{scopeText(rule.scope.environments, "all")}</td>
      <td class="wrap">{rule.description ?? ""}</td>
    </tr>
  );
}

function RuleFields(props: { rule?: Rule }) {
  const { rule } = props;
  return (
    <>
      <label>
        Name
        <input type="text" name="name" required maxlength={255} value={rule?.name ?? ""} />
      </label>
      {rule ? null : (
        <label>
          Type
          <select name="type">
            {RULE_TYPES.map((type) => (
              <option value={type}>{type.replace("_", " ")}</option>
            ))}
          </select>
        </label>
      )}
      <label>
        Mode
        <select name="mode">
          {RULE_MODES.map((mode) => (
            <option value={mode} selected={mode === (rule?.mode ?? "enabled")}>
              {mode.replace("_", " ")}
            </option>
          ))}
        </select>
      </label>
      <label>
        Products (comma-separated names; empty: all)
        <input type="text" name="products" value={rule?.scope.products.join(", ") ?? ""} />
      </label>
      <label>
        Environments (comma-separated names; empty: all)
        <input type="text" name="environments" value={rule?.scope.environments.join(", ") ?? ""} />
      </label>
      <label>
        Settings (JSON)
        <textarea name="settings" rows={4} spellcheck={false}>
          {rule ? JSON.stringify(rule.settings, null, 2) : ""}
        </textarea>
      </label>
      {rule ? null : (
        <ul class="muted settings-examples">
          {RULE_TYPES.map((type) => (
            <li>
              {type.replace("_", " ")}: <code>{SETTINGS_EXAMPLES[type]}</code>
            </li>
          ))}
        </ul>
      )}
      <label>
        Description
        <input type="text" name="description" maxlength={2048} value={rule?.description ?? ""} />
      </label>
    </>
  );
}

function NewRuleForm(props: { ctx: PageContext }) {
  return (
    <details class="card">
      <summary>New rule</summary>
      <form method="post" action="/dashboard/rules" class="stack">
        <Csrf token={props.ctx.csrfToken} />
        <RuleFields />
        <div>
          <button type="submit">Create rule</button>
        </div>
      </form>
    </details>
  );
}

function LockForm(props: { ctx: PageContext; products: string[] }) {
  return (
    <details class="card">
      <summary>Lock an environment</summary>
      <form method="post" action="/dashboard/locks" class="stack">
        <Csrf token={props.ctx.csrfToken} />
        <label>
          Environment
          <input type="text" name="environment" required />
        </label>
        <label>
          Product (empty: every product)
          <select name="product">
            <option value="">Every product</option>
            {props.products.map((name) => (
              <option value={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Reason
          <input type="text" name="reason" required maxlength={1024} />
        </label>
        <label>
          Until (UTC; empty: until unlocked)
          <input type="datetime-local" name="expires_at" />
        </label>
        <div>
          <button type="submit">Lock</button>
        </div>
      </form>
    </details>
  );
}
