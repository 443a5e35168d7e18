// Bar charts drawn on the server as SVG: no chart library, nothing from a CDN, readable without
// JavaScript. The geometry is a pure function (barLayout) so it can be tested by numbers; the
// component only turns it into elements. Colours come from the stylesheet's variables (light/dark).

export interface ChartSeries {
  name: string;
  /** One value per label; null draws no bar (no sample in that bucket). */
  values: ReadonlyArray<number | null>;
}

export interface ChartInput {
  labels: readonly string[];
  series: readonly ChartSeries[];
  width?: number;
  height?: number;
}

export interface Bar {
  series: number;
  index: number;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BarLayout {
  width: number;
  height: number;
  /** The plot area inside the axes. */
  plot: { left: number; top: number; right: number; bottom: number };
  /** The top of the value axis: a "nice" number at or above the largest value (1 when all are 0). */
  max: number;
  bars: Bar[];
  /** Where each label's group is centred on the x axis. */
  centres: number[];
}

const MARGIN = { left: 56, right: 12, top: 12, bottom: 28 };

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ value (so the axis reads in round numbers). */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value - 1e-9 * power) return step * power;
  }
  return 10 * power;
}

/** Bars grouped per label, one per series, scaled to the largest value. */
export function barLayout(input: ChartInput): BarLayout {
  const width = input.width ?? 560;
  const height = input.height ?? 220;
  const plot = {
    left: MARGIN.left,
    top: MARGIN.top,
    right: width - MARGIN.right,
    bottom: height - MARGIN.bottom,
  };
  const values = input.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = niceCeiling(Math.max(0, ...values));
  const groups = Math.max(1, input.labels.length);
  const groupWidth = (plot.right - plot.left) / groups;
  // A fifth of each group is the gap between groups; the rest is shared by the series' bars.
  const barWidth = (groupWidth * 0.8) / Math.max(1, input.series.length);
  const bars: Bar[] = [];
  const centres = input.labels.map((_, index) => plot.left + groupWidth * (index + 0.5));
  input.series.forEach((series, s) => {
    series.values.forEach((value, index) => {
      if (value === null || index >= groups) return;
      const barHeight = ((plot.bottom - plot.top) * Math.max(0, value)) / max;
      bars.push({
        series: s,
        index,
        value,
        x: round(plot.left + groupWidth * index + groupWidth * 0.1 + barWidth * s),
        y: round(plot.bottom - barHeight),
        width: round(barWidth),
        height: round(barHeight),
      });
    });
  });
  return { width, height, plot, max, bars, centres };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Which labels to print under the axis: at most `room` of them, evenly spread, always the first. */
export function labelIndexes(count: number, room: number): number[] {
  if (count <= room) return [...Array(count).keys()];
  const step = Math.ceil(count / room);
  return [...Array(count).keys()].filter((index) => index % step === 0);
}

/**
 * A bar chart as an accessible image: role="img" with a <title> naming it and a summary for
 * screen readers (the numbers themselves are in the table the page puts next to it).
 */
export function BarChart(
  props: ChartInput & {
    title: string;
    /** Formats axis and hover values (e.g. "3.5 h"). */
    format?: (value: number) => string;
  },
) {
  const layout = barLayout(props);
  const format = props.format ?? String;
  const { plot } = layout;
  const id = `chart-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  const shown = labelIndexes(props.labels.length, Math.floor((plot.right - plot.left) / 70));
  return (
    <figure class="chart">
      <svg
        role="img"
        aria-labelledby={`${id}-title`}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width="100%"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${id}-title`}>{props.title}</title>
        {[0, 0.5, 1].map((fraction) => {
          const y = round(plot.bottom - (plot.bottom - plot.top) * fraction);
          return (
            <g class="chart-grid">
              <line x1={plot.left} x2={plot.right} y1={y} y2={y} />
              <text x={plot.left - 6} y={y + 4} text-anchor="end">
                {format(layout.max * fraction)}
              </text>
            </g>
          );
        })}
        {layout.bars.map((bar) => (
          <rect
            class={`chart-bar chart-series-${bar.series}`}
            x={bar.x}
            y={bar.y}
            width={bar.width}
            height={bar.height}
          >
            <title>{`${props.labels[bar.index]}: ${props.series[bar.series]?.name} ${format(bar.value)}`}</title>
          </rect>
        ))}
        {shown.map((index) => (
          <text class="chart-label" x={layout.centres[index]} y={layout.height - 8} text-anchor="middle">
            {props.labels[index]}
          </text>
        ))}
      </svg>
      {props.series.length > 1 ? (
        <figcaption class="chart-legend">
          {props.series.map((series, s) => (
            <span>
              <span class={`chart-swatch chart-series-${s}`} aria-hidden="true"></span>
              {series.name}
            </span>
          ))}
        </figcaption>
      ) : null}
    </figure>
  );
}
