// Comfort in the real window, as Marie MARTIN: the text of the whole window grows with
// Ctrl+plus (announced, remembered, offered in the settings, also while typing in the
// composer) and comes back with Ctrl+0; the patient's birth date reads and writes
// JJ/MM/AAAA whatever the system's locale; the subject and body are spell-checked in French.
// The text size is left at 100 % (the specs share one profile).
import { SECRETARIAT, boxButton, openComposer, screenshot, signInAs, signOut, waitForNotice } from './helpers.mjs';

/** The root font size in CSS pixels: every rem of the window follows it. */
const rootFontSize = () =>
  browser.execute(() => parseFloat(getComputedStyle(document.documentElement).fontSize));

/** The height of the first row of the message list, in CSS pixels. */
const firstRowHeight = () =>
  browser.execute(() => document.querySelector('.scroller div.row')?.getBoundingClientRect().height ?? 0);

// French percentages have a no-break space before the sign.
const sizeNotice = (percent) => `Taille du texte : ${percent}\u00a0%`;

describe('Confort : taille du texte, dates en français', () => {
  let normal = 0;

  before(async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
    await $('.scroller div.row').waitForDisplayed({ timeout: 30_000 });
  });

  it('grows the text of the whole window with Ctrl+plus, and remembers it', async () => {
    // From the normal size, whatever an earlier run left.
    await browser.keys(['Control', '0']);
    await waitForNotice(sizeNotice(100));
    normal = await rootFontSize();
    const rowBefore = await firstRowHeight();

    await browser.keys(['Control', '+']);
    await waitForNotice(sizeNotice(110));
    await browser.keys(['Control', '+']);
    await waitForNotice(sizeNotice(120));
    const grown = await rootFontSize();
    expect(grown).toBeGreaterThan(normal);
    expect(Math.round((grown / normal) * 100)).toBe(120);
    // The list's rows, laid out in pixels, follow the text.
    await browser.waitUntil(async () => (await firstRowHeight()) > rowBefore, {
      timeout: 5_000,
      timeoutMsg: 'the list rows kept their height at 120 %',
    });
    // Remembered for the next start.
    expect(await browser.execute(() => localStorage.getItem('relais.textSize'))).toBe('120');
    await screenshot('text-size-120.png');
  });

  it('offers the size in the settings, and Ctrl+0 brings it back to normal', async () => {
    await $('button=Paramètres').click();
    const dialog = $('.settings');
    await expect(dialog).toBeDisplayed({ wait: 10_000 });
    await expect($('#settings-text-size')).toHaveValue('120');
    await $('#settings-text-size').scrollIntoView({ block: 'center' });
    await screenshot('settings-text-size.png');
    // Closed from the keyboard (Échap), as the settings allow.
    await browser.execute(() => document.getElementById('settings-text-size')?.focus());
    await browser.keys('Escape');
    await expect(dialog).not.toBeExisting({ wait: 10_000 });

    await browser.keys(['Control', '0']);
    await waitForNotice(sizeNotice(100));
    expect(await rootFontSize()).toBe(normal);
  });

  it('writes the patient birth date as JJ/MM/AAAA, with French errors', async () => {
    await openComposer();
    // Letters are written in French: the webview's spell checker is asked for French.
    for (const field of ['#compose-subject', '#compose-body']) {
      await expect($(field)).toHaveAttribute('spellcheck', 'true');
      await expect($(field)).toHaveAttribute('lang', 'fr');
    }

    // Ctrl+plus works while typing too (the composer keeps other keys to itself).
    await $('#compose-body').click();
    await browser.keys(['Control', '+']);
    await browser.waitUntil(async () => (await rootFontSize()) > normal, {
      timeout: 5_000,
      timeoutMsg: 'Ctrl+plus did nothing inside the composer',
    });
    await browser.keys(['Control', '0']);
    await browser.waitUntil(async () => (await rootFontSize()) === normal, {
      timeout: 5_000,
      timeoutMsg: 'Ctrl+0 did nothing inside the composer',
    });

    await $('#compose-patient-mode').click();
    const birthDate = $('#compose-birth-date');
    await expect(birthDate).toHaveAttribute('type', 'text');
    await expect(birthDate).toHaveAttribute('inputmode', 'numeric');
    await expect(birthDate).toHaveAttribute('placeholder', 'JJ/MM/AAAA');

    // An impossible day is refused in French.
    await birthDate.setValue('31/04/1985');
    await expect($('.birth-date-error')).toHaveText(
      "Cette date n'existe pas : vérifiez le jour et le mois (JJ/MM/AAAA).",
      { wait: 5_000 },
    );
    await expect(birthDate).toHaveAttribute('aria-invalid', 'true');

    // Digits alone: the slashes are put in as they are typed.
    await birthDate.setValue('14031985');
    await expect(birthDate).toHaveValue('14/03/1985');
    await expect(birthDate).not.toHaveAttribute('aria-invalid', 'true');
    expect((await $('.birth-date-error').getText()).trim()).toBe('');
    await expect($('.patient-card')).toHaveText(expect.stringContaining('14/03/1985'));
    await browser.execute(() => document.querySelector('.patient')?.scrollIntoView({ block: 'start' }));
    await screenshot('composer-birth-date.png');

    await $('button=Abandonner').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 10_000 });
    await signOut();
  });
});
