/** What a server answered: the most recent requests and counters per endpoint and status. */
import type { FaultKind } from './faults.ts';
import type { Endpoint } from './routes.ts';

export interface RequestRecord {
  method: string;
  /** Path and query as requested, e.g. `/api/contacts?customer_id=…`. */
  path: string;
  endpoint: Endpoint;
  /** The status sent, or 0 when the connection was reset before any. */
  status: number;
  /** The fault that took the request, if any. */
  fault: FaultKind | null;
  /** When it arrived (`Date.now()`). */
  time: number;
}

export interface RequestStats {
  total: number;
  byEndpoint: Partial<Record<Endpoint, number>>;
  byStatus: Record<number, number>;
}

export interface RequestLog {
  record: (entry: RequestRecord) => void;
  /** The most recent requests (up to 100,000), oldest first. */
  readonly requests: readonly RequestRecord[];
  count: (filter?: { endpoint?: Endpoint | undefined; status?: number | undefined }) => number;
  stats: () => RequestStats;
  reset: () => void;
}

const LOG_LIMIT = 100_000;

export function createRequestLog(): RequestLog {
  let requests: RequestRecord[] = [];
  let counters = new Map<Endpoint, Map<number, number>>();
  return {
    record: (entry) => {
      if (requests.length >= LOG_LIMIT) requests.splice(0, LOG_LIMIT / 2);
      requests.push(entry);
      const byStatus = counters.get(entry.endpoint) ?? new Map<number, number>();
      byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1);
      counters.set(entry.endpoint, byStatus);
    },
    get requests() {
      return requests;
    },
    count: (filter = {}) => {
      let total = 0;
      for (const [endpoint, byStatus] of counters) {
        if (filter.endpoint !== undefined && endpoint !== filter.endpoint) continue;
        for (const [status, value] of byStatus) {
          if (filter.status === undefined || status === filter.status) total += value;
        }
      }
      return total;
    },
    stats: () => {
      const result: RequestStats = { total: 0, byEndpoint: {}, byStatus: {} };
      for (const [endpoint, byStatus] of counters) {
        for (const [status, value] of byStatus) {
          result.total += value;
          result.byEndpoint[endpoint] = (result.byEndpoint[endpoint] ?? 0) + value;
          result.byStatus[status] = (result.byStatus[status] ?? 0) + value;
        }
      }
      return result;
    },
    reset: () => {
      requests = [];
      counters = new Map();
    },
  };
}
