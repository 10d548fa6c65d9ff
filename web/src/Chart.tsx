// Charts through Chart.js, registering only the pieces used (tree-shaken bundle).
// Colours come from CSS custom properties, so charts follow light and dark mode.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJs,
  type ChartConfiguration,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "react";

ChartJs.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export interface Series {
  label: string;
  values: number[];
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function configuration(
  type: "line" | "bar",
  labels: string[],
  series: Series[],
  format: (n: number) => string,
  horizontal: boolean,
): ChartConfiguration {
  const text = cssVar("--text-muted", "#555");
  const grid = cssVar("--grid", "#ddd");
  const palette = [cssVar("--accent", "#2563eb"), cssVar("--accent-2", "#d97706")];
  return {
    type,
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.values,
        borderColor: palette[i % palette.length],
        backgroundColor: type === "line" ? `${palette[i % palette.length]}33` : palette[i % palette.length],
        fill: type === "line",
        pointRadius: labels.length > 60 ? 0 : 2,
        tension: 0.2,
      })),
    },
    options: {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: series.length > 1, labels: { color: text } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(Number(item.raw))}` } },
      },
      scales: {
        x: {
          ticks: {
            color: text,
            maxRotation: 0,
            autoSkip: true,
            ...(horizontal ? { callback: (value: string | number) => format(Number(value)) } : {}),
          },
          grid: { color: grid },
        },
        y: {
          ticks: { color: text, ...(horizontal ? {} : { callback: (value: string | number) => format(Number(value)) }) },
          grid: { color: grid },
        },
      },
    },
  };
}

/** A line or bar chart; `description` is the accessible summary read instead of the canvas. */
export function Chart({
  type,
  labels,
  series,
  format,
  description,
  horizontal = false,
  testId,
}: {
  type: "line" | "bar";
  labels: string[];
  series: Series[];
  format: (n: number) => string;
  description: string;
  horizontal?: boolean;
  testId?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const points = JSON.stringify([labels, series]);

  useEffect(() => {
    if (!canvas.current) return;
    const chart = new ChartJs(canvas.current, configuration(type, labels, series, format, horizontal));
    return () => chart.destroy();
    // `points` stands for labels and series by value.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [type, points, horizontal]);

  return (
    <div className="chart" data-testid={testId} data-points={points}>
      <canvas ref={canvas} role="img" aria-label={description} />
    </div>
  );
}
