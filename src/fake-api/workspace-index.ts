/** The records a server answers with, serialized and indexed once per workspace object. */
import type { Buffer } from 'node:buffer';
import { listBody, RawRecord } from './shapes.ts';

/** The records a server answers with: a `Workspace` from `generateWorkspace`, or any hand-made records. */
export interface WorkspaceData {
  contacts: readonly unknown[];
  customers: readonly unknown[];
  addresses: readonly unknown[];
}

/** Indexes and serialized bodies of a workspace, built once and shared by every server that serves it. */
export interface IndexedWorkspace {
  contactsBody: Buffer;
  addressesBody: Buffer;
  contactById: Map<string, unknown>;
  customerById: Map<string, unknown>;
  addressById: Map<string, unknown>;
  contactsByCustomer: Map<string, unknown[]>;
  addressesByCustomer: Map<string, unknown[]>;
}

/**
 * A cache, not state: keyed by the workspace object and held weakly, so a test never resets it, and serializing
 * 100,000 contacts happens once however many servers serve them.
 */
const indexed = new WeakMap<WorkspaceData, IndexedWorkspace>();

export function indexWorkspace(workspace: WorkspaceData): IndexedWorkspace {
  const cached = indexed.get(workspace);
  if (cached) return cached;
  const result: IndexedWorkspace = {
    contactsBody: listBody(workspace.contacts),
    addressesBody: listBody(workspace.addresses),
    contactById: indexBy(workspace.contacts, 'id'),
    customerById: indexBy(workspace.customers, 'id'),
    addressById: indexBy(workspace.addresses, 'id'),
    contactsByCustomer: groupBy(workspace.contacts, 'customer_id'),
    addressesByCustomer: groupBy(workspace.addresses, 'customer_id'),
  };
  indexed.set(workspace, result);
  return result;
}

function textField(record: unknown, field: 'id' | 'customer_id'): string | undefined {
  if (record instanceof RawRecord) return record[field];
  if (typeof record !== 'object' || record === null || !(field in record)) return undefined;
  const value: unknown = Reflect.get(record, field);
  return typeof value === 'string' ? value : undefined;
}

function indexBy(records: readonly unknown[], field: 'id'): Map<string, unknown> {
  const index = new Map<string, unknown>();
  for (const record of records) {
    const key = textField(record, field);
    if (key !== undefined && !index.has(key)) index.set(key, record);
  }
  return index;
}

function groupBy(records: readonly unknown[], field: 'customer_id'): Map<string, unknown[]> {
  const groups = new Map<string, unknown[]>();
  for (const record of records) {
    const key = textField(record, field);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  return groups;
}
