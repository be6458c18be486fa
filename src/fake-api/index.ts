/** The embedded Qwoty-compatible API: a workspace generator, a server and the faults it can inject. */
export type { Fault, FaultKind, FaultTarget, RetryAfterOptions } from './faults.ts';
export { FAULT_KINDS } from './faults.ts';
export type {
  BentContactKind,
  GenerateWorkspaceOptions,
  InvalidContactKind,
  Workspace,
} from './generate.ts';
export { BENT_CONTACT_KINDS, generateWorkspace, INVALID_CONTACT_KINDS } from './generate.ts';
export type { RateLimitHeaderForm, RateLimitSpec } from './limiters.ts';
export {
  describeRateLimit,
  parseRateLimitSpec,
  RATE_LIMIT_HEADER_FORMS,
  RATE_LIMIT_SPEC_HELP,
  rateLimitFlag,
} from './limiters.ts';
export type {
  Endpoint,
  Permissions,
  QwotyServer,
  QwotyServerOptions,
  RequestRecord,
  WorkspaceData,
} from './server.ts';
export { createQwotyServer, DEMO_TOKEN } from './server.ts';
export type { HostileAnswer, NextStyle, Pagination, PaginationDefect, Scenario } from './shapes.ts';
export { deepRecord, NEXT_STYLES, RawRecord, SCENARIOS, withAlternateShapes } from './shapes.ts';
