/**
 * No function in src/ does a file's worth of work: at most 60 "own" lines (the lines left once the
 * functions inside it are taken out) and at most 150 lines in all. A TypeScript AST walk, so the rule
 * holds from now on rather than by review.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const MAX_OWN_LINES = 60;
const MAX_TOTAL_LINES = 150;
const ROOT = join(import.meta.dirname, '..');

interface FunctionLength {
  /** `path#name`, the path relative to the repository. */
  id: string;
  /** 1-based line of its first character. */
  line: number;
  total: number;
  own: number;
}

type FunctionLike =
  | ts.FunctionDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction
  | ts.MethodDeclaration
  | ts.ConstructorDeclaration
  | ts.AccessorDeclaration;

function isFunctionLike(node: ts.Node): node is FunctionLike {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** The name a reader would search for: its own, the variable or property it is assigned to, or `<anonymous>`. */
function nameOf(node: FunctionLike): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name) {
    return parent.name.getText();
  }
  return ts.isConstructorDeclaration(node) ? 'constructor' : '<anonymous>';
}

/** Every function of one source file with its total and own line counts. */
function functionLengths(path: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line;
  const span = (node: ts.Node) => lineOf(node.getEnd()) - lineOf(node.getStart()) + 1;
  const found: FunctionLength[] = [];
  const innerLines = (node: ts.Node): number => {
    let lines = 0;
    ts.forEachChild(node, function count(child) {
      if (isFunctionLike(child)) lines += span(child);
      else ts.forEachChild(child, count);
    });
    return lines;
  };
  ts.forEachChild(source, function visit(node) {
    if (isFunctionLike(node)) {
      const total = span(node);
      found.push({
        id: `${path}#${nameOf(node)}`,
        line: lineOf(node.getStart()) + 1,
        total,
        own: total - innerLines(node),
      });
    }
    ts.forEachChild(node, visit);
  });
  return found;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

const tooLong = (f: FunctionLength) => f.own > MAX_OWN_LINES || f.total > MAX_TOTAL_LINES;

describe('function length', () => {
  test('counts own lines without the functions inside, and names arrows by their variable', () => {
    const inner = Array.from({ length: 5 }, (_, i) => `    const v${i} = ${i};`).join('\n');
    const text = `export const outer = () => {\n  const a = 1;\n  function inner() {\n${inner}\n  }\n  return a;\n};\n`;
    const [outer, innerFn] = functionLengths('x.ts', text);
    expect(outer).toEqual({ id: 'x.ts#outer', line: 1, total: 11, own: 4 });
    expect(innerFn).toEqual({ id: 'x.ts#inner', line: 3, total: 7, own: 7 });
  });

  test(`no function in src/ has over ${MAX_OWN_LINES} own lines or ${MAX_TOTAL_LINES} lines in all`, () => {
    const all = sourceFiles('src').flatMap((path) =>
      functionLengths(path, readFileSync(join(ROOT, path), 'utf8')),
    );
    expect(all.length).toBeGreaterThan(500);
    const over = all.filter(tooLong);
    expect(over.map((f) => `${f.id}:${f.line} ${f.total} lines, ${f.own} own`)).toEqual([]);
  });
});
