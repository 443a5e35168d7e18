import type { Child } from "hono/jsx";
import type { Capability } from "../../auth/capabilities.ts";
import { ValidationError } from "../../errors.ts";
import { PageHeader } from "../components.tsx";
import { can, field } from "../dashboard-http.tsx";
import { Layout, type PageContext } from "../layout.tsx";

export interface SettingsSection {
  href: string;
  label: string;
  /** Who may open the page: a section a role cannot use is not even listed. */
  capability: Capability;
  summary: string;
}

/** The settings pages in the order the sub-navigation lists them; a new page adds one line. */
export const SETTINGS_SECTIONS: readonly SettingsSection[] = [
  {
    href: "/settings/users",
    label: "Users and roles",
    capability: "users.manage",
    summary: "Who may sign in, with which role; create, change role, deactivate.",
  },
  {
    href: "/settings/api-keys",
    label: "API keys",
    capability: "api_keys.read",
    summary: "Keys for CI pipelines and automation, shown once at creation.",
  },
  {
    href: "/settings/tokens",
    label: "Personal tokens",
    capability: "tokens.create",
    summary: "Your own tokens for the CLI and scripts, acting with your role.",
  },
  {
    href: "/settings/notifications",
    label: "Notifications",
    capability: "notifications.manage",
    summary: "Slack, Teams, webhook and email channels, their delivery log and replay.",
  },
  {
    href: "/settings/integrations",
    label: "Integrations",
    capability: "integrations.manage",
    summary:
      "Vercel, GitHub deployments and Argo CD: the URL to paste, the secret, the mapping, the last deliveries.",
  },
  {
    href: "/settings/variables",
    label: "Variables",
    capability: "catalog.read",
    summary: "Org and product variables for button templates; secrets stay masked.",
  },
  {
    href: "/settings/buttons",
    label: "Deployment buttons",
    capability: "catalog.read",
    summary: "Links to deploy a version, rendered from templates; preview before saving.",
  },
  {
    href: "/settings/audit",
    label: "Audit log",
    capability: "audit.read",
    summary: "Who changed what and when, filterable.",
  },
];

export function visibleSections(ctx: PageContext): SettingsSection[] {
  return SETTINGS_SECTIONS.filter((section) => can(ctx, section.capability));
}

/** A settings page: the site layout, the settings sub-navigation for this role, a title row. */
export function SettingsLayout(props: {
  ctx: PageContext;
  title: string;
  lead?: Child;
  actions?: Child;
  children: Child;
}) {
  const path = props.ctx.path;
  return (
    <Layout ctx={props.ctx} title={`${props.title} · Settings`}>
      <nav aria-label="Settings" class="settings-nav">
        <ul>
          {visibleSections(props.ctx).map((section) => (
            <li>
              <a
                href={section.href}
                aria-current={
                  path === section.href || path.startsWith(`${section.href}/`) ? "page" : undefined
                }
              >
                {section.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <PageHeader title={props.title} lead={props.lead} actions={props.actions} />
      {props.children}
    </Layout>
  );
}

/** A one-button form posting to `action` (revoke, delete, replay…), with the CSRF field. */
export function PostButton(props: {
  action: string;
  csrf: string;
  label: string;
  /** The accessible name when the visible label alone is ambiguous in a table ("Revoke ci-main"). */
  ariaLabel?: string;
  class?: string;
  hidden?: Record<string, string>;
}) {
  return (
    <form method="post" action={props.action} class="inline-form">
      <input type="hidden" name="_csrf" value={props.csrf} />
      {Object.entries(props.hidden ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={props.class ?? "secondary"} aria-label={props.ariaLabel}>
        {props.label}
      </button>
    </form>
  );
}

/** Every value of a multi-valued field (`name[]` checkboxes); Hono collects them into an array. */
export function fieldList(form: Record<string, unknown>, name: string): string[] {
  const value = form[`${name}[]`];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((item): item is string => typeof item === "string" && item.trim() !== "");
}

/** A checkbox: present (any value) when ticked, absent when not. */
export function checked(form: Record<string, unknown>, name: string): boolean {
  return form[name] !== undefined;
}

/** "a, b\nc" → ["a", "b", "c"]: lists typed into a text field or a textarea. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A text field the service needs (a name): present and at most `max` characters, as the API's schema says. */
export function requiredText(form: Record<string, unknown>, name: string, max = 255): string {
  const value = field(form, name);
  if (!value) throw ValidationError.field(["body", name], "Field required", "missing");
  if (value.length > max) throw ValidationError.field(["body", name], `must be at most ${max} characters`);
  return value;
}

/** An optional text field: null when empty, refused when longer than `max`. */
export function optionalText(form: Record<string, unknown>, name: string, max = 1024): string | null {
  const value = field(form, name);
  if (value.length > max) throw ValidationError.field(["body", name], `must be at most ${max} characters`);
  return value || null;
}

/** A list as a table: a caption for screen readers, column headers, the rows; `empty` when there are none. */
export function ListTable(props: { caption: string; headers: Child[]; rows: Child[]; empty: string }) {
  if (props.rows.length === 0) return <p class="empty">{props.empty}</p>;
  return (
    <div class="table-wrap">
      <table class="list">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.headers.map((header) => (
              <th scope="col">{header}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.rows}</tbody>
      </table>
    </div>
  );
}
