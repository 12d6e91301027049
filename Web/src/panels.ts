// Turns a snapshot of the coordinator's state into the page: status line, learning curves, privacy budget,
// fairness distribution, the worker table and the coordinator nodes.
import type { ClusterNode, Snapshot, WorkerRow } from "./api";
import { Chart } from "./chart";
import { ago, fixed, percent } from "./format";

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

export class Panels {
  private readonly accuracy = new Chart(byId("accuracy-panel"), {
    xLabel: "round",
    xIsIndex: true,
    yRange: [0, 1],
    series: [
      { label: "test accuracy", color: "#2563eb" },
      { label: "client mean", color: "#16a34a", dash: [6, 4] },
      { label: "client p10", color: "#dc2626", dash: [2, 3] },
    ],
  });
  private readonly loss = new Chart(byId("loss-panel"), {
    xLabel: "round",
    xIsIndex: true,
    series: [{ label: "test loss", color: "#9333ea" }],
  });
  private readonly epsilon = new Chart(byId("epsilon-panel"), {
    xLabel: "round",
    xIsIndex: true,
    series: [
      { label: "ε spent", color: "#ea580c" },
      { label: "ε remaining", color: "#0891b2" },
      { label: "target", color: "#6b7280", dash: [4, 4] },
    ],
  });
  private readonly fairness = new Chart(byId("fairness-panel"), {
    xLabel: "client (worst first)",
    xIsIndex: true,
    yRange: [0, 1],
    series: [
      { label: "held-out accuracy", color: "#16a34a", bars: true },
      { label: "p10", color: "#dc2626", dash: [2, 3] },
    ],
  });

  render(snapshot: Snapshot): void {
    const { rounds, clients, workers, cluster } = snapshot;
    const points = rounds.rounds;
    const xs = points.map((r) => r.round);
    document.body.dataset.rounds = String(points.length);

    // A run that committed all its planned rounds finished; one that ended before (privacy budget, failure) stopped.
    const state = !rounds.finished ? "running" : points.length >= rounds.rounds_planned ? "finished" : "stopped";
    this.status(state, rounds.finish_reason);
    byId("run-id").textContent = rounds.run_id;
    byId("strategy").textContent = rounds.strategy;
    byId("progress").textContent = rounds.current_round
      ? rounds.current_round.selected === null
        ? `round ${rounds.current_round.round} of ${rounds.rounds_planned} (DP: the cohort is not disclosed)`
        : `round ${rounds.current_round.round} of ${rounds.rounds_planned}: ${rounds.current_round.accepted}/${rounds.current_round.selected} updates`
      : `${points.length} of ${rounds.rounds_planned} rounds committed`;
    const last = points.at(-1);
    byId("latest-accuracy").textContent = percent(last?.test_accuracy);
    byId("latest-loss").textContent = fixed(last?.test_loss, 3);
    byId("live-workers").textContent = `${workers.workers.filter((w) => w.state !== "gone").length} / ${workers.workers.length}`;

    this.accuracy.update(xs, [
      points.map((r) => r.test_accuracy),
      points.map((r) => r.fairness?.accuracy_mean ?? null),
      points.map((r) => r.fairness?.accuracy_p10 ?? null),
    ]);
    this.loss.update(xs, [points.map((r) => r.test_loss)]);

    const privacy = rounds.privacy;
    const epsilonPanel = byId("epsilon-panel");
    epsilonPanel.dataset.state = privacy ? "on" : "off";
    if (privacy) {
      const spent = points.map((r) => r.epsilon ?? null);
      this.epsilon.update(xs, [
        spent,
        spent.map((e) => (e === null ? null : Math.max(0, privacy.target_epsilon - e))),
        points.map(() => privacy.target_epsilon),
      ]);
      byId("epsilon-summary").textContent =
        `ε ${fixed(privacy.spent_epsilon, 3)} of ${fixed(privacy.target_epsilon, 2)} spent (δ = ${privacy.delta})`;
      byId("latest-epsilon").textContent = `${fixed(privacy.spent_epsilon, 2)} / ${fixed(privacy.target_epsilon, 2)}`;
    } else {
      this.epsilon.update([], [[], [], []]);
      byId("epsilon-summary").textContent = "Differential privacy is off for this run.";
      byId("latest-epsilon").textContent = "off";
    }

    // Under DP there are no per-client figures: each counted bucket of the noised histogram stands for as many
    // clients (rounded) at its centre, so the same sorted-clients chart shows the distribution.
    const accuracies = clients.histogram
      ? clients.histogram.flatMap((b) => Array.from({ length: Math.round(b.clients) }, () => b.accuracy))
      : clients.clients.map((c) => c.accuracy);
    const p10 = clients.fairness?.accuracy_p10 ?? null;
    this.fairness.update(accuracies.map((_, i) => i + 1), [accuracies, accuracies.map(() => p10)]);
    byId("fairness-summary").textContent = clients.fairness
      ? `round ${clients.round}: ${clients.fairness.noise_standard_deviation ? `about ${clients.fairness.clients_evaluated} clients (DP: from a histogram with noise std ${clients.fairness.noise_standard_deviation} per bucket)` : `${clients.fairness.clients_evaluated} clients`}, mean ${percent(clients.fairness.accuracy_mean)}, ` +
        `min ${percent(clients.fairness.accuracy_min)}, p10 ${percent(p10)}, Jain ${fixed(clients.fairness.jain_index, 3)}, ` +
        `Gini ${fixed(clients.fairness.gini, 3)}`
      : "No round has been evaluated on the clients yet.";

    this.workerTable(workers.workers);
    byId("coordinator-nodes").textContent = String(cluster.active);
    this.nodeTable(cluster.nodes);
  }

  /** Shown when the coordinator cannot be reached: the last data stays on screen. */
  unreachable(message: string): void {
    this.status("unreachable", message);
  }

  private status(state: string, detail: string | null): void {
    const element = byId("run-status");
    element.dataset.state = state;
    element.textContent = detail ? `${state}: ${detail}` : state;
  }

  private nodeTable(nodes: ClusterNode[]): void {
    fillTable(
      "nodes-body",
      nodes.map((n) => ({
        data: { status: n.status, leads: String(n.leads) },
        cells: [n.name, n.leads ? "leads the run" : "standby", n.status.replace("_", " "), n.address],
      })),
    );
  }

  private workerTable(rows: WorkerRow[]): void {
    fillTable(
      "workers-body",
      rows.map((w) => ({
        data: { workerId: w.worker_id, state: w.state },
        cells: [w.worker_id, w.state, w.device, String(w.clients), w.examples === null ? "withheld (DP)" : w.examples.toLocaleString("en"), ago(w.seconds_since_seen)],
      })),
    );
  }
}

/** Replaces a table body's rows: each row's data attributes (what the tests read) and its cells' text. */
function fillTable(bodyId: string, rows: { data: Record<string, string>; cells: string[] }[]): void {
  byId<HTMLTableSectionElement>(bodyId).replaceChildren(
    ...rows.map(({ data, cells }) => {
      const row = document.createElement("tr");
      Object.assign(row.dataset, data);
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
}
