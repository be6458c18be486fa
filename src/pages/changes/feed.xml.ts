import type { APIRoute } from 'astro';
import { atomFeed } from '../../site/build/changes-feed.ts';
import { getDirectory } from '../../site/build/directory.ts';
import { siteContext } from '../../site/build/site-context.ts';
import { siteHref, siteText } from '../../site/build/site-text.ts';

/** The change history as an Atom feed, rendered on every build like the change page it links to. */
export const GET: APIRoute = async () =>
  new Response(atomFeed(await getDirectory(), siteText(), siteContext().siteUrl ? siteHref : null), {
    headers: { 'Content-Type': 'application/atom+xml; charset=utf-8' },
  });
