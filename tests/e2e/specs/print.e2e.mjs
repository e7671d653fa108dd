// Taking a message out of Relais, in the real window: « Tout enregistrer » writes every
// attachment into the download folder, « Exporter (.eml) » the message's exact bytes, and
// « Imprimer » (or Ctrl+P) asks the system print dialog, which also saves as PDF. The
// dialog itself is GTK's and modal: the test records the call instead of opening it.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { artifactsDir } from '../wdio.conf.mjs';
import { boxButton, folderButton, messageRow, screenshot, seedFolder, signInAs, signOut, waitForNotice } from './helpers.mjs';

const MARIE = 'marie.martin@ch-demo.mssante.fr';
const FOLDER = 'Impression';
const SUBJECT = 'Dossier de M. BLANC — deux pièces';
const outDir = path.join(artifactsDir, 'exports');

function twoAttachments() {
  return [
    'From: =?utf-8?q?Dr_Jacques_LEROY?= <jacques.leroy@cardio-pau.mssante.fr>',
    `To: ${MARIE}`,
    `Subject: =?utf-8?q?Dossier_de_M=2E_BLANC_=E2=80=94_deux_pi=C3=A8ces?=`,
    'Message-ID: <print-two-parts@cardio-pau.mssante.fr>',
    'Date: Thu, 03 Dec 2026 09:15:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="deux-pieces"',
    '',
    '--deux-pieces',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Bonjour, voici le courrier et l’ECG de M. BLANC.',
    '',
    '--deux-pieces',
    'Content-Type: application/pdf; name="Courrier BLANC.pdf"',
    'Content-Disposition: attachment; filename="Courrier BLANC.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4\n% courrier\n%%EOF\n').toString('base64'),
    '',
    '--deux-pieces',
    'Content-Type: text/plain; name="ECG BLANC.txt"',
    'Content-Disposition: attachment; filename="ECG BLANC.txt"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('Rythme sinusal, 64/min.\n').toString('base64'),
    '',
    '--deux-pieces--',
    '',
  ].join('\r\n');
}

describe('Imprimer, exporter, tout enregistrer (Marie MARTIN)', () => {
  const operatorDir = () => path.dirname(process.env.RELAIS_OPERATOR ?? '');

  before(async function () {
    this.timeout(120_000);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    seedFolder(operatorDir(), MARIE, FOLDER, [{ raw: Buffer.from(twoAttachments(), 'utf8') }]);
    await signInAs('Marie MARTIN');
    // The download folder of this run.
    await $('button=Paramètres').click();
    await $('#settings-downloads').setValue(outDir);
    await $('button=Enregistrer').click();
    await expect($('.settings .saved')).toHaveText('Paramètres enregistrés.', { wait: 10_000 });
    await $('.settings').$('button=Fermer').click();

    await $('button=Relever le courrier').click();
    await boxButton('Marie MARTIN').click();
    const folder = folderButton(FOLDER);
    await folder.waitForDisplayed({ timeout: 45_000, timeoutMsg: 'the folder never appeared' });
    await folder.click();
    await messageRow(SUBJECT).waitForDisplayed({ timeout: 20_000 });
    await messageRow(SUBJECT).click();
    await expect($('.reader .subject')).toHaveText(SUBJECT, { wait: 15_000 });
  });

  after(async () => {
    const run = path.join(import.meta.dirname, '../../operator/run');
    try {
      execFileSync(run, ['doveadm', '--dir', operatorDir(), '--', 'mailbox', 'delete', '-u', MARIE, '-s', FOLDER], { stdio: 'pipe' });
    } catch (error) {
      console.log(`[print] could not delete the ${FOLDER} folder: ${error.stderr ?? error}`);
    }
    await signOut();
  });

  it('saves every attachment at once', async () => {
    await screenshot('reader-export-actions.png');
    await $('.reader-save-all').click();
    await waitForNotice('2 pièces jointes enregistrées dans');
    expect(fs.readFileSync(path.join(outDir, 'Courrier BLANC.pdf'), 'utf8')).toContain('%PDF-1.4');
    expect(fs.readFileSync(path.join(outDir, 'ECG BLANC.txt'), 'utf8')).toBe('Rythme sinusal, 64/min.\n');
  });

  it('says plainly when a PDF cannot be drawn', async () => {
    // « Courrier BLANC.pdf » starts like a PDF but holds no document.
    await $('button[aria-label="Aperçu de Courrier BLANC.pdf"]').click();
    await expect($('.preview [role="alert"]')).toHaveText(
      '« Courrier BLANC.pdf » ne peut pas être affiché ici (document illisible ou protégé) : ouvrez-le avec le système.',
      { wait: 20_000 },
    );
    await $('.preview').$("button=Fermer l'aperçu").click();
  });

  it('exports the message as .eml, byte for byte', async () => {
    await $('.reader-export').click();
    await waitForNotice('Message exporté');
    const eml = fs.readdirSync(outDir).find((name) => name.endsWith('.eml'));
    expect(eml).toBe(`${SUBJECT}.eml`);
    const bytes = fs.readFileSync(path.join(outDir, eml)).toString('utf8');
    expect(bytes).toContain('Message-ID: <print-two-parts@cardio-pau.mssante.fr>');
    expect(bytes).toContain('--deux-pieces--');
  });

  it('prints the open message with « Imprimer » and Ctrl+P', async () => {
    await browser.execute(() => {
      window.__printed = 0;
      window.print = () => {
        window.__printed += 1;
      };
    });
    await $('.reader-print').click();
    await browser.keys(['Control', 'p']);
    await browser.waitUntil(async () => (await browser.execute(() => window.__printed)) === 2, {
      timeout: 5_000,
      timeoutMsg: 'the print dialog was not asked for twice',
    });
  });
});
