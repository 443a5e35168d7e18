import type { AppDeps } from "../../http/app-env.ts";
import type { DashboardRouter } from "../dashboard-http.tsx";
import { registerApiKeysPage } from "./api-keys-page.tsx";
import { registerAuditPage } from "./audit-page.tsx";
import { registerButtonsPage } from "./buttons-page.tsx";
import { registerChannelPage } from "./channel-page.tsx";
import { registerDeliveryPage } from "./delivery-page.tsx";
import { registerIntegrationsPage } from "./integrations-page.tsx";
import { registerNotificationsPage } from "./notifications-page.tsx";
import { registerSettingsIndexPage } from "./settings-index-page.tsx";
import { registerTokensPage } from "./tokens-page.tsx";
import { registerUsersPage } from "./users-page.tsx";
import { registerVariablesPage } from "./variables-page.tsx";

/** What the settings pages need besides the router: the services' dependencies and the cookie key. */
export interface SettingsDeps {
  deps: AppDeps;
  signingSecret: () => Promise<string>;
}

/** Every page under /settings and the form posts under /dashboard/settings. */
export function registerSettings(router: DashboardRouter, settings: SettingsDeps) {
  registerSettingsIndexPage(router);
  registerUsersPage(router, settings);
  registerApiKeysPage(router, settings);
  registerTokensPage(router, settings);
  registerNotificationsPage(router, settings);
  registerDeliveryPage(router, settings);
  registerChannelPage(router, settings);
  registerIntegrationsPage(router, settings);
  registerVariablesPage(router, settings);
  registerButtonsPage(router, settings);
  registerAuditPage(router, settings);
}
