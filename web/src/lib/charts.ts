// What the Chart component draws, and the text alternative of each picture: the same numbers as a
// table, durations as H:MM and clock times on the workspace's clock.
//
// Why Chart.js: stacked and floating bars are built in; one small runtime dependency, about 70 kB
// gzipped at most and less with only the parts registered below; maintained since 2013. It needs no
// Svelte binding (a canvas and an effect). LayerChart brings some 30 packages, uPlot has no stacked
// bars without a plugin of our own, and ECharts weighs about 1 MB.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartConfiguration } from "chart.js";
import { formatDate, formatHoursMinutes, formatTime } from "./format";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export { Chart };

/** The page's colours for axis text and grid lines (light or dark). */
export interface ChartTheme {
  text: string;
  grid: string;
}

/** The text alternative: a header row, a row per category (`key` identifies it), maybe a totals row. */
export interface ChartTable {
  columns: string[];
  rows: { key: string; cells: string[] }[];
  foot?: string[];
}

export interface ChartView {
  /** The picture in one sentence: the canvas's label. */
  summary: string;
  table: ChartTable;
  /** Nothing to draw: the chart says its empty message instead. */
  empty: boolean;
  /** Canvas height in rem. */
  height: number;
  config: (theme: ChartTheme) => ChartConfiguration<"bar">;
}

/** Distinct colours for series that have none of their own (projects, clients, apps). */
export const PALETTE = ["#2f6fde", "#1f9d55", "#d08700", "#8957e5", "#c0392b", "#0f8b8d", "#b3478f", "#6b7a2f", "#5d6670", "#e07b39"];

/** Time away, wherever a chart shows it. */
export const AWAY_COLOR = "#9aa3ad";

/** One series: its name, colour and value per category (in the categories' order; null: none that day). */
export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

/** Categories along the axis (days, weeks), each a stack (or group) of the series. */
export interface ChartData {
  categories: { key: string; label: string }[];
  series: ChartSeries[];
}

/** How a chart shows its numbers: in the table and tooltip, and on the axis (scaled for reading). */
export interface Measure {
  format: (value: number) => string;
  axis: (scaled: number) => string;
  scale: number;
  /** Counts: whole numbers on the axis (no "2.5 sessions"). */
  whole?: boolean;
}

/** Durations: H:MM, hours on the axis (they read better than seconds). */
export const HOURS: Measure = { format: formatHoursMinutes, axis: (v) => `${v} h`, scale: 1 / 3600 };

const sum = (values: (number | null)[]) => values.reduce<number>((a, b) => a + (b ?? 0), 0);

/** Stacked bars of durations; the table has a column per series with time in it, and totals. */
export function stackedBars(title: string, categoryName: string, data: ChartData): ChartView {
  const series = withValues(data.series);
  const total = sum(data.categories.map((_, i) => sum(series.map((s) => s.values[i]))));
  const summary = `${title}: ${formatHoursMinutes(total)} in all, ${series.map((s) => `${s.label} ${formatHoursMinutes(sum(s.values))}`).join(", ")}.`;
  return bars(categoryName, data, { measure: HOURS, stacked: true, summary });
}

// An all-zero series would only add a legend entry and a column of dashes.
const withValues = (series: ChartSeries[]) => series.filter((s) => s.values.some((v) => v != null && v > 0));

/**
 * Bars per category, stacked (the table then has totals) or side by side; `summary` is the
 * picture in one sentence.
 */
