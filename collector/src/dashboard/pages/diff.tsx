import type { Environment, EnvironmentDiff, EnvironmentDiffItem } from "@versioner/schema";
import { listEnvironments } from "../../catalog/environments-service.ts";
import type { AppDeps } from "../../http/app-env.ts";
import { environmentDiff } from "../../insights/insights-service.ts";
import { allProducts } from "../catalog-reads.ts";
import { ExternalLink, ListTable, PageHeader, ShortSha, When } from "../components.tsx";
import { type DashboardContext, type DashboardRouter, param, requireCapability } from "../dashboard-http.tsx";
import { Layout, type PageContext } from "../layout.tsx";
import { teamsOf } from "../matrix-model.ts";
import { environmentPath, productPath, versionPath } from "../paths.ts";

/** Where the comparison page of two environments lives (the API's path, so a link is shareable). */
export function diffPath(a: string, b: string): string {
  return `/environments/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`;
}

/**
 * The two environments compared when the visitor has not chosen: the last non-production
 * environment in promotion order against the first production one (staging vs production), else
 * the last two environments.
 */
export function defaultPair(environments: readonly Environment[]): [string, string] | null {
  if (environments.length < 2) return null;
  const production = environments.findIndex((env) => env.type === "production");
  const b = production > 0 ? production : environments.length - 1;
  return [(environments[b - 1] as Environment).name, (environments[b] as Environment).name];
}

export function registerDiffPages(router: DashboardRouter, deps: AppDeps) {
  const render = async (c: DashboardContext, ctx: PageContext, a?: string, b?: string) => {
    requireCapability(ctx, "catalog.read");
    const [environments, products] = await Promise.all([listEnvironments(deps, {}), allProducts(deps)]);
    const pair = a && b ? [a, b] : defaultPair(environments);
    const filter = { product: c.req.query("product") || undefined, team: c.req.query("team") || undefined };
    const diff = pair ? await environmentDiff(deps, pair[0] as string, pair[1] as string, filter) : null;
    return (
      <DiffPage
        ctx={ctx}
        diff={diff}
        environments={environments.map((env) => env.name)}
        products={products.map((product) => product.name)}
        teams={teamsOf(products)}
        filter={filter}
      />
    );
  };
  // The form submits to /diff?a=…&b=…; links (the matrix's, shared ones) use the API's path.
  router.page("/diff", (c, ctx) => render(c, ctx, c.req.query("a"), c.req.query("b")));
  router.page("/environments/:a/diff/:b", (c, ctx) => render(c, ctx, param(c, "a"), param(c, "b")));
}

