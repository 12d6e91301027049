// The coordinator's JSON documents (snake_case, as /api/* serves them) and an authenticated fetch.

export interface Fairness {
  accuracy_mean: number;
  accuracy_std: number;
  accuracy_min: number;
  accuracy_p10: number;
  jain_index: number;
  gini: number;
  clients_evaluated: number;
  /** Under differential privacy: the noise on each bucket of the histogram the figures come from. */
  noise_standard_deviation?: number | null;
}

export interface RoundPoint {
  round: number;
  test_accuracy: number;
  test_loss: number;
  /** Null under differential privacy, where the counts are withheld. */
  participants: number | null;
  selected: number | null;
  duration_seconds: number;
  epsilon: number | null;
  clip_norm: number | null;
  skipped: string | null;
  fairness: Fairness | null;
  committed_at: string;
  failures: string[];
}

export interface RoundsReport {
  run_id: string;
  finished: boolean;
  finish_reason: string | null;
  strategy: string;
  model_version: number;
  rounds_planned: number;
  privacy: { target_epsilon: number; delta: number; spent_epsilon: number } | null;
  current_round: { round: number; selected: number | null; accepted: number | null; deadline: string } | null;
  rounds: RoundPoint[];
}

export interface ClientsReport {
  round: number | null;
  fairness: Fairness | null;
  clients: { client_id: string; worker_id: string; accuracy: number; loss: number; examples: number }[];
  /** Under differential privacy: the counted buckets of the noised histogram (no per-client figures exist). */
  histogram?: { accuracy: number; clients: number }[] | null;
}

export interface WorkerRow {
  worker_id: string;
  device: string;
  clients: number;
  /** Null under differential privacy (a function of the clients' data). */
  examples: number | null;
  last_seen: string;
  seconds_since_seen: number;
  /** Under differential privacy only "live" or "gone": a worker's round activity would show who was sampled. */
  state: "training" | "evaluating" | "idle" | "gone" | "live";
}

export interface WorkersReport {
  now: string;
  worker_timeout_seconds: number;
  workers: WorkerRow[];
}

export interface ClusterNode {
  name: string;
  /** The node's silo endpoint. */
  address: string;
  status: "joining" | "active" | "shutting_down";
  /** Whether it leads the run (the node serving this page). */
  leads: boolean;
}

export interface ClusterReport {
  nodes: ClusterNode[];
  active: number;
}

export interface Snapshot {
  rounds: RoundsReport;
  clients: ClientsReport;
  workers: WorkersReport;
  cluster: ClusterReport;
}

/** Thrown when the coordinator wants an operator token (HTTP 401/403). */
export class Unauthorized extends Error {}

export async function fetchSnapshot(token: string | null, signal: AbortSignal): Promise<Snapshot> {
  const headers: HeadersInit = token ? { Authorization: `Bearer ${token}` } : {};
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(path, { headers, signal, cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      throw new Unauthorized(`${path}: HTTP ${response.status}`);
    }
    if (!response.ok) {
      throw new Error(`${path}: HTTP ${response.status}`);
    }
    return (await response.json()) as T;
  };
  const [rounds, clients, workers, cluster] = await Promise.all([
    get<RoundsReport>("api/rounds"),
    get<ClientsReport>("api/clients"),
    get<WorkersReport>("api/workers"),
    get<ClusterReport>("api/cluster"),
  ]);
  return { rounds, clients, workers, cluster };
}
