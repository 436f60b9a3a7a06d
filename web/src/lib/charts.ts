// Chart.js set-up: only the pieces the dashboard uses (smaller bundle), colours taken from the theme's
// CSS variables so charts follow dark/light, and builders for the two chart shapes we draw.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { Period, TimeSeries } from './api-types.js';
import { fromFirstActivity } from './series.js';

Chart.register(
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
// Animations redraw many frames on a slow phone and make screenshots nondeterministic; charts are data.
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

export { Chart };
export type { ChartConfiguration };

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

interface Palette {
  text: string;
  muted: string;
  grid: string;
  blocked: string;
  allowed: string;
  accent: string;
}

export function palette(): Palette {
  return {
    text: cssVar('--text'),
    muted: cssVar('--muted'),
    grid: cssVar('--border'),
    blocked: cssVar('--blocked'),
    allowed: cssVar('--allowed'),
    accent: cssVar('--accent'),
  };
}

const hourLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayLabel = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', hour: '2-digit' });
const dateLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

function labelFor(time: number, period: Period): string {
  if (period === '24h') return hourLabel.format(time);
  if (period === '7d') return dayLabel.format(time);
  return dateLabel.format(time);
}

const compactTicks = new Intl.NumberFormat(undefined, { notation: 'compact' });

/** Counts per bucket for blocked queries and for all the others, from the API's per-status series. */
export function splitBlocked(timeseries: TimeSeries): { blocked: number[]; other: number[] } {
  const size = timeseries.buckets.length;
  const blocked = new Array<number>(size).fill(0);
  const other = new Array<number>(size).fill(0);
  for (const line of timeseries.series) {
    const target = line.status === 'blocked' ? blocked : other;
    line.counts.forEach((count, index) => {
      if (index < size) target[index] = (target[index] ?? 0) + count;
    });
  }
  return { blocked, other };
}

/** Bars fill their slot: with 288 five-minute buckets the default gaps would leave hairlines. */
const barFill = { barPercentage: 1, categoryPercentage: 0.92 } as const;

/** Stacked bars of blocked and answered queries per time bucket. */
export function queriesOverTime(full: TimeSeries, period: Period): ChartConfiguration<'bar'> {
  const timeseries = fromFirstActivity(full);
  const colours = palette();
  const { blocked, other } = splitBlocked(timeseries);
  return {
    type: 'bar',
    data: {
      labels: timeseries.buckets.map((time) => labelFor(time, period)),
      datasets: [
        { label: 'Blocked', data: blocked, backgroundColor: colours.blocked, stack: 'queries', ...barFill },
        { label: 'Answered', data: other, backgroundColor: colours.allowed, stack: 'queries', ...barFill },
      ],
    },
    options: {
      responsive: true,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { labels: { color: colours.text } } },
      scales: {
        x: {
          stacked: true,
          ticks: { color: colours.muted, maxRotation: 0, autoSkipPadding: 12 },
          grid: { display: false },
        },
        y: {
          stacked: true,
          beginAtZero: true,
          ticks: {
            color: colours.muted,
            callback: (value) => compactTicks.format(Number(value)),
            precision: 0,
          },
          grid: { color: colours.grid },
        },
      },
    },
  };
}

/** Axis labels have little room: long names (often untrusted) end in an ellipsis; tooltips show them whole. */
function shorten(text: string, max = 24): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** Horizontal bars: top companies, top names. Labels are untrusted text; canvas draws them as text. */
export function horizontalBars(labels: string[], values: number[], label: string): ChartConfiguration<'bar'> {
  const colours = palette();
  return {
    type: 'bar',
    data: {
      labels: labels.map((text) => shorten(text)),
      datasets: [{ label, data: values, backgroundColor: colours.accent }],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { title: (items) => labels[items[0]?.dataIndex ?? 0] ?? '' } },
      },
      scales: {
        x: {
          beginAtZero: true,
          ticks: {
            color: colours.muted,
            callback: (value) => compactTicks.format(Number(value)),
            precision: 0,
          },
          grid: { color: colours.grid },
        },
        y: { ticks: { color: colours.text }, grid: { display: false } },
      },
    },
  };
}