function DiffPage(props: {
  ctx: PageContext;
  diff: EnvironmentDiff | null;
  environments: string[];
  products: string[];
  teams: string[];
  filter: { product?: string; team?: string };
}) {
  const { diff, ctx } = props;
  return (
    <Layout ctx={ctx} title={diff ? `${diff.a.name} vs ${diff.b.name}` : "Compare environments"}>
      <PageHeader
        title="Compare environments"
        lead="Every product whose current version differs between two environments, and the products that run in one of them only."
      />
      <form class="filters" method="get" action="/diff" aria-label="Choose what to compare">
        <EnvironmentSelect label="Environment A" name="a" value={diff?.a.name} options={props.environments} />
        <EnvironmentSelect label="Environment B" name="b" value={diff?.b.name} options={props.environments} />
        <label>
          Product
          <select name="product">
            <option value="">All products</option>
            {props.products.map((name) => (
              <option value={name} selected={props.filter.product === name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Team
          <select name="team">
            <option value="">All teams</option>
            {props.teams.map((team) => (
              <option value={team} selected={props.filter.team === team}>
                {team}
              </option>
            ))}
          </select>
        </label>
        <div class="filter-actions">
          <button type="submit">Compare</button>
        </div>
      </form>
      {diff ? (
        <DiffResult diff={diff} now={ctx.now} />
      ) : (
        <p class="empty">Two environments are needed to compare; create them on the Environments page.</p>
      )}
    </Layout>
  );
}

function EnvironmentSelect(props: { label: string; name: string; value?: string; options: string[] }) {
  return (
    <label>
      {props.label}
      <select name={props.name} required>
        {props.options.map((name) => (
          <option value={name} selected={props.value === name}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

function DiffResult(props: { diff: EnvironmentDiff; now: Date }) {
  const { diff } = props;
  const differs = diff.items.filter((item) => item.status === "differs");
  const onlyA = diff.items.filter((item) => item.status === "only_in_a");
  const onlyB = diff.items.filter((item) => item.status === "only_in_b");
  const { a, b } = diff;
  return (
    <section aria-labelledby="diff-title">
      <h2 id="diff-title">
        <a href={environmentPath(a.name)}>{a.name}</a> vs <a href={environmentPath(b.name)}>{b.name}</a>
      </h2>
      <p class="muted">
        {diff.summary.differs} differ · {diff.summary.same} the same · {diff.summary.only_in_a} only in{" "}
        {a.name} · {diff.summary.only_in_b} only in {b.name}
      </p>
      {differs.length === 0 ? (
        <p class="empty">
          Every product running in both environments runs the same version in {a.name} and {b.name}.
        </p>
      ) : (
        <ListTable
          class="list diff"
          columns={[
            "Product",
            `${a.name} version`,
            `${a.name} SHA`,
            `${b.name} version`,
            `${b.name} SHA`,
            "Ahead",
            "Commits",
          ]}
        >
          {differs.map((item) => (
            <tr>
              <th scope="row">
                <a href={productPath(item.product_name)}>{item.product_name}</a>
              </th>
              <SideColumns item={item} side="a" now={props.now} />
              <SideColumns item={item} side="b" now={props.now} />
              <td>
                {item.ahead ? (
                  <span class="ahead">
                    <span aria-hidden="true">▲ </span>
                    {item.ahead === "a" ? a.name : b.name} ahead
                  </span>
                ) : (
                  <span class="muted" title="Both versions were first deployed at the same moment">
                    undecided
                  </span>
                )}
              </td>
              <td>
                {item.compare_url ? (
                  <ExternalLink href={item.compare_url}>
                    Compare<span class="visually-hidden"> the commits of {item.product_name}</span>
                  </ExternalLink>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </ListTable>
      )}
      <OnlyIn environment={a.name} other={b.name} items={onlyA} side="a" now={props.now} />
      <OnlyIn environment={b.name} other={a.name} items={onlyB} side="b" now={props.now} />
    </section>
  );
}

function SideColumns(props: { item: EnvironmentDiffItem; side: "a" | "b"; now: Date }) {
  const cell = props.item[props.side];
  if (!cell)
    return (
      <>
        <td class="muted">—</td>
        <td class="muted">—</td>
      </>
    );
  return (
    <>
      <td>
        <a href={versionPath(cell.version_id)}>{cell.version}</a>
        <br />
        <small class="muted">
          <When at={cell.deployed_at} now={props.now} prefix="deployed " />
        </small>
      </td>
      <td>
        <ShortSha sha={cell.scm_sha} />
      </td>
    </>
  );
}

function OnlyIn(props: {
  environment: string;
  other: string;
  items: EnvironmentDiffItem[];
  side: "a" | "b";
  now: Date;
}) {
  if (props.items.length === 0) return null;
  const id = `only-in-${props.side}`;
  return (
    <section aria-labelledby={id}>
      <h3 id={id}>
        Only in {props.environment} (not in {props.other})
      </h3>
      <ListTable columns={["Product", "Version", "SHA"]}>
        {props.items.map((item) => (
          <tr>
            <th scope="row">
              <a href={productPath(item.product_name)}>{item.product_name}</a>
            </th>
            <SideColumns item={item} side={props.side} now={props.now} />
          </tr>
        ))}
      </ListTable>
    </section>
  );
}
