// Reading side (Ségur UX) in the real window: a message from a patient (Mon espace santé)
// whose subject carries `XDM/1.0/DDM+` and which closes the conversation shows, in the list,
// the Mon espace santé, DMP and « Close » markers with the subject without its prefix; in the reader,
// the patient's name and INS, « Conversation close ». The markers come from the engine side
// (relais_mail::SegurMarks); the window only renders them.
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { boxButton, folderButton, messageRow, screenshot, seedFolder, signInAs, signOut } from './helpers.mjs';

const MARIE = 'marie.martin@ch-demo.mssante.fr';
const FOLDER = 'Patients';
const DUBOIS = '285036444512379@patient.mssante.fr';
const SUBJECT = 'Compte rendu de ma prise de sang';

const raw = [
  `From: Camille DUBOIS <${DUBOIS}>`,
  `To: ${MARIE}`,
  `Subject: XDM/1.0/DDM+${SUBJECT}`,
  'Message-ID: <marks-1@patient.mssante.fr>',
  'X-MSS-MES: FIN',
  'Date: Sat, 05 Dec 2026 09:45:00 +0100',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Bonjour, voici mon compte rendu.',
  '',
].join('\r\n');

describe('Lecture Ségur : patient, Mon espace santé, conversation close, préfixe XDM', () => {
  const operatorDir = () => path.dirname(process.env.RELAIS_OPERATOR ?? '');

  after(async () => {
    const run = path.join(import.meta.dirname, '../../operator/run');
    try {
      execFileSync(run, ['doveadm', '--dir', operatorDir(), '--', 'mailbox', 'delete', '-u', MARIE, '-s', FOLDER], { stdio: 'pipe' });
    } catch (error) {
      console.log(`[marks] could not delete the ${FOLDER} folder: ${error.stderr ?? error}`);
    }
    await signOut();
  });

  it('shows the markers in the list and the patient in the reader', async function () {
    this.timeout(180_000);
    // Bytes: the Maildir file name carries the size in bytes.
    seedFolder(operatorDir(), MARIE, FOLDER, [{ raw: Buffer.from(raw, 'utf8') }]);
    await signInAs('Marie MARTIN');
    await $('button=Relever le courrier').click();
    await boxButton('Marie MARTIN').click();
    const folder = folderButton(FOLDER);
    await folder.waitForDisplayed({ timeout: 45_000, timeoutMsg: 'the folder never appeared' });
    await browser.waitUntil(
      async () => {
        if (await messageRow(SUBJECT).isDisplayed()) return true;
        await $('button=Relever le courrier').click();
        await folderButton(FOLDER).click();
        return false;
      },
      { timeout: 90_000, interval: 5_000, timeoutMsg: 'the seeded message was never listed' },
    );
    const row = messageRow(SUBJECT);
    const rowText = await row.getText();
    expect(rowText).toContain('Mon espace santé');
    expect(rowText).toContain('DMP');
    expect(rowText).not.toContain('XDM/1.0/DDM+');
    // X-MSS-MES: FIN, read at sync time with the list's other headers.
    expect(await row.$('.mark.closed').getText()).toBe('Close');
    await row.click();
    await $('#reader-marks').waitForDisplayed({ timeout: 15_000, timeoutMsg: 'no markers in the reader' });
    expect(await $('.reader .subject').getText()).toBe(SUBJECT);
    expect(await $('#mark-mes').getText()).toBe('Message du patient (Mon espace santé)');
    expect(await $('#mark-patient').getText()).toBe('Patient : Camille DUBOIS — INS 285036444512379');
    expect(await $('#mark-closed').getText()).toBe('Conversation close');
    await screenshot('segur-marks.png');
  });
});
