// The time axis in the workshop's zone and the console's style (24-hour clock, `05 Mar`):
// uPlot's own labels would follow the browser's locale and zone.
import { zonedParts } from '../format';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MINUTE = 60_000;
const DAY = 86_400_000;

function dayLabel(p: ReturnType<typeof zonedParts>): string {
  return `${p.day} ${MONTHS[Number(p.month) - 1] ?? p.month}`;
}

/**
 * Labels for the ticks at `splits` (unix ms) spaced `incrMs` apart: days as `05 Mar`; times as
 * `14:05` (`14:05:30` below a minute), with the day under the first tick and wherever the day
 * changes, so that a range across midnight stays readable.
 */
export function timeTickLabels(splits: readonly number[], incrMs: number, tz: string): string[] {
  let prevDay = '';
  return splits.map((t, i) => {
    const p = zonedParts(t, tz);
    const day = dayLabel(p);
    if (incrMs >= DAY) {
      const withYear = i === 0 || p.month + p.day === '0101';
      return withYear ? `${day}\n${p.year}` : day;
    }
    const time = incrMs < MINUTE ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
    const show = i === 0 || day !== prevDay;
    prevDay = day;
    return show ? `${time}\n${day}` : time;
  });
}

/** The time of the point under the cursor, for the legend: `05 Mar 2026, 14:05:30`. */
export function cursorTimeLabel(ts: number, tz: string): string {
  const p = zonedParts(ts, tz);
  return `${dayLabel(p)} ${p.year}, ${p.hour}:${p.minute}:${p.second}`;
}
