/**
 * Answers of the embedded API before they are sent: the documented envelopes, and the plain way an answer
 * goes out. Faults (`faults.ts`) and the hostile answers (`shapes.ts`) send theirs otherwise.
 */
import { Buffer } from 'node:buffer';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/** A complete HTTP answer, before it is sent (possibly badly). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

export function jsonReply(status: number, payload: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': JSON_TYPE, ...headers },
    body: Buffer.from(JSON.stringify(payload)),
  };
}

/** `{"success":false,"error":…}`, the documented failure envelope. */
export function failureReply(status: number, error: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { success: false, error }, headers);
}

export function htmlReply(status: number, html: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': HTML_TYPE, ...headers }, body: Buffer.from(html) };
}

/** A 200 with a JSON body serialized beforehand. */
export function okBody(body: Buffer): Reply {
  return { status: 200, headers: { 'content-type': JSON_TYPE }, body };
}

export function withHeaders(reply: Reply, headers: Record<string, string> | undefined): Reply {
  return headers ? { ...reply, headers: { ...reply.headers, ...headers } } : reply;
}

/** The reply gzipped when the request accepts it, as an API behind a CDN would answer. */
export function gzippedIfAccepted(reply: Reply, headers: IncomingHttpHeaders): Reply {
  if (!/\bgzip\b/i.test(headers['accept-encoding'] ?? '')) return reply;
  return {
    ...reply,
    headers: { ...reply.headers, 'content-encoding': 'gzip', vary: 'accept-encoding' },
    body: gzipSync(reply.body),
  };
}

/** Its headers with the `content-length` of its body. */
export function headersWithLength(reply: Reply): Record<string, string> {
  return { ...reply.headers, 'content-length': String(reply.body.length) };
}

/** Sends the whole answer, with its length. */
export function sendReply(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.status, headersWithLength(reply));
  response.end(reply.body);
}
