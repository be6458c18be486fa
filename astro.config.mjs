// @ts-check
/**
 * The site's configuration for Astro's own commands (`astro dev`, `astro check`, `astro preview`), from the
 * environment. `npm run build` does not read this file: it passes the same configuration, with the snapshot it
 * resolved, to Astro itself. What each option does: `src/site/integration/site-config.ts`.
 */
import { siteSettingsFromEnv } from './src/site/build/site-settings.ts';
import { defineSiteConfig } from './src/site/integration/site-config.ts';

export default defineSiteConfig(siteSettingsFromEnv(process.env));
