// Sign-in with e-CPS through the Pro Santé Connect stand-in. With an identifier typed,
// the provider's CIBA flow approves the test e-CPS at once: no browser is needed.
import { SECRETARIAT, boxButton, screenshot, signOut, unreadOf, waitForMailbox } from './helpers.mjs';

describe('Connexion e-CPS (CIBA)', () => {
  it('signs Marie MARTIN in with her e-CPS and lists her boxes', async () => {
    await $('#login').setValue('marie.martin');
    await $('button=Se connecter avec e-CPS').click();
    await waitForMailbox();
    await expect($('.person')).toHaveText('Connecté(e) : Marie MARTIN');
    await expect(boxButton('Marie MARTIN')).toBeDisplayed();
    await expect(boxButton(SECRETARIAT)).toBeDisplayed();
    await browser.waitUntil(async () => (await unreadOf(SECRETARIAT)) > 0, { timeout: 45_000 });
    await screenshot('ecps-boxes.png');
    await signOut();
  });

  it('signs in with the national identifier too', async () => {
    await $('#login').setValue('810100000041');
    await $('button=Se connecter avec e-CPS').click();
    await waitForMailbox();
    await expect(boxButton(SECRETARIAT)).toBeDisplayed();
    await signOut();
  });
});
