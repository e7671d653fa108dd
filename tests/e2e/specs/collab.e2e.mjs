// Working together in the shared secretariat box, in the real window against the real
// local operator: Marie takes a message in charge, the filters follow, « Traité »; a claim
// made by Sophie on another client (a raw keyword STORE through doveadm, in the keyword
// format of docs/collaboration.md) appears live; taking it over asks first; « Répondu par »
// and the conversation view; the Annuaire Santé in Settings and in the composer.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRETARIAT, boxButton, messageRow, openComposer, screenshot, signInAs, signOut } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const BOX = 'secretariat.cardio@ch-demo.mssante.fr';
const SAMPLE = path.join(repo, 'tests/fixtures/annuaire/Extraction_Correspondance_MSSante_demo.txt');

/** `$RelaisClaim_<code>`: FNV-1a 64 of the national id, base32 (13 characters). */
function claimKeyword(nationalId) {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(nationalId, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  const bits = hash << 1n;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let code = '';
  for (let i = 0; i < 13; i++) code += alphabet[Number((bits >> BigInt(60 - 5 * i)) & 31n)];
  return `$RelaisClaim_${code}`;
}

/** Sophie BERNARD claims a message from another client: keywords set straight on the server. */
function sophieClaims(subjectWords) {
  const operatorDir = path.dirname(process.env.RELAIS_OPERATOR ?? '');
  execFileSync(
    path.join(repo, 'tests/operator/run'),
    ['doveadm', '--dir', operatorDir, '--', 'flags', 'add', '-u', BOX,
      `${claimKeyword('810100000058')} $RelaisBy_Sophie_BERNARD`,
      'mailbox', 'INBOX', 'subject', subjectWords],
    { stdio: 'pipe' },
  );
}

const filter = (key) => $(`.status-filters button[data-filter="${key}"]`);
const countOf = async (key) => Number((await filter(key).$('.count').getText()).trim());
/** The badge of the list row whose subject contains `text` ('' when none). */
const badgeOf = (text) =>
  browser.execute((wanted) => {
    const row = [...document.querySelectorAll('.scroller div.row')].find((r) => (r.querySelector('.subject')?.textContent ?? '').includes(wanted));
    return row?.querySelector('.badge')?.textContent?.trim() ?? '';
  }, text);

/** Waits until that badge says `expected`. */
async function expectBadge(text, expected, timeout = 15_000) {
  let last = '';
  await browser.waitUntil(async () => (last = await badgeOf(text)) === expected, {
    timeout,
    interval: 200,
    timeoutMsg: `the badge of « ${text} » says « ${last} », not « ${expected} »`,
  });
}

async function openRow(text) {
  const row = messageRow(text);
  await row.waitForDisplayed({ timeout: 30_000 });
  await row.scrollIntoView();
  await row.click();
  await expect($('.reader .subject')).toHaveText(expect.stringContaining(text), { wait: 20_000 });
}

describe('Secrétariat partagé : prise en charge, filtres, conversation, annuaire', () => {
  it('signs Marie in and opens the shared box with its filters', async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await messageRow('Demande de rendez-vous — M. PETIT').waitForDisplayed({ timeout: 45_000 });
    await expect(filter('to_handle')).toBeDisplayed();
    await browser.waitUntil(async () => (await countOf('to_handle')) > 0, { timeout: 15_000, timeoutMsg: 'no « À traiter » count' });
    expect(await countOf('mine')).toBe(0);
  });

  it('claims a message: the badge shows, « Mes prises en charge » and « À traiter » follow', async () => {
    const before = await countOf('to_handle');
    await openRow('Demande de rendez-vous — M. PETIT');
    await expect($('.handling .state')).toHaveText(expect.stringContaining('À traiter'));
    await $('.handling').$('button=Prendre en charge').click();
    await expectBadge('Demande de rendez-vous — M. PETIT', 'Pris en charge par vous', 15_000);
    await expect($('.handling .state')).toHaveText('Pris en charge par vous');
    await expect($('.handling').$('button=Libérer')).toBeDisplayed();
    await browser.waitUntil(async () => (await countOf('mine')) === 1, { timeout: 10_000, timeoutMsg: '« Mes prises en charge » is not 1' });
    expect(await countOf('to_handle')).toBe(before - 1);
    await screenshot('collab-claimed.png');

    await filter('mine').click();
    await expect(filter('mine')).toHaveAttribute('aria-pressed', 'true');
    await expect(messageRow('Demande de rendez-vous — M. PETIT')).toBeDisplayed({ wait: 15_000 });
    await browser.waitUntil(async () => (await $$('.scroller div.row[data-index]')).length === 1, {
      timeout: 10_000, timeoutMsg: '« Mes prises en charge » does not list exactly one message',
    });
    await screenshot('collab-filter-mine.png');

    await filter('to_handle').click();
    await expect(messageRow('Planning des consultations')).toBeDisplayed({ wait: 15_000 });
    expect(await messageRow('Demande de rendez-vous — M. PETIT').isExisting()).toBe(false);
    await screenshot('collab-filter-to-handle.png');
  });

  it('marks it « Traité »', async () => {
    await filter('all').click();
    await openRow('Demande de rendez-vous — M. PETIT');
    await $('.handling').$('button=Marquer comme traité').click();
    await expectBadge('Demande de rendez-vous — M. PETIT', 'Traité par vous', 15_000);
    await browser.waitUntil(async () => (await countOf('done')) === 1 && (await countOf('mine')) === 0, {
      timeout: 10_000, timeoutMsg: 'the counters did not follow « Traité »',
    });
    await filter('done').click();
    await expect(messageRow('Demande de rendez-vous — M. PETIT')).toBeDisplayed({ wait: 15_000 });
    await screenshot('collab-done.png');
    await filter('all').click();
  });

  it("shows Sophie's claim, made on another client, within seconds", async () => {
    await messageRow('Planning des consultations').waitForDisplayed({ timeout: 15_000 });
    const started = Date.now();
    sophieClaims('Planning des consultations');
    await expectBadge('Planning des consultations', 'Pris en charge par Sophie BERNARD', 20_000);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`[collab] Sophie's claim appeared in Marie's list after ${seconds} s`);
    await screenshot('collab-live.png');
  });

  it('asks before taking over a colleague\'s claim, then takes it', async () => {
    await openRow('Planning des consultations');
    await expect($('.handling .state')).toHaveText('Pris en charge par Sophie BERNARD');
    await $('.handling').$('button=Prendre en charge').click();
    const confirm = $('.handling .confirm');
    await expect(confirm).toHaveText(expect.stringContaining('Déjà pris en charge par Sophie BERNARD : reprendre ?'));
    await screenshot('collab-take-over.png');
    await confirm.$('button=Reprendre').click();
    await expectBadge('Planning des consultations', 'Pris en charge par vous', 15_000);
  });

  it('says who answered, and shows the whole conversation', async () => {
    // The question (not Dr Leroy's « Re: » thanks) was answered from the box.
    const answered = $('.scroller').$('span.answered*=Répondu par Marie MARTIN');
    await answered.waitForDisplayed({ timeout: 15_000 });
    // The toast of the last claim may cover the bottom of the list.
    if (await $('.notice .dismiss').isExisting()) await $('.notice .dismiss').click();
    await answered.scrollIntoView({ block: 'center' });
    await answered.click();
    await expect($('.reader .subject')).toHaveText(expect.stringMatching(/^Rendez-vous de contrôle/), { wait: 20_000 });
    await expect($('.reader .answered')).toHaveText(expect.stringContaining('Répondu par Marie MARTIN'));
    await $('button=Voir la conversation').click();
    const dialog = $('.conversation');
    await expect(dialog).toBeDisplayed();
    await expect(dialog.$('h2')).toHaveText(expect.stringContaining('jacques.leroy@cardio-pau.mssante.fr'));
    await expect(dialog.$('li.outgoing*=Envoyé par Marie MARTIN')).toBeDisplayed({ wait: 10_000 });
    await expect(dialog.$('li*=Reçu')).toBeDisplayed();
    await screenshot('collab-conversation.png');
    await dialog.$('button=Fermer').click();
    await dialog.waitForExist({ reverse: true, timeout: 5_000 });
  });

  it('imports the Annuaire Santé from Settings with a progress bar', async () => {
    await $('button=Paramètres').click();
    const settings = $('.settings');
    // The demo sample was imported at sign-in (RELAIS_ANNUAIRE).
    await expect(settings.$('.annuaire .current')).toHaveText(expect.stringContaining('200 boîtes'), { wait: 20_000 });
    await $('#annuaire-path').setValue(SAMPLE);
    await settings.$('button=Importer').click();
    await expect(settings.$('.annuaire .done')).toHaveText(expect.stringContaining('Import terminé : 200 boîtes'), { wait: 30_000 });
    await screenshot('settings-annuaire.png');
    await settings.$('button=Fermer').click();
  });

  it('suggests recipients from the directory, and hints at unknown addresses', async () => {
    await openComposer();
    await $('#compose-to').setValue('cardio 64');
    const suggestions = $('#compose-to-suggestions');
    await expect(suggestions.$('li*=Cardiologie')).toBeDisplayed({ wait: 10_000 });
    await expect(suggestions.$('.kind*=personnelle')).toBeDisplayed();
    await screenshot('composer-annuaire.png');
    await suggestions.$('li*=jacques.leroy@cardio-pau.mssante.fr').click();
    await expect($('#compose-to').parentElement().$('.chip*=LEROY')).toBeDisplayed();

    // Words in any order, accents ignored.
    await $('#compose-to').setValue('paris dupont');
    await expect(suggestions.$('li*=stephane.dupont@cabinet-dupont.mssante.fr')).toBeDisplayed({ wait: 10_000 });

    await $('#compose-to').setValue('nouveau.correspondant@exemple.mssante.fr');
    await browser.keys('Enter');
    await expect($('.field .unknown')).toHaveText(expect.stringContaining("adresse inconnue de l'annuaire"), { wait: 10_000 });
    await $('#compose-to').setValue('285036444512379@patient.mssante.fr');
    await browser.keys('Enter');
    await browser.pause(1_000);
    expect(await $$('.field .unknown').length).toBe(1);
    await screenshot('composer-annuaire-hint.png');
    await $('button=Abandonner').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 10_000 });
    await signOut();
  });
});
