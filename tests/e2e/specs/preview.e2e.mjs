// Attachments opened inside Relais, in the real window: Dr LEROY's referral letter (a real
// PDF of the demo mail) is drawn page by page by pdf.js, and no link, form or script of the
// document reaches the page — only canvases; an IHE XDM package opens as the patient's
// record (INS, names, birth date) with its CDA document's readable text.
import { SECRETARIAT, boxButton, messageRow, screenshot, signInAs, signOut } from './helpers.mjs';

const LETTER = 'Adressage — M. GARCIA Louis';
const PDF = "Courrier d'adressage - GARCIA.pdf";

describe('Aperçu des PDF (Marie MARTIN, secrétariat)', () => {
  before(async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
  });

  it('draws the pages of a PDF attachment', async () => {
    await messageRow(LETTER).waitForDisplayed({ timeout: 30_000 });
    await messageRow(LETTER).click();
    await expect($('.reader .subject')).toHaveText(expect.stringContaining(LETTER), { wait: 15_000 });
    await $(`button[aria-label="Aperçu de ${PDF}"]`).click();
    const page = $('.preview canvas');
    await page.waitForExist({ timeout: 20_000, timeoutMsg: 'no page drawn' });
    // Drawn, not blank: dark pixels of the letter's text on the white page.
    await browser.waitUntil(
      async () =>
        browser.execute(() => {
          const canvas = document.querySelector('.preview canvas');
          if (!canvas || canvas.width === 0) return false;
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let dark = 0;
          for (let i = 0; i < data.length; i += 4) if (data[i] < 128 && data[i + 3] > 0) dark += 1;
          return dark > 200;
        }),
      { timeout: 20_000, timeoutMsg: 'the page stayed blank' },
    );
    await expect(page).toHaveAttribute('aria-label', `Page 1 de « ${PDF} »`);
    // Only canvases: no link, form field or frame of the document.
    expect(await $$('.preview a, .preview input, .preview iframe, .preview embed, .preview object').length).toBe(0);
    await page.scrollIntoView({ block: 'start' });
    await screenshot('pdf-preview.png');
    await $('.preview').$("button=Fermer l'aperçu").click();
    await expect($('.preview')).not.toBeExisting();
  });

  it('opens an IHE XDM package as the patient record', async () => {
    const subject = 'Compte rendu de consultation (CDA) — Mme SANTONI Lucia';
    await messageRow(subject).click();
    await expect($('.reader .subject')).toHaveText(subject, { wait: 15_000 });
    await $('button.open-xdm').click();
    const record = $('#xdm-view');
    await expect(record).toBeDisplayed({ wait: 15_000 });
    await expect(record.$('.patient-ins')).toHaveText('293112A00412992');
    await expect(record.$('.patient-name')).toHaveText('SANTONI Lucia');
    await expect(record.$('h5')).toHaveText('Compte rendu de consultation de cardiologie');
    await expect(record.$('.text')).toHaveText(expect.stringContaining('Patient vu en consultation.'));
    await record.scrollIntoView({ block: 'start' });
    await screenshot('xdm-record.png');
  });

  after(async () => {
    await signOut();
  });
});