export function bars(categoryName: string, data: ChartData, options: { measure: Measure; stacked: boolean; summary: string }): ChartView {
  const { measure, stacked } = options;
  const series = withValues(data.series);
  const totals = data.categories.map((_, i) => sum(series.map((s) => s.values[i])));
  const cell = (v: number | null) => (v == null ? "–" : measure.format(v));
  return {
    summary: options.summary,
    table: {
      columns: [categoryName, ...series.map((s) => s.label), ...(stacked ? ["Total"] : [])],
      rows: data.categories.map((c, i) => ({ key: c.key, cells: [c.label, ...series.map((s) => cell(s.values[i])), ...(stacked ? [cell(totals[i])] : [])] })),
      foot: stacked ? ["Total", ...series.map((s) => cell(sum(s.values))), cell(sum(totals))] : undefined,
    },
    empty: series.length === 0,
    height: 16,
    config: (theme) => ({
      type: "bar",
      data: {
        labels: data.categories.map((c) => c.label),
        datasets: series.map((s) => ({ label: s.label, data: s.values.map((v) => (v == null ? null : v * measure.scale)) as number[], backgroundColor: s.color, borderWidth: 0 })),
      },
      options: {
        ...common(theme),
        scales: {
          x: { stacked, ticks: { color: theme.text, autoSkip: true, maxRotation: 0 }, grid: { display: false } },
          y: { stacked, beginAtZero: true, ticks: { color: theme.text, precision: measure.whole ? 0 : undefined, callback: (v) => measure.axis(Number(v)) }, grid: { color: theme.grid } },
        },
        plugins: {
          legend: { position: "bottom", labels: { color: theme.text, boxWidth: 12 } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${cell(series[item.datasetIndex].values[item.dataIndex])}` } },
        },
      },
    }),
  };
}

/** A field's recorded numbers over time (a progress report): a bar per recording, its date beneath. */
export function valueBars(title: string, points: { at: string; number: number }[], timeZone: string): ChartView {
  const date = (at: string) => formatDate(at, timeZone);
  const values = points.map((p) => p.number);
  return {
    summary: `${title}: ${points.length} values, from ${values[0]} to ${values.at(-1)}, lowest ${Math.min(...values)}, highest ${Math.max(...values)}.`,
    table: { columns: ["Date", title], rows: points.map((p, i) => ({ key: `${p.at}-${i}`, cells: [date(p.at), String(p.number)] })) },
    empty: points.length === 0,
    height: 12,
    config: (theme) => ({
      type: "bar",
      data: { labels: points.map((p) => date(p.at)), datasets: [{ label: title, data: values, backgroundColor: PALETTE[0], borderWidth: 0 }] },
      options: {
        ...common(theme),
        scales: {
          x: { ticks: { color: theme.text, autoSkip: true, maxRotation: 0 }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { color: theme.text }, grid: { color: theme.grid } },
        },
        plugins: { legend: { display: false } },
      },
    }),
  };
}

/** A choice field's answers over a period (a progress report): a bar per option, as often as it was chosen, the most chosen first. */
export function choiceCounts(title: string, answers: string[]): ChartView {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  const options = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || a.localeCompare(b));
  const times = (n: number) => `${n} time${n === 1 ? "" : "s"}`;
  return {
    summary: `${title}: ${options.map((o) => `${o} ${times(counts.get(o)!)}`).join(", ")}.`,
    table: { columns: [title, "Times chosen"], rows: options.map((o) => ({ key: o, cells: [o, String(counts.get(o))] })) },
    empty: answers.length === 0,
    height: 4 + 2 * options.length,
    config: (theme) => ({
      type: "bar",
      data: { labels: options.map(shorten), datasets: [{ label: title, data: options.map((o) => counts.get(o)!), backgroundColor: PALETTE[0], borderWidth: 0 }] },
      options: {
        ...common(theme),
        indexAxis: "y",
        scales: {
          x: { beginAtZero: true, ticks: { color: theme.text, precision: 0 }, grid: { color: theme.grid } },
          y: { ticks: { color: theme.text }, grid: { display: false } },
        },
        plugins: { legend: { display: false } },
      },
    }),
  };
}

/** A stretch of one thing (an app, a URL, time away) on a timeline. */
export interface TimelineSpan {
  name: string;
  startedAt: string;
  endedAt: string;
}

/**
 * A row per name (the most used first, `last` names at the bottom), a bar per stretch, clock times
 * along the axis from `from` to `to`; the table lists the stretches in time order.
 */
export function timelineBars(title: string, nameColumn: string, spans: TimelineSpan[], range: { from: string; to: string }, timeZone: string, last: string[] = []): ChartView {
  const ms = (s: TimelineSpan) => Date.parse(s.endedAt) - Date.parse(s.startedAt);
  const used = new Map<string, number>();
  for (const s of spans) used.set(s.name, (used.get(s.name) ?? 0) + ms(s));
  const names = [...used.keys()].sort((a, b) => Number(last.includes(a)) - Number(last.includes(b)) || used.get(b)! - used.get(a)!);
  const color = (name: string) => (last.includes(name) ? AWAY_COLOR : PALETTE[names.indexOf(name) % PALETTE.length]);
  const ordered = [...spans].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const clock = (ms: number) => formatTime(new Date(ms).toISOString(), timeZone);
  return {
    summary: `${title}: ${names.map((n) => `${n} ${formatHoursMinutes(used.get(n)! / 1000)}`).join(", ")}, between ${formatTime(range.from, timeZone)} and ${formatTime(range.to, timeZone)}.`,
    table: {
      columns: [nameColumn, "From", "To", "Time"],
      rows: ordered.map((s, i) => ({
        key: String(i),
        cells: [s.name, formatTime(s.startedAt, timeZone), formatTime(s.endedAt, timeZone), formatHoursMinutes(ms(s) / 1000)],
      })),
    },
    empty: spans.length === 0,
    height: 4 + 2 * names.length,
    config: (theme) => ({
      type: "bar",
      data: {
        labels: names,
        datasets: [
          {
            label: title,
            // Several bars per row: points with their row named (Chart.js parses them; its types only know plain values).
            data: ordered.map((s) => ({ x: [Date.parse(s.startedAt), Date.parse(s.endedAt)], y: s.name })) as unknown as [number, number][],
            backgroundColor: ordered.map((s) => color(s.name)),
            borderWidth: 0,
            // One dataset: each bar takes its row's whole band instead of a share for each dataset.
            barPercentage: 1,
            categoryPercentage: 0.7,
          },
        ],
      },
      options: {
        ...common(theme),
        indexAxis: "y",
        scales: {
          x: {
            type: "linear",
            min: Date.parse(range.from),
            max: Date.parse(range.to),
            ticks: { color: theme.text, maxRotation: 0, stepSize: tickStep(Date.parse(range.to) - Date.parse(range.from)), callback: (v) => clock(Number(v)) },
            grid: { color: theme.grid },
          },
          // A long URL would squeeze the bars: the axis shows its start, the table all of it.
          y: { ticks: { color: theme.text, callback: (_v, i) => shorten(names[i]) }, grid: { display: false } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: () => "",
              label: (item) => {
                const s = ordered[item.dataIndex];
                return `${s.name}: ${formatTime(s.startedAt, timeZone)}–${formatTime(s.endedAt, timeZone)} (${formatHoursMinutes(ms(s) / 1000)})`;
              },
            },
          },
        },
      },
    }),
  };
}

/** Clock times on the hour or at round minutes: about six ticks whatever the span. */
function tickStep(spanMs: number) {
  const minutes = [5, 10, 15, 30, 60, 120, 180, 240, 360].find((m) => spanMs / (m * 60_000) <= 6) ?? 720;
  return minutes * 60_000;
}

const shorten = (name: string) => (name.length > 28 ? `${name.slice(0, 27)}…` : name);

function common(theme: ChartTheme) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    // Drawn at once: no motion to sit through, and a test reads the final picture.
    animation: false as const,
    color: theme.text,
  };
}
