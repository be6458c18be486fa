/**
 * Reads a `{"success": true, "data": [ … ]}` answer as it arrives and hands over each element of `data` as soon
 * as its last byte is in, parsed by `JSON.parse`. The other top-level members are kept raw and parsed at the
 * end (only `success` and `error` are asked for).
 *
 * Why not a generic streaming JSON parser: this replaced `@streamparser/json`, which built every element
 * token by token. At 100,000 contacts (66 MB) that cost 1.2 s of CPU and about a second of garbage collection
 * on the thread that also sends the customer look-ups; finding where each element ends (a byte scan that skips
 * string contents with `indexOf`) and leaving the element to V8's `JSON.parse` costs about a tenth of that.
 * The scan only needs to know strings and nesting; everything else is `JSON.parse`'s job, so a malformed
 * element still fails as invalid JSON.
 *
 * It is bounded whatever the body holds: an element longer than `maxValueBytes` or nested deeper than
 * `maxDepth` is scanned to its end without being kept or parsed and handed to `onSetAside` instead, so an
 * endless string costs no more memory than the cap; a member of the envelope over a cap throws
 * `JsonListLimitError`.
 */

/** The body is not the JSON it should be (malformed, or with something after the end). */
export class JsonListSyntaxError extends Error {
  override name = 'JsonListSyntaxError';
  /** The body stopped before the JSON was complete (rather than being malformed). */
  readonly cutShort: boolean;
  constructor(message: string, cutShort = false) {
    super(message);
    this.cutShort = cutShort;
  }
}

/** A member of the envelope (not an element of `data`) went over `maxValueBytes` or `maxDepth`. */
export class JsonListLimitError extends Error {
  override name = 'JsonListLimitError';
  readonly limit: Limit;
  constructor(message: string, limit: Limit) {
    super(message);
    this.limit = limit;
  }
}

/** Which bound a value went over. */
export type Limit = 'size' | 'depth';

/** An element handed over without its value, because it went over a bound. */
export interface SetAside {
  limit: Limit;
  /** Its length in bytes, when it ended. */
  bytes: number;
  /** Its `id`, when the element is an object that starts with one (read from its first bytes). */
  id: string | null;
}

export interface JsonListStreamOptions {
  /** Top-level members to keep (parsed) besides `data`. Default: all of them. */
  members?: readonly string[] | undefined;
  onItem: (item: unknown, index: number) => void;
  /** Elements over a bound, in order with the others. Default: ignored. */
  onSetAside?: ((index: number, setAside: SetAside) => void) | undefined;
  /** Bytes of one value (an element of `data`, a member name or value). Default: unbounded. */
  maxValueBytes?: number | undefined;
  /** Nesting depth of one value; an object or array is depth 1. Default: unbounded. */
  maxDepth?: number | undefined;
}

