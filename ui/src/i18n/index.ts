import { en } from './en';
import { fr, type MessageKey, type Messages } from './fr';
import { locale, type Locale } from '../lib/stores/locale.svelte';

export type { MessageKey, Locale };

const catalogs: Record<Locale, Messages> = { fr, en };

/** Values substituted into `{name}` placeholders. */
export type MessageParams = Record<string, string | number>;

/** Translates `key` into `lang`. Pure, so it is easy to test. */
export function translate(lang: Locale, key: MessageKey, params?: MessageParams): string {
  const template = catalogs[lang][key];
  if (!params) return template;
  // An unknown placeholder stays visible rather than vanishing: a missing value is a bug
  // someone should see.
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/**
 * Translates `key` into the current UI language. Reading `locale.current` inside a
 * component's template makes the text follow language changes.
 */
export function t(key: MessageKey, params?: MessageParams): string {
  return translate(locale.current, key, params);
}

/** True when `key` names a message, e.g. an error code coming from the back end. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(fr, key);
}
