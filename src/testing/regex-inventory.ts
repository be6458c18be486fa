import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One regular expression written in the source: a `/…/` literal or `new RegExp(…)` / `RegExp(…)`. */
export interface RegexSite {
  /** Path relative to the root it was collected from, with `:line`. */
  where: string;
  /** The pattern's source, as `RegExp#source` gives it; undefined when it is built at run time. */
  source: string | undefined;
  flags: string;
  /** The constructor call's text when the pattern is built at run time. */
  expression?: string;
}

/**
 * Every regular expression in the `.ts` and `.astro` files under `folder` (an `.astro` file's frontmatter and
 * `<script>` blocks), found by walking the TypeScript syntax tree, so that one a grep would miss (in a
 * template, after a `return`) is seen too.
 */
export async function collectRegexes(folder: string, root = folder): Promise<RegexSite[]> {
  const sites: RegexSite[] = [];
  for (const file of await sourceFiles(folder)) {
    const text = await readFile(file, 'utf8');
    const name = relative(root, file);
    const pieces = file.endsWith('.astro') ? astroScripts(text) : [{ code: text, firstLine: 0 }];
    for (const { code, firstLine } of pieces) {
      const source = ts.createSourceFile(name, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      visit(source, (node) => {
        const line = firstLine + source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        const site = regexOf(node, source);
        if (site) sites.push({ where: `${name}:${line}`, ...site });
      });
    }
  }
  return sites;
}

function regexOf(node: ts.Node, source: ts.SourceFile): Omit<RegexSite, 'where'> | undefined {
  if (ts.isRegularExpressionLiteral(node)) {
    const literal = node.text;
    const end = literal.lastIndexOf('/');
    return { source: literal.slice(1, end), flags: literal.slice(end + 1) };
  }
  if (
    (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'RegExp'
  ) {
    const [pattern, flags] = node.arguments ?? [];
    if (pattern === undefined) return undefined;
    const flagText = flags && ts.isStringLiteralLike(flags) ? flags.text : '';
    if (ts.isStringLiteralLike(pattern) && (flags === undefined || ts.isStringLiteralLike(flags))) {
      return { source: pattern.text, flags: flagText };
    }
    return { source: undefined, flags: flagText, expression: node.getText(source) };
  }
  return undefined;
}

function visit(node: ts.Node, callback: (node: ts.Node) => void): void {
  callback(node);
  ts.forEachChild(node, (child) => visit(child, callback));
}

/** An `.astro` file's frontmatter and `<script>` bodies, each with the line it starts on. */
function astroScripts(text: string): { code: string; firstLine: number }[] {
  const lines = text.split('\n');
  const pieces: { code: string; firstLine: number }[] = [];
  if (lines[0]?.trim() === '---') {
    const end = lines.indexOf('---', 1);
    if (end > 0) pieces.push({ code: lines.slice(1, end).join('\n'), firstLine: 1 });
  }
  let open: number | undefined;
  lines.forEach((line, index) => {
    if (open === undefined && line.trimStart().startsWith('<script')) open = index;
    else if (open !== undefined && line.trimStart().startsWith('</script>')) {
      pieces.push({ code: lines.slice(open + 1, index).join('\n'), firstLine: open + 1 });
      open = undefined;
    }
  });
  return pieces;
}

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|astro)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
