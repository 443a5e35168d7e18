import { describe, expect, it } from "vitest";
import { BarChart, barLayout, labelIndexes, niceCeiling } from "./svg-chart.tsx";

describe("niceCeiling", () => {
  it("rounds up to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect(niceCeiling(0)).toBe(1);
    expect(niceCeiling(1)).toBe(1);
    expect(niceCeiling(3)).toBe(5);
    expect(niceCeiling(7)).toBe(10);
    expect(niceCeiling(21)).toBe(25);
    expect(niceCeiling(0.3)).toBeCloseTo(0.5);
    expect(niceCeiling(180)).toBe(200);
  });
});

describe("barLayout", () => {
  it("scales bars to the nice maximum inside the plot area", () => {
    // 640 × 200 with margins 56/12/12/28: plot x 56..628 (572 wide), y 12..172 (160 high).
    const layout = barLayout({
      width: 640,
      height: 200,
      labels: ["w1", "w2"],
      series: [{ name: "Deployments", values: [4, 2] }],
    });
    expect(layout.max).toBe(5);
    expect(layout.plot).toEqual({ left: 56, top: 12, right: 628, bottom: 172 });
    // Groups are 286 wide; a bar is 80 % of it, starting 10 % in.
    expect(layout.bars).toEqual([
      { series: 0, index: 0, value: 4, x: 84.6, y: 44, width: 228.8, height: 128 },
      { series: 0, index: 1, value: 2, x: 370.6, y: 108, width: 228.8, height: 64 },
    ]);
    expect(layout.centres).toEqual([199, 485]);
  });

  it("puts the series side by side and skips buckets without a value", () => {
    const layout = barLayout({
      height: 200,
      labels: ["a", "b"],
      series: [
        { name: "median", values: [1, null] },
        { name: "p90", values: [2, 2] },
      ],
    });
    expect(layout.max).toBe(2);
    expect(layout.bars.map((bar) => [bar.series, bar.index, bar.height])).toEqual([
      [0, 0, 80],
      [1, 0, 160],
      [1, 1, 160],
    ]);
    const [median, p90] = layout.bars;
    expect((p90?.x ?? 0) - (median?.x ?? 0)).toBeCloseTo(median?.width ?? 0);
  });

  it("draws nothing but the axis for an empty window or only zeros", () => {
    expect(barLayout({ labels: [], series: [{ name: "x", values: [] }] }).bars).toEqual([]);
    const zeros = barLayout({ labels: ["a"], series: [{ name: "x", values: [0] }] });
    expect(zeros.max).toBe(1);
    expect(zeros.bars[0]?.height).toBe(0);
  });
});

describe("labelIndexes", () => {
  it("keeps every label that fits, else every n-th from the first", () => {
    expect(labelIndexes(3, 8)).toEqual([0, 1, 2]);
    expect(labelIndexes(13, 6)).toEqual([0, 3, 6, 9, 12]);
  });
});

describe("BarChart", () => {
  it("is an image with a title, one rect per value and hover titles", () => {
    const html = String(
      BarChart({
        title: "Deployments per week",
        labels: ["2026-11-02", "2026-11-09"],
        series: [{ name: "Deployments", values: [3, 1] }],
      }),
    );
    expect(html).toContain('role="img"');
    expect(html).toContain('aria-labelledby="chart-deployments-per-week-title"');
    expect(html).toContain('<title id="chart-deployments-per-week-title">Deployments per week</title>');
    expect(html.match(/<rect /g)).toHaveLength(2);
    expect(html).toContain("<title>2026-11-09: Deployments 1</title>");
    // One series needs no legend.
    expect(html).not.toContain("chart-legend");
  });

  it("has a legend naming each series when there are several", () => {
    const html = String(
      BarChart({
        title: "Lead time",
        labels: ["a"],
        series: [
          { name: "Median", values: [1] },
          { name: "p90", values: [2] },
        ],
      }),
    );
    expect(html).toContain("chart-legend");
    expect(html).toContain("Median");
    expect(html).toContain("p90");
  });
});
