/**
 * The integration every configuration of the site registers: it hands the build's settings to the pages
 * (`site-context.ts`), and in `astro dev` serves `/downloads/*` from the snapshot as a build copies them,
 * and each customer's `contacts.csv` and `contacts.vcf` as a build writes them.
 */
import type { AstroIntegration } from 'astro';
import { provideSiteContext, type SiteContext } from '../build/site-context.ts';
import { siteText } from '../build/site-text.ts';
import { customerFilesMiddleware } from './dev-customer-files.ts';
import { downloadsMiddleware } from './dev-downloads.ts';

export function qwotySite(context: SiteContext): AstroIntegration {
  return {
    name: 'qwoty-site',
    hooks: {
      'astro:config:setup': () => provideSiteContext(context),
      'astro:server:setup': ({ server }) => {
        server.middlewares.use(downloadsMiddleware(() => context.dataDir));
        server.middlewares.use(customerFilesMiddleware(() => context.dataDir, siteText));
      },
    },
  };
}
