// Pure helpers of the composer: the From choices, the trust-space check, sizes, the
// signature block. No Tauri here, so Vitest covers them directly.

import type { AddressView, BoxView, SessionInfo } from './api';
import type { Locale } from './stores/locale.svelte';
import { translate } from '../i18n';
import { formatSize, type TypedDate } from './format';
import { powers } from './rights';

export interface FromOption {
  address: string;
  label: string;
}

/**
 * The boxes the person may send from, each saying who sends for whom:
 * « Envoyé par Marie MARTIN » for their own box, « Envoyé par Marie MARTIN pour
 * Secrétariat de cardiologie » for a service box.
 */
export function fromOptions(info: SessionInfo, lang: Locale): FromOption[] {
  const name = authorName(info, lang);
  return info.boxes
    .filter((box) => powers(box).send)
    .map((box) => ({ address: box.address, label: fromLabel(box, info, name, lang) }));
}

function fromLabel(box: BoxView, info: SessionInfo, name: string, lang: Locale): string {
  const own = box.kind === 'nominative' && box.address === info.person.own_box;
  return own
    ? translate(lang, 'compose.fromOwn', { name })
    : translate(lang, 'compose.fromFor', { name, box: box.display_name });
}

/** The person's name as the author of what they write: « (déclaré) » after names that only
 * they declared (no directory knows them). */
export function authorName(info: SessionInfo, lang: Locale): string {
  const name = info.person.display_name;
  return info.person.declared ? translate(lang, 'identity.declared', { name }) : name;
}

/** The domain is `mssante.fr` or one of its sub-domains. */
export function inTrustSpace(address: string): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return false;
  const domain = address.slice(at + 1).trim().toLowerCase();
  return domain === 'mssante.fr' || domain.endsWith('.mssante.fr');
}

/** Recipients outside the MSSanté trust space, each once. */
export function outsideAddresses(lists: AddressView[][]): string[] {
  const out: string[] = [];
  for (const list of lists) {
    for (const r of list) {
      const a = r.address.trim();
      if (!inTrustSpace(a) && !out.some((o) => o.toLowerCase() === a.toLowerCase())) out.push(a);
    }
  }
  return out;
}

/** The French (or English) message for a file over the limit, or `null`. */
export function attachmentSizeProblem(
  name: string,
  size: number,
  limit: number,
  lang: Locale,
): string | null {
  if (size <= limit) return null;
  return translate(lang, 'compose.attachmentTooLarge', {
    name,
    size: formatSize(size, lang),
    limit: formatSize(limit, lang),
  });
}

/**
 * What is wrong with a birth date typed as JJ/MM/AAAA, in the person's language, or `null`.
 * The engine's own message speaks of the ISO form it receives, which the person never sees.
 */
export function birthDateProblem(typed: TypedDate, lang: Locale): string | null {
  switch (typed.kind) {
    case 'valid':
      return null;
    case 'empty':
      return translate(lang, 'compose.birthDateMissing');
    case 'incomplete':
      return translate(lang, 'compose.birthDateIncomplete');
    case 'invalid':
      return translate(lang, 'compose.birthDateInvalid');
    case 'future':
      return translate(lang, 'compose.birthDateFuture');
  }
}

/** A loose check of an address as typed, before the engine's own. */
export function looksLikeAddress(text: string): boolean {
  return /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/.test(text.trim());
}

/** « Nom <adresse> » or « adresse » typed in a recipient field → an address. */
export function parseRecipient(text: string): AddressView | null {
  const trimmed = text.trim().replace(/[,;]+$/, '');
  const angle = /^(.*)<([^<>]+)>$/.exec(trimmed);
  if (angle) {
    const address = (angle[2] ?? '').trim();
    if (!looksLikeAddress(address)) return null;
    const name = (angle[1] ?? '').trim().replace(/^"|"$/g, '');
    return { name: name || null, address };
  }
  return looksLikeAddress(trimmed) ? { name: null, address: trimmed } : null;
}

/** The signature block put below the person's words. */
export function signatureBlock(line: string): string {
  return line.trim() ? `\n\n${line.trim()}\n` : '';
}

/**
 * The body with the signature of the new From box: the old block is replaced when the
 * person left it as it was, else the body is kept (they edited it).
 */
export function swapSignature(body: string, oldLine: string, newLine: string): string {
  const oldBlock = signatureBlock(oldLine);
  if (oldBlock && body.endsWith(oldBlock)) {
    return body.slice(0, body.length - oldBlock.length) + signatureBlock(newLine);
  }
  if (!oldBlock && !body.trim()) return signatureBlock(newLine);
  return body;
}

/** Suggestions for a recipient field: addresses or names containing the typed text. */
export function suggest(known: AddressView[], typed: string, taken: AddressView[], max = 8): AddressView[] {
  const q = typed.trim().toLowerCase();
  if (q.length < 1) return [];
  const isTaken = (a: AddressView) => taken.some((t) => t.address.toLowerCase() === a.address.toLowerCase());
  return known
    .filter((a) => !isTaken(a))
    .filter((a) => a.address.toLowerCase().includes(q) || (a.name ?? '').toLowerCase().includes(q))
    .slice(0, max);
}
