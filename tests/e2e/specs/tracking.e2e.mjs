// Delivery tracking in the real window, against the real local operator: a letter sent
// from the secretariat with « Accusé de distribution » shows, once Postfix's report came
// back, what it says under it in Envoyés, and the report itself opens with its French
// summary above the raw notification. The local operator hands mail to Dovecot over LMTP,
// which announces no DSN: Postfix reports the hand-over as `relayed` (« Transmis à … »),
// and Relais says so rather than claim a delivery the report does not state.
import { SECRETARIAT, boxButton, folderButton, messageRow, screenshot, signInAs, signOut, writeFromSecretariat } from './helpers.mjs';

const stamp = new Date().toISOString().slice(11, 19);
const LETTER = `Courrier suivi E2E ${stamp}`;

describe("Suivi de l'envoi (Marie MARTIN, secrétariat)", () => {
  before(async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
  });

  it('shows what the delivery report says under a sent letter, and opens the report', async function () {
    this.timeout(180_000);
    await writeFromSecretariat({
      to: 'pierre.durand@ch-demo.mssante.fr',
      subject: LETTER,
      words: 'Bonjour Docteur,\n\nVoici le courrier, avec accusé de distribution.',
    });
    // Below the attachments, under the composer's fixed buttons: brought to the middle first
    // (a click on a hidden part of it is intercepted by the buttons' bar).
    await browser.execute(() => document.getElementById('compose-dsn')?.scrollIntoView({ block: 'center' }));
    await $('#compose-dsn').click();
    await $('#compose-body').click();
    await browser.keys(['Control', 'Enter']);
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });

    await folderButton('Envoyés').click();
    await expect(messageRow(LETTER)).toBeDisplayed({ wait: 30_000 });
    // The report comes back by mail: open the letter again until the reader shows it.
    await browser.waitUntil(
      async () => {
        await messageRow(LETTER).click();
        await expect($('.reader .subject')).toHaveText(LETTER, { wait: 10_000 });
        await browser.pause(1_000);
        const tracking = $('#reader-tracking');
        return (await tracking.isExisting()) && (await tracking.getText()).includes('à pierre.durand@ch-demo.mssante.fr');
      },
      { timeout: 90_000, interval: 2_000, timeoutMsg: 'no report under the sent letter' },
    );
    await expect($('#reader-tracking h3')).toHaveText("Suivi de l'envoi");
    await expect($('#reader-tracking .returned')).toHaveText(expect.stringMatching(/^(Distribué|Transmis) à pierre\.durand@ch-demo\.mssante\.fr.*, le /));
    await screenshot('tracking-delivered.png');

    await $('#reader-tracking .open-report').click();
    await expect($('#reader-report')).toHaveText(expect.stringContaining('à pierre.durand@ch-demo.mssante.fr'), { wait: 15_000 });
    await screenshot('tracking-report.png');
  });

  after(async () => {
    await signOut();
  });
});
