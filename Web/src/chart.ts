// A uPlot chart bound to one panel. The panel's data-points attribute says how many x values are plotted, so that
// tests (and curious operators) can read what the chart shows without decoding the canvas.
import uPlot from "uplot";

export interface SeriesSpec {
  label: string;
  color: string;
  dash?: number[];
  bars?: boolean;
  /** Which y scale the series uses; "y" unless given. */
  scale?: string;
}

export interface ChartSpec {
  xLabel: string;
  series: SeriesSpec[];
  yRange?: [number, number];
  /** Discrete x values (rounds, client ranks): no time axis. */
  xIsIndex?: boolean;
}

const height = 220;

export class Chart {
  private plot: uPlot | null = null;
  private readonly holder: HTMLElement;

  constructor(private readonly panel: HTMLElement, private readonly spec: ChartSpec) {
    this.holder = panel.querySelector<HTMLElement>(".plot") ?? panel;
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height })).observe(this.holder);
    panel.dataset.points = "0";
  }

  /** Replaces the plotted data: xs, then one array per series (null leaves a gap). */
  update(xs: number[], ys: (number | null)[][]): void {
    const data = [xs, ...ys] as uPlot.AlignedData;
    if (this.plot === null) {
      this.plot = new uPlot(this.options(), data, this.holder);
    } else {
      this.plot.setData(data);
    }
    this.panel.dataset.points = String(xs.length);
  }

  private width(): number {
    return Math.max(240, this.holder.clientWidth);
  }

  private options(): uPlot.Options {
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    return {
      width: this.width(),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, ...(this.spec.xIsIndex ? { range: (_u, min, max) => [min - 0.5, max + 0.5] } : {}) },
        y: this.spec.yRange ? { range: this.spec.yRange } : {},
      },
      axes: [
        { label: this.spec.xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
        {},
      ],
      series: [
        { label: this.spec.xLabel },
        ...this.spec.series.map<uPlot.Series>((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.scale ? { scale: s.scale } : {}),
          ...(s.bars && bars ? { paths: bars, fill: `${s.color}88`, points: { show: false } } : {}),
          spanGaps: false,
        })),
      ],
    };
  }
}
