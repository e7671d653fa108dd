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

/**
 * A number as the language writes it, with `fractionDigits` decimals: « 12 345 », « 2,5 »
 * (fr), « 12,345 », « 2.5 » (en). Never the system's locale: an English system must not
 * turn French figures into English ones.
 */
export function formatNumber(value: number, locale: Locale, fractionDigits = 0): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale], {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(value);
}

/** A percentage given in percent: « 110 % » (fr, with a no-break space), « 110% » (en). */
export function formatPercent(percent: number, locale: Locale): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale], { style: 'percent', maximumFractionDigits: 0 }).format(
    percent / 100,
  );
}

/** A time of day in local time, « 14:32 », for a Unix time in seconds. */
export function formatTime(unixSeconds: number, locale: Locale): string {
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], { hour: '2-digit', minute: '2-digit' }).format(
    new Date(unixSeconds * 1000),
  );
}

/** A time of day with seconds, in local time: « 10:42:05 » in both languages. */
export function formatTimeOfDay(ms: number, locale: Locale): string {
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date(ms));
}

// ─── dates typed as JJ/MM/AAAA ──────────────────────────────────────────────────────
// A native date input follows the system's locale (03/14/1985 on an English system), so
// the birth date is a text field that always reads and writes day/month/year; the engine
// still receives ISO `YYYY-MM-DD`.

/** What a typed JJ/MM/AAAA date is: empty, not finished, not a real day, or `iso`. */
export type TypedDate =
  | { kind: 'empty' }
  | { kind: 'incomplete' }
  | { kind: 'invalid' }
  | { kind: 'future' }
  | { kind: 'valid'; iso: string };

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const GROUP_SIZES = [2, 2, 4] as const;

/**
 * Puts slashes into a date as it is typed: « 14031985 » → « 14/03/1985 », « 1/3/1985 » or
 * « 1.3.1985 » → « 01/03/1985 ». A slash is added only before a further digit, so that
 * Backspace over « 14/ » is not undone; a pasted ISO date is turned around.
 */
export function maskFrenchDate(text: string): string {
  const iso = ISO_DAY.exec(text.trim());
  if (iso) return `${iso[3]}/${iso[2]}/${iso[1]}`;
  // Day, month, year: filled one after the other.
  const groups: string[] = [''];
  for (const char of text) {
    const group = groups.length - 1;
    const current = groups[group] ?? '';
    if (char >= '0' && char <= '9') {
      if (current.length < (GROUP_SIZES[group] ?? 0)) groups[group] = current + char;
      else if (group < 2) groups.push(char);
      else break;
    } else if ('/.- '.includes(char) && group < 2 && current.length > 0) {
      // « 1/ » means the first of the month: the day (or month) is complete.
      groups[group] = current.padStart(2, '0');
      groups.push('');
    }
  }
  // A separator just typed leaves an empty last group: « 14/ » keeps its slash.
  return groups.join('/');
}

/**
 * Reads a JJ/MM/AAAA date (as `maskFrenchDate` writes it). `today` is a parameter so that
 * tests need no clock: a birth date after it is refused.
 */
export function parseFrenchDate(text: string, today: Date): TypedDate {
  const masked = maskFrenchDate(text);
  if (masked === '') return { kind: 'empty' };
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(masked);
  if (!match) return { kind: 'incomplete' };
  const [, dd, mm, yyyy] = match;
  const day = Number(dd);
  const month = Number(mm);
  const year = Number(yyyy);
  // The calendar's own check: 31/04 or 29/02/2023 roll over to another day.
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year);
  if (
    year < 1000 ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return { kind: 'invalid' };
  }
  const iso = `${yyyy}-${mm}-${dd}`;
  const todayIso = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  if (iso > todayIso) return { kind: 'future' };
  return { kind: 'valid', iso };
}

/** A typed JJ/MM/AAAA day as `YYYY-MM-DD` (past or future), or '' while it is unfinished. */
export function frenchDayToIso(text: string): string {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(maskFrenchDate(text));
  return match ? `${match[3]}-${match[2]}-${match[1]}` : '';
}

/** `YYYY-MM-DD` as people read it, « 14/03/1985 »; anything else is returned as it is. */
export function formatIsoDay(iso: string): string {
  const match = ISO_DAY.exec(iso);
  return match ? `${match[3]}/${match[2]}/${match[1]}` : iso;
}

/**
 * Where the caret goes after `maskFrenchDate` rewrote the field: just after the same
 * number of digits as before it, so that editing in the middle does not jump to the end.
 */
export function caretAfterDigits(masked: string, digits: number): number {
  if (digits <= 0) return 0;
  let seen = 0;
  for (const [i, char] of [...masked].entries()) {
    if (char >= '0' && char <= '9') seen += 1;
    if (seen === digits) return i + 1;
  }
  return masked.length;
}
