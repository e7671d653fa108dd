// The outbox panel: a message that could not leave (the submission server does not answer)
// is listed with its reason in plain French and when Relais tries again by itself; « Envoyer
// maintenant » tries at once and says why it still waits; « Supprimer » asks first.
import { addRecipient, openComposer, screenshot, signInAs, signOut, profileWithoutSubmission } from './helpers.mjs';

const launcher = new URL('../launch-with-env', import.meta.url).pathname;

describe("La boîte d'envoi", () => {
  before(async () => {
    await browser.reloadSession({
      'tauri:options': { application: launcher, args: [`RELAIS_OPERATOR=${profileWithoutSubmission('outbox-e2e')}`] },
      'wdio:enforceWebDriverClassic': true,
    });
    await $('#signin-title').waitForExist({ timeout: 45_000 });
    await signInAs('Marie MARTIN');
  });

  it('lists the waiting message with its reason and next attempt, sends now, deletes after a confirmation', async () => {
    await openComposer();
    await addRecipient('#compose-to', 'pierre.durand@ch-demo.mssante.fr');
    await $('#compose-subject').setValue('Compte rendu en attente');
    await $('button=Envoyer').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });

    await $('.status-bar .open-outbox').waitForDisplayed({ timeout: 15_000 });
    await $('.status-bar .open-outbox').click();
    const row = $('.outbox-panel .outbox-row');
    await expect(row).toBeDisplayed({ wait: 10_000 });
    await expect(row.$('.subject')).toHaveText('Compte rendu en attente');
    await expect(row.$('.state')).toHaveText(expect.stringContaining('Pas encore parti'));
    await expect(row.$('.state')).toHaveText(expect.stringMatching(/prochain essai à \d\d:\d\d/));
    await expect(row.$('.reason')).toHaveText(expect.stringContaining('injoignable'));
    await screenshot('outbox-panel.png');

    await row.$('button=Envoyer maintenant').click();
    await expect($('.outbox-panel .problem')).toHaveText(expect.stringContaining('injoignable'), { wait: 15_000 });
    await expect($('.outbox-panel .outbox-row')).toBeDisplayed();

    await $('.outbox-panel .outbox-row').$('button=Supprimer').click();
    await expect($('.outbox-panel .outbox-row .remove')).toHaveText("Confirmer : ne jamais l'envoyer");
    await $('.outbox-panel .outbox-row .remove').click();
    await expect($('.outbox-panel .empty')).toBeDisplayed({ wait: 10_000 });
    await $('.outbox-panel').$('button=Fermer').click();
    await expect($('.status-bar .outbox')).toHaveText("Boîte d'envoi vide", { wait: 10_000 });
    // Nothing waits any more: sign-out goes through without asking.
    await signOut();
  });
});
