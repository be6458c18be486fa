// @ts-check
import { defineConfig } from 'astro/config';

/**
 * A static site built from the published snapshot alone. Scripts and styles are always emitted as files
 * (never inlined) so the Content-Security-Policy can say `script-src 'self'; style-src 'self'`.
 */
export default defineConfig({
  outDir: process.env.QWOTY_SITE_DIR ?? 'dist',
  output: 'static',
  trailingSlash: 'ignore',
  build: { format: 'directory', inlineStylesheets: 'never' },
  compressHTML: true,
  devToolbar: { enabled: false },
  prefetch: false,
  vite: { build: { assetsInlineLimit: 0 } },
});
