// Drafts in the real window, against the real local operator: a letter started in the
// secretariat and closed with « Fermer (brouillon conservé) » is listed in Brouillons,
// reopened with « Reprendre le brouillon », finished and sent (it leaves Brouillons and shows
// in Envoyés); a note without a recipient, kept on this computer only, is listed above the
// folder, reopened, then thrown away.
import {
  SECRETARIAT,
  boxButton,
  folderButton,
  messageRow,
  screenshot,
  signInAs,
  signOut,
  waitForNotice,
  writeFromSecretariat,
} from './helpers.mjs';

const stamp = new Date().toISOString().slice(11, 19);
const LETTER = `Courrier de sortie E2E ${stamp}`;
const NOTE = `Note à compléter E2E ${stamp}`;

/** Writes in the composer, waits for the autosave, then « Fermer (brouillon conservé) ». */
async function writeAndKeep(subject, recipient) {
  await writeFromSecretariat({ to: recipient, subject, words: 'Cher confrère,\n\nVoici le courrier de sortie.' });
  await expect($('.draft-state')).toHaveText(expect.stringContaining('Brouillon enregistré'), { wait: 15_000 });
  await $('.composer').$('button=Fermer (brouillon conservé)').click();
  await $('.composer').waitForExist({ reverse: true, timeout: 10_000 });
}

describe('Brouillons (Marie MARTIN, secrétariat)', () => {
  before(async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
  });

  it('lists a kept letter in Brouillons, reopens it, and sends it', async () => {
    await writeAndKeep(LETTER, 'pierre.durand@ch-demo.mssante.fr');
    await folderButton('Brouillons').click();
    await expect(messageRow(LETTER)).toBeDisplayed({ wait: 20_000 });
    await messageRow(LETTER).click();
    const resume = $('.reader-resume-draft');
    await expect(resume).toBeDisplayed({ wait: 15_000 });
    await screenshot('draft-listed.png');
    await resume.click();

    await $('.composer').waitForDisplayed({ timeout: 15_000 });
    await expect($('#compose-subject')).toHaveValue(LETTER, { wait: 10_000 });
    const body = await $('#compose-body').getValue();
    expect(body).toContain('Voici le courrier de sortie.');
    // The signature was saved with the words: it is not added a second time.
    expect(body.split('pour le Secrétariat de cardiologie').length).toBe(2);
    await expect($('#compose-to').parentElement().$('.chip*=pierre.durand@ch-demo.mssante.fr')).toBeDisplayed();
    await screenshot('draft-resumed.png');

    await $('#compose-body').click();
    await browser.keys(['Control', 'Enter']);
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });
    // Sent: its copy leaves the Drafts folder, and it shows in Envoyés.
    await messageRow(LETTER).waitForExist({ reverse: true, timeout: 20_000 });
    await folderButton('Envoyés').click();
    await expect(messageRow(LETTER)).toBeDisplayed({ wait: 20_000 });
  });

  it('lists a note kept on this computer, reopens it and throws it away', async () => {
    await writeAndKeep(NOTE, null);
    await folderButton('Brouillons').click();
    const local = $('.local-drafts');
    await expect(local).toBeDisplayed({ wait: 15_000 });
    await expect(local.$('h2')).toHaveText('Sur cet ordinateur seulement');
    const line = local.$(`li*=${NOTE}`);
    await expect(line).toBeDisplayed();
    await expect(line).toHaveText(expect.stringContaining('sans destinataire'));
    await screenshot('drafts-local.png');

    await line.$('button.resume').click();
    await $('.composer').waitForDisplayed({ timeout: 15_000 });
    await expect($('#compose-subject')).toHaveValue(NOTE, { wait: 10_000 });
    await $('.composer').$('button=Fermer (brouillon conservé)').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 10_000 });

    await $('.local-drafts').$(`li*=${NOTE}`).$('button.discard').click();
    await waitForNotice('Brouillon supprimé.');
    await $('.local-drafts').waitForExist({ reverse: true, timeout: 10_000 });
  });

  after(async () => {
    await signOut();
  });
});