export interface JsonListResult {
  /** Elements handed to `onItem`. */
  count: number;
  /** `data` was present and was not an array. */
  notArray: boolean;
  /** Parsed values of the top-level members asked for that were present, other than `data`. */
  members: Map<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const EMPTY = Buffer.alloc(0);
/** The smallest room allocated for an open value (a few records). */
const MIN_STORAGE = 64 * 1024;
/** Bytes of a set-aside element kept to read its id from. */
const HEAD_BYTES = 256;
const LEADING_ID = /^\{\s*"id"\s*:\s*"([0-9A-Za-z_-]{1,64})"/;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** What the scanner expects next, between values. */
type State =
  | 'start'
  | 'keyOrEnd'
  | 'key'
  | 'colon'
  | 'value'
  | 'commaOrEnd'
  | 'dataStart'
  | 'elementOrEnd'
  | 'element'
  | 'elementCommaOrEnd'
  | 'end';

/**
 * Whether `state` is where `data`'s array starts or may end; with the two states met after every element,
 * which the scanner tests inline first, these are the states inside `data`, the others the envelope's.
 */
function inData(state: State): boolean {
  return state === 'dataStart' || state === 'elementOrEnd';
}

/** The kind of value being scanned. */
type ValueKind = 'key' | 'member' | 'element';

/** A push parser: `write` each chunk, then `end`. `onItem` is called synchronously from `write`, in order. */
export class JsonListStream {
  #state: State = 'start';
  /** The kind of the value being scanned, or null between values. */
  #value: ValueKind | null = null;
  /** The bytes being scanned; while a value is open, from its first byte (kept across chunks until it ends). */
  #buffer: Buffer = EMPTY;
  /**
   * Where an open value's bytes are gathered across chunks, with room to grow: it doubles when full, so a
   * value spread over many chunks is copied a few times in all rather than once per chunk.
   */
  #storage: Buffer = EMPTY;
  #valueStart = 0;
  /** Where scanning resumes in #buffer. */
  #position = 0;
  #depth = 0;
  #inString = false;
  /** A value that is not a string, object or array ends at the first delimiter. */
  #bare = false;
  #key = '';
  #count = 0;
  #notArray = false;
  #sawData = false;
  /** Why the open value is being skipped rather than kept, or null while it is kept. */
  #skipping: Limit | null = null;
  /** Bytes of the open value already dropped while skipping it. */
  #skipped = 0;
  /** While skipping inside a string: the dropped bytes ended with an odd run of backslashes. */
  #escapePending = false;
  /** The first bytes of the element being skipped, for its id. */
  #head = '';
  readonly #members = new Map<string, unknown>();
  readonly #wanted: ReadonlySet<string> | null;
  readonly #onItem: (item: unknown, index: number) => void;
  readonly #onSetAside: (index: number, setAside: SetAside) => void;
  readonly #maxValueBytes: number;
  readonly #maxDepth: number;

  constructor(options: JsonListStreamOptions) {
    this.#wanted = options.members ? new Set(options.members) : null;
    this.#onItem = options.onItem;
    this.#onSetAside = options.onSetAside ?? (() => {});
    this.#maxValueBytes = options.maxValueBytes ?? Number.POSITIVE_INFINITY;
    this.#maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  }

  /** Whether the top-level object has been closed. */
  get ended(): boolean {
    return this.#state === 'end';
  }

  /** Why the element open now is being skipped, or null when none is. */
  get skipping(): Limit | null {
    return this.#value === null ? null : this.#skipping;
  }

  /** Scans one more chunk; throws `JsonListSyntaxError` (or what `onItem` throws). */
  write(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Between values, or inside one being skipped, nothing before this chunk is needed.
    if (this.#value === null || this.#skipping !== null) {
      this.#buffer = bytes;
      this.#position = 0;
    } else {
      // Keep only the unfinished value (everything before it has been handed over), then append the chunk.
      const kept = this.#buffer.subarray(this.#valueStart);
      const length = kept.length + bytes.length;
      const keptInPlace =
        kept.buffer === this.#storage.buffer && kept.byteOffset === this.#storage.byteOffset;
      if (length > this.#storage.length) {
        const grown = Buffer.allocUnsafe(Math.max(length, this.#storage.length * 2, MIN_STORAGE));
        grown.set(kept, 0);
        this.#storage = grown;
      } else if (!keptInPlace) {
        this.#storage.set(kept, 0); // TypedArray#set copies correctly when the two overlap
      }
      this.#storage.set(bytes, kept.length);
      this.#buffer = this.#storage.subarray(0, length);
      this.#position -= this.#valueStart;
      this.#valueStart = 0;
    }
    this.#scan();
    if (this.#value !== null) this.#boundOpenValue();
    if (this.#value === null || this.#skipping !== null) {
      this.#buffer = EMPTY;
      this.#position = 0;
      this.#valueStart = 0;
      if (this.#storage.length > MIN_STORAGE) this.#storage = EMPTY;
    }
  }

  /**
   * After a chunk, with a value still open: one over `maxValueBytes` starts being skipped, and a skipped one
   * drops what was scanned of it (the caller then forgets the buffer).
   */
  #boundOpenValue(): void {
    if (this.#skipping === null) {
      if (this.#position - this.#valueStart <= this.#maxValueBytes) return;
      this.#startSkipping('size');
    }
    // Whether the next byte is escaped: the dropped bytes end inside a string with an odd run of backslashes.
    let run = 0;
    let at = this.#position - 1;
    while (at >= this.#valueStart && this.#buffer[at] === BACKSLASH) {
      run += 1;
      at -= 1;
    }
    const odd = run % 2 === 1;
    // A run back to the start of the kept bytes continues the run dropped before them.
    this.#escapePending = this.#inString && (at < this.#valueStart ? odd !== this.#escapePending : odd);
    this.#skipped += this.#position - this.#valueStart;
  }

  /** Stops keeping the open value; an element is then set aside when it ends, anything else fails now. */
  #startSkipping(limit: Limit): void {
    if (this.#value !== 'element') {
      const what = this.#value === 'key' ? 'a member name' : `the member "${this.#key}"`;
      throw new JsonListLimitError(
        limit === 'size'
          ? `${what} is longer than ${this.#maxValueBytes} bytes`
          : `${what} is nested deeper than ${this.#maxDepth} levels`,
        limit,
      );
    }
    this.#skipping = limit;
    this.#head = this.#buffer.toString(
      'utf8',
      this.#valueStart,
      Math.min(this.#valueStart + HEAD_BYTES, this.#buffer.length),
    );
  }

  /** Checks the body was complete and returns what it held; throws `JsonListSyntaxError` if it was cut short. */
  end(): JsonListResult {
    if (this.#state !== 'end') throw new JsonListSyntaxError('the body ends before the JSON does', true);
    return { count: this.#count, notArray: this.#notArray, members: this.#members };
  }

  /** Scans the buffer from #position: the open value, then what lies between values. */
  #scan(): void {
    const buffer = this.#buffer;
    const length = buffer.length;
    while (this.#position < length) {
      if (this.#value !== null) {
        if (!this.#scanValue()) return;
        continue;
      }
      const byte = buffer[this.#position] as number;
      if (isSpace(byte)) this.#position += 1;
      else if (this.#state === 'end') throw new JsonListSyntaxError('something follows the end of the JSON');
      else if (this.#state === 'elementCommaOrEnd' || this.#state === 'element' || inData(this.#state))
        this.#dataStep(byte);
      else this.#envelopeStep(byte);
    }
  }

  /** One structural byte of the envelope, outside `data`'s array. */
  #envelopeStep(byte: number): void {
    switch (this.#state) {
      case 'start':
        this.#expect(byte, OPEN_OBJECT, 'the body is not a JSON object');
        this.#state = 'keyOrEnd';
        break;
      case 'keyOrEnd':
        if (byte === CLOSE_OBJECT) this.#advanceTo('end');
        else this.#open('key', byte);
        break;
      case 'key':
        this.#open('key', byte);
        break;
      case 'colon':
        this.#expect(byte, COLON, 'expected ":" after a member name');
        this.#state = this.#key === 'data' ? 'dataStart' : 'value';
        break;
      case 'value':
        this.#open('member', byte);
        break;
      case 'commaOrEnd':
        if (byte === COMMA) this.#advanceTo('key');
        else {
          this.#expect(byte, CLOSE_OBJECT, 'expected "," or "}" after a member');
          this.#state = 'end';
        }
    }
  }

  /** One structural byte of `data`: its opening, or what comes between its elements. */
  #dataStep(byte: number): void {
    switch (this.#state) {
      case 'dataStart':
        if (this.#sawData) throw new JsonListSyntaxError('"data" appears twice');
        this.#sawData = true;
        if (byte === OPEN_ARRAY) this.#advanceTo('elementOrEnd');
        else {
          this.#notArray = true;
          this.#open('member', byte);
        }
        break;
      case 'elementOrEnd':
        if (byte === CLOSE_ARRAY) this.#advanceTo('commaOrEnd');
        else this.#open('element', byte);
        break;
      case 'element':
        this.#open('element', byte);
        break;
      case 'elementCommaOrEnd':
        if (byte === COMMA) this.#advanceTo('element');
        else {
          this.#expect(byte, CLOSE_ARRAY, 'expected "," or "]" after an element of "data"');
          this.#state = 'commaOrEnd';
        }
    }
  }

  #expect(byte: number, wanted: number, otherwise: string): void {
    if (byte !== wanted) throw new JsonListSyntaxError(otherwise);
    this.#position += 1;
  }

  #advanceTo(state: State): void {
    this.#position += 1;
    this.#state = state;
  }

  /** Starts scanning a value at the current byte (which is not consumed yet). */
  #open(kind: ValueKind, byte: number): void {
    if (kind === 'key' && byte !== QUOTE) throw new JsonListSyntaxError('expected a member name');
    if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || byte === COMMA || byte === COLON) {
      throw new JsonListSyntaxError('expected a value');
    }
    this.#value = kind;
    this.#valueStart = this.#position;
    this.#depth = 0;
    this.#inString = false;
    this.#bare = !(byte === QUOTE || byte === OPEN_OBJECT || byte === OPEN_ARRAY);
    this.#skipping = null;
    this.#skipped = 0;
    this.#escapePending = false;
  }

  /** Scans the open value; returns false when the bytes ran out before it ended. */
  #scanValue(): boolean {
    return this.#bare ? this.#scanBare() : this.#scanNested();
  }

  /** true, false, null or a number: ends before the first delimiter. */
  #scanBare(): boolean {
    const buffer = this.#buffer;
    const length = buffer.length;
    let position = this.#position;
    while (position < length) {
      const byte = buffer[position] as number;
      if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || isSpace(byte)) {
        this.#close(position);
        return true;
      }
      position += 1;
    }
    this.#position = position;
    return false;
  }

  /** A string, object or array: ends where its nesting goes back to zero, outside any string. */
  #scanNested(): boolean {
    const buffer = this.#buffer;
    const length = buffer.length;
    let position = this.#position;
    let depth = this.#depth;
    let inString = this.#inString;
    while (position < length) {
      if (inString) {
        // Skip the string's contents in one search; a quote after an odd number of backslashes is escaped.
        // Inline rather than a method: this runs once per string of every record.
        const quote = buffer.indexOf(QUOTE, position);
        if (quote < 0) {
          position = length;
          break;
        }
        let backslashes = 0;
        let at = quote - 1;
        for (; at >= 0 && buffer[at] === BACKSLASH; at -= 1) backslashes += 1;
        // Back at the start of what is kept of a skipped value: its dropped bytes may end in a backslash.
        if (at < 0 && this.#escapePending) backslashes += 1;
        position = quote + 1;
        if (backslashes % 2 === 0) {
          inString = false;
          if (depth === 0) {
            this.#close(position);
            return true;
          }
        }
        continue;
      }
      const byte = buffer[position] as number;
      position += 1;
      if (byte === QUOTE) inString = true;
      else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        depth += 1;
        if (depth > this.#maxDepth && this.#skipping === null) {
          this.#position = position;
          this.#startSkipping('depth');
        }
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        depth -= 1;
        if (depth === 0) {
          this.#close(position);
          return true;
        }
      }
    }
    this.#position = position;
    this.#depth = depth;
    this.#inString = inString;
    return false;
  }

  /** Ends the open value at `end` (exclusive) and hands it over. */
  #close(end: number): void {
    if (this.#skipping === null && end - this.#valueStart > this.#maxValueBytes) {
      this.#position = end;
      this.#startSkipping('size');
    }
    const kind = this.#value;
    const skipping = this.#skipping;
    this.#value = null;
    this.#skipping = null;
    this.#position = end;
    if (kind === 'element') {
      this.#state = 'elementCommaOrEnd';
      const index = this.#count;
      this.#count += 1;
      if (skipping !== null) {
        const bytes = this.#skipped + end - this.#valueStart;
        const id = LEADING_ID.exec(this.#head)?.[1] ?? null;
        this.#head = '';
        this.#onSetAside(index, { limit: skipping, bytes, id });
        return;
      }
      this.#onItem(parse(this.#buffer.toString('utf8', this.#valueStart, end)), index);
      return;
    }
    const text = this.#buffer.toString('utf8', this.#valueStart, end);
    if (kind === 'key') {
      this.#key = parse(text) as string;
      this.#state = 'colon';
    } else {
      // Every member is checked to be JSON; only the ones asked for are kept.
      const value = parse(text);
      if (this.#key !== 'data' && (this.#wanted?.has(this.#key) ?? true)) this.#members.set(this.#key, value);
      this.#state = 'commaOrEnd';
    }
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JsonListSyntaxError((error as Error).message);
  }
}
