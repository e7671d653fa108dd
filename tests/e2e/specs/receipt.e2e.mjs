// ECO.3.1.6 in the real window: a received message that asks for a read receipt
// (Disposition-Notification-To) shows « L'expéditeur demande un accusé de lecture » with
// « Envoyer l'accusé » / « Ne pas envoyer »; nothing is sent on its own, and the choice is
// remembered for that message (opening it again shows the choice, not the question).
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { boxButton, folderButton, messageRow, screenshot, seedFolder, signInAs, signOut } from './helpers.mjs';

const MARIE = 'marie.martin@ch-demo.mssante.fr';
// A box no other spec reads: the receipt lands there.
const ASKER = 'helene.roux@cabinet-vignes.mssante.fr';
const FOLDER = 'Accuses';

function asking(subject, id) {
  return [
    `From: =?utf-8?q?H=C3=A9l=C3=A8ne_ROUX?= <${ASKER}>`,
    `To: ${MARIE}`,
    `Subject: ${subject}`,
    `Message-ID: <${id}@cabinet-vignes.mssante.fr>`,
    `Disposition-Notification-To: ${ASKER}`,
    'Date: Sat, 05 Dec 2026 09:30:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Bonjour, merci de me confirmer la lecture de ce courrier.',
    '',
  ].join('\r\n');
}

const bar = () => $('#reader-receipt');
const done = () => $('#reader-receipt-done');

/** Waits until `subject` is listed in the folder, asking for a synchronisation meanwhile. */
async function listed(subject) {
  await browser.waitUntil(
    async () => {
      if (await messageRow(subject).isDisplayed()) return true;
      await $('button=Relever le courrier').click();
      await folderButton(FOLDER).click();
      return false;
    },
    { timeout: 90_000, interval: 5_000, timeoutMsg: `« ${subject} » was never listed` },
  );
}

async function open(subject) {
  await listed(subject);
  await messageRow(subject).click();
  await browser.waitUntil(async () => (await $('.reader .subject').getText()).includes(subject), {
    timeout: 15_000,
    timeoutMsg: `« ${subject} » never opened`,
  });
}

describe('Accusé de lecture demandé : proposé, jamais automatique, choix retenu (ECO.3.1.6)', () => {
  const operatorDir = () => path.dirname(process.env.RELAIS_OPERATOR ?? '');

  after(async () => {
    const run = path.join(import.meta.dirname, '../../operator/run');
    try {
      execFileSync(run, ['doveadm', '--dir', operatorDir(), '--', 'mailbox', 'delete', '-u', MARIE, '-s', FOLDER], { stdio: 'pipe' });
    } catch (error) {
      console.log(`[receipt] could not delete the ${FOLDER} folder: ${error.stderr ?? error}`);
    }
    await signOut();
  });

  it('shows the request bar with its two choices', async function () {
    this.timeout(120_000);
    seedFolder(operatorDir(), MARIE, FOLDER, [
      // Bytes: the Maildir file name carries the size in bytes (S=), not in characters.
      { raw: Buffer.from(asking('Courrier à confirmer', 'receipt-send'), 'utf8') },
      { raw: Buffer.from(asking('Courrier sans accusé', 'receipt-decline'), 'utf8') },
    ]);
    await signInAs('Marie MARTIN');
    await $('button=Relever le courrier').click();
    await boxButton('Marie MARTIN').click();
    const folder = folderButton(FOLDER);
    await folder.waitForDisplayed({ timeout: 45_000, timeoutMsg: 'the folder never appeared' });
    await folder.click();
    await open('Courrier à confirmer');
    await bar().waitForDisplayed({ timeout: 10_000, timeoutMsg: 'no read-receipt bar' });
    expect(await bar().getText()).toContain("L'expéditeur demande un accusé de lecture");
    expect(await $('#receipt-send').getText()).toBe("Envoyer l'accusé");
    expect(await $('#receipt-decline').getText()).toBe('Ne pas envoyer');
    await screenshot('receipt-asked.png');
  });

  it('sends the receipt only on « Envoyer l\'accusé », then remembers it', async function () {
    this.timeout(60_000);
    await $('#receipt-send').click();
    await done().waitForDisplayed({ timeout: 20_000, timeoutMsg: 'no sent confirmation' });
    expect(await done().getText()).toBe('Accusé de lecture envoyé.');
    expect(await bar().isExisting()).toBe(false);
    await screenshot('receipt-sent.png');
  });

  it('does not send on « Ne pas envoyer », and the choice holds when the message is opened again', async function () {
    this.timeout(300_000);
    await open('Courrier sans accusé');
    await bar().waitForDisplayed({ timeout: 10_000 });
    await $('#receipt-decline').click();
    await done().waitForDisplayed({ timeout: 10_000 });
    expect(await done().getText()).toContain('non envoyé');
    // Elsewhere and back: the question is not asked again, for either message.
    await open('Courrier à confirmer');
    await done().waitForDisplayed({ timeout: 10_000 });
    expect(await done().getText()).toBe('Accusé de lecture envoyé.');
    await open('Courrier sans accusé');
    await done().waitForDisplayed({ timeout: 10_000 });
    expect(await done().getText()).toContain('non envoyé');
    expect(await bar().isExisting()).toBe(false);
  });
});
