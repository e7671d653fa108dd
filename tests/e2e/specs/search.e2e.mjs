// Search in the real window, against the real local operator's demo mail: `/` to the field,
// an accent-less query finds the accented subject and the result opens like any message;
// the filters narrow it (with attachments, the sender, the box and its folder); clearing
// brings the folder back.
import { SECRETARIAT, boxButton, messageRow, screenshot, setFieldValue, signInAs, signOut } from './helpers.mjs';

/** The subjects of the rows on screen. */
async function subjects() {
  return browser.execute(() =>
    [...document.querySelectorAll('.scroller div.row')]
      .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
      .map((row) => row.querySelector('.subject')?.textContent?.trim() ?? ''),
  );
}

/** Waits until the listed subjects satisfy `check`. */
async function listedUntil(check, what) {
  await browser.waitUntil(async () => check(await subjects()), { timeout: 20_000, timeoutMsg: what });
}

describe('Recherche (Marie MARTIN)', () => {
  before(async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
    await $('.scroller div.row').waitForDisplayed({ timeout: 30_000 });
  });

  it('finds an accented subject with an accent-less query and opens it', async () => {
    await browser.keys('/');
    await expect($('#search-text')).toBeFocused();
    await browser.keys('echographies'.split(''));
    await listedUntil(
      (list) => list.some((s) => s.startsWith('Échographies de la semaine prochaine')),
      '« echographies » never found « Échographies de la semaine prochaine »',
    );
    await expect($('.list-title .results')).toHaveText(expect.stringMatching(/^\d+ résultats?$/));
    await screenshot('search-results.png');
    await messageRow('Échographies de la semaine prochaine').click();
    await expect($('.reader .subject')).toHaveText(expect.stringContaining('Échographies de la semaine prochaine'), { wait: 15_000 });
  });

  it('narrows by attachments, sender, box and folder, then clears', async () => {
    await $('#search-text').setValue('resultats biologie');
    await listedUntil(
      (list) => list.filter((s) => s.startsWith('Résultats de biologie')).length >= 3,
      'the three « Résultats de biologie » were not all found',
    );
    await $('button.filters-toggle').click();
    await $('#search-attachments').click();
    await listedUntil(
      (list) =>
        list.some((s) => s.includes('DUBOIS Camille')) && !list.some((s) => s.includes('LAURENT Odile')),
      'with attachments, only the letter with its PDF should stay',
    );

    await $('#search-attachments').click();
    // As typing would (an input event): WebDriver's clear sends none.
    await setFieldValue('#search-text', '');
    await $('#search-from').setValue('leroy');
    await listedUntil(
      (list) =>
        list.some((s) => s.startsWith('Adressage — M. GARCIA Louis')) && !list.some((s) => s.startsWith('Résultats de biologie')),
      'the sender filter should keep Dr LEROY’s letters only',
    );
    await screenshot('search-filters.png');

    await $('#search-box').selectByAttribute('value', 'secretariat.cardio@ch-demo.mssante.fr');
    await $('#search-folder').selectByAttribute('value', 'Sent');
    await listedUntil(
      (list) => !list.some((s) => s.startsWith('Adressage — M. GARCIA Louis')),
      'the Sent folder holds no letter from Dr LEROY',
    );

    await $('.search').$('button.clear').click();
    await expect($('#search-text')).toHaveValue('');
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 15_000 });
  });

  after(async () => {
    await signOut();
  });
});
