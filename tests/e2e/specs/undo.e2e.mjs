// Undo send in the real window, against the real local operator: with a delay set in the
// settings, a sent letter waits with « Annuler l'envoi » offered; undone, it comes back into
// the composer and nothing reached the server; sent again, it leaves by itself once the
// delay is over and shows in Envoyés. The delay is set back to 0 for the specs after.
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
const LETTER = `Convocation annulable E2E ${stamp}`;

/** Sets the undo-send delay in the settings. */
async function setUndoDelay(seconds) {
  await $('button=Paramètres').click();
  const dialog = $('.settings');
  await expect(dialog).toBeDisplayed();
  await $('#settings-undo-send').setValue(String(seconds));
  await $('button=Enregistrer').click();
  await expect(dialog.$('.saved')).toHaveText('Paramètres enregistrés.', { wait: 10_000 });
  await dialog.$('button=Fermer').click();
  await dialog.waitForExist({ reverse: true, timeout: 5_000 });
}

describe("Annuler l'envoi (Marie MARTIN, secrétariat)", () => {
  before(async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
    await setUndoDelay(8);
  });

  it('brings a held letter back into the composer before anything left', async () => {
    await writeFromSecretariat({
      to: 'pierre.durand@ch-demo.mssante.fr',
      subject: LETTER,
      words: 'Madame,\n\nVous êtes convoquée le 12 janvier.',
    });
    await $('#compose-body').click();
    await browser.keys(['Control', 'Enter']);
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });

    await waitForNotice('Message envoyé dans');
    const undo = $('.notice').$("button=Annuler l'envoi");
    await expect(undo).toBeDisplayed();
    await screenshot('undo-send-offered.png');
    await undo.click();

    await $('.composer').waitForDisplayed({ timeout: 15_000 });
    await expect($('#compose-subject')).toHaveValue(LETTER, { wait: 10_000 });
    expect(await $('#compose-body').getValue()).toContain('Vous êtes convoquée le 12 janvier.');
    await expect($('#compose-to').parentElement().$('.chip*=pierre.durand@ch-demo.mssante.fr')).toBeDisplayed();
    await waitForNotice('Envoi annulé');
    await screenshot('undo-send-recalled.png');
    await $('.composer').$('button=Fermer (brouillon conservé)').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 10_000 });

    // Past the delay, still nothing in Envoyés: it never left.
    await browser.pause(9_000);
    await folderButton('Envoyés').click();
    await $('.scroller div.row').waitForDisplayed({ timeout: 20_000 });
    expect(await messageRow(LETTER).isExisting()).toBe(false);
  });

  it('is among the drafts; sent again, it leaves by itself once the delay is over', async () => {
    await folderButton('Brouillons').click();
    const line = $('.local-drafts').$(`li*=${LETTER}`);
    await expect(line).toBeDisplayed({ wait: 15_000 });
    await line.$('button.resume').click();
    await $('.composer').waitForDisplayed({ timeout: 15_000 });
    await expect($('#compose-subject')).toHaveValue(LETTER, { wait: 10_000 });
    await $('#compose-body').click();
    await browser.keys(['Control', 'Enter']);
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });
    await waitForNotice('Message envoyé dans');
    await folderButton('Envoyés').click();
    await expect(messageRow(LETTER)).toBeDisplayed({ wait: 40_000 });
  });

  after(async () => {
    await setUndoDelay(0);
    await signOut();
  });
});
