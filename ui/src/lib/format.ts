// Dates and sizes as the message list and the reader show them. Pure functions: the
// current time and the language are parameters, so tests need no clock.

import type { Locale } from './stores/locale.svelte';

const INTL_LOCALE: Record<Locale, string> = { fr: 'fr-FR', en: 'en-GB' };

const pad = (n: number) => String(n).padStart(2, '0');

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/**
 * Short date for a list row, in local time: « 14:32 » today, « lun. 16/11 » within the
 * last six days, « 16/11/2026 » otherwise (and for dates in the future).
 */
export function formatListDate(unixSeconds: number, now: Date, locale: Locale): string {
  const date = new Date(unixSeconds * 1000);
  const today = startOfDay(now);
  const day = startOfDay(date);
  if (day === today) return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const sixDaysAgo = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 6).getTime();
  const dayMonth = `${pad(date.getDate())}/${pad(date.getMonth() + 1)}`;
  if (day < today && day >= sixDaysAgo) {
    const weekday = new Intl.DateTimeFormat(INTL_LOCALE[locale], { weekday: 'short' }).format(date);
    return `${weekday} ${dayMonth}`;
  }
  return `${dayMonth}/${date.getFullYear()}`;
}

/** Full date for the reader header: « lundi 16 novembre 2026, 14:32 ». */
export function formatLongDate(unixSeconds: number, locale: Locale): string {
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(unixSeconds * 1000));
}

/** A size in bytes as French readers expect: « 512 o », « 12 Ko », « 3,4 Mo ». */
export function formatSize(bytes: number, locale: Locale): string {
  const units = locale === 'fr' ? ['o', 'Ko', 'Mo', 'Go'] : ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const number = new Intl.NumberFormat(INTL_LOCALE[locale], {
    maximumFractionDigits: digits,
  }).format(value);
  // A no-break space keeps the number and its unit on one line.
  return `${number}\u00a0${units[unit]}`;
}

/** The start of a local calendar day given as `YYYY-MM-DD` (a date input), in Unix seconds. */
export function dayStart(isoDay: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDay);
  if (!match) return null;
  const [, y, m, d] = match;
  return Math.floor(new Date(Number(y), Number(m) - 1, Number(d)).getTime() / 1000);
}

/** The start of the day after `isoDay`: an exclusive upper bound that includes that day. */
export function dayEnd(isoDay: string): number | null {
  const start = dayStart(isoDay);
  if (start === null) return null;
  const date = new Date(start * 1000);
  return Math.floor(
    new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1).getTime() / 1000,
  );
}
