/**
 * `JSON.stringify(value, null, 1)` in pieces: the same text, made one array element at a time, so that
 * writing a report of 100,000 contacts never holds its whole text (25 MB, and as much again in bytes) at once.
 * Array elements are written whole (a contact's entry is small); only arrays and the objects that hold them
 * are walked. JSON data only: no `toJSON`, no cycles.
 */

export function* jsonPieces(value: unknown, depth = 0): Generator<string> {
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]';
    const inner = indent(depth + 1);
    for (const [index, element] of value.entries()) {
      yield index === 0 ? `[\n${inner}` : `,\n${inner}`;
      if (Array.isArray(element)) yield* jsonPieces(element, depth + 1);
      // What JSON cannot hold (undefined, a function) reads `null` in an array, as JSON.stringify writes it.
      else yield reindent(JSON.stringify(element, null, 1) ?? 'null', depth + 1);
    }
    yield `\n${indent(depth)}]`;
  } else if (typeof value === 'object' && value !== null) {
    // Members JSON.stringify leaves out: undefined, functions and symbols.
    const members = Object.entries(value).filter(
      ([, member]) => member !== undefined && typeof member !== 'function' && typeof member !== 'symbol',
    );
    if (members.length === 0) return yield '{}';
    const inner = indent(depth + 1);
    for (const [index, [key, member]] of members.entries()) {
      yield `${index === 0 ? '{\n' : ',\n'}${inner}${JSON.stringify(key)}: `;
      yield* jsonPieces(member, depth + 1);
    }
    yield `\n${indent(depth)}}`;
  } else {
    yield JSON.stringify(value) ?? 'null';
  }
}

const indent = (depth: number) => ' '.repeat(depth);

/** Text made by JSON.stringify(…, null, 1) at the top, moved `depth` levels in (strings hold no raw newline). */
function reindent(text: string, depth: number): string {
  return depth === 0 ? text : text.replaceAll('\n', `\n${indent(depth)}`);
}
