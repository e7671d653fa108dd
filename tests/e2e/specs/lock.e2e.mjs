// The inactivity lock (RELAIS_LOCK_SECONDS=3): the window hides every message and asks
// Marie to sign in again; then the session resumed at start-up (the account and its
// secret in the keyring open the mailbox without the sign-in screen).
import fs from 'node:fs';
import path from 'node:path';
import { PASSWORD, SECRETARIAT, boxButton, screenshot, signInAs, signOut, waitForMailbox } from './helpers.mjs';

const launcher = new URL('../launch-with-env', import.meta.url).pathname;

/** Restarts the app, with `env` (NAME=VALUE strings) for this launch. */
async function relaunch(env = []) {
  await browser.reloadSession({
    'tauri:options': env.length > 0 ? { application: launcher, args: env } : { application: process.env.RELAIS_APP },
    'wdio:enforceWebDriverClassic': true,
  });
}

describe('Verrouillage après inactivité et reprise de session', () => {
  before(async () => {
    await relaunch(['RELAIS_LOCK_SECONDS=3']);
    await $('#signin-title').waitForExist({ timeout: 45_000 });
  });

  it('locks after 3 s without input and removes the mail from the page', async () => {
    await signInAs('Marie MARTIN');
    await expect(boxButton(SECRETARIAT)).toBeExisting();
    const started = Date.now();
    await $('.lock').waitForDisplayed({ timeout: 20_000, timeoutMsg: 'the window never locked' });
    const lockedAfter = (Date.now() - started) / 1000;
    console.log(`[lock] locked ${lockedAfter.toFixed(1)} s after the mailbox showed`);
    await expect($('h1')).toHaveText('Session verrouillée');
    await expect($('.lock')).toHaveText(expect.stringContaining('Marie MARTIN'), { wait: 10_000 });
    // Nothing of the mailbox is left in the page, not even hidden.
    expect(await $('nav.rail').isExisting()).toBe(false);
    expect(await $('.scroller').isExisting()).toBe(false);
    const html = await browser.execute(() => document.documentElement.outerHTML);
    for (const text of ['Congés de fin', 'Adressage', 'GARCIA', 'La lettre du GHT', SECRETARIAT]) {
      expect(html).not.toContain(text);
    }
    await screenshot('lock.png');

    // Behind the lock screen the back end refuses every command that reads mail, whoever
    // calls it (here the page itself, as a script in the window would).
    const refusals = await browser.executeAsync((done) => {
      const invoke = window.__TAURI_INTERNALS__.invoke;
      const calls = [
        ['list_messages', { boxAddress: 'secretariat.cardio@ch-demo.mssante.fr', folder: 'INBOX', offset: 0, limit: 10 }],
        ['get_message', { id: 1 }],
        ['search', { request: { text: 'GARCIA', box_address: null, folder: null, unread_only: false, since: null, until: null }, offset: 0, limit: 10 }],
        ['session_info', {}],
      ];
      Promise.all(
        calls.map(([name, args]) =>
          invoke(name, args).then(
            () => ({ name, code: 'answered' }),
            (error) => ({ name, code: error && error.code ? error.code : String(error) }),
          ),
        ),
      ).then(done);
    });
    console.log(`[lock] while locked: ${JSON.stringify(refusals)}`);
    for (const refusal of refusals) expect(refusal).toEqual({ name: refusal.name, code: 'locked' });
  });

  it('refuses a wrong password, then unlocks with hers', async () => {
    await $('#lock-password').setValue('pas-le-bon');
    await $('button=Déverrouiller').click();
    await expect($('.lock .problem')).toBeDisplayed({ wait: 20_000 });
    await expect($('.lock')).toBeDisplayed();
    await $('#lock-password').setValue(PASSWORD);
    await $('button=Déverrouiller').click();
    await waitForMailbox();
    await expect($('.person')).toHaveText('Connecté(e) : Marie MARTIN');
  });

  it('opens the mailbox directly at the next start (session resumed)', async () => {
    const started = Date.now();
    await relaunch();
    await waitForMailbox();
    console.log(`[resume] mailbox ${((Date.now() - started) / 1000).toFixed(1)} s after the relaunch`);
    expect(await $('#signin-title').isExisting()).toBe(false);
    await expect($('.person')).toHaveText('Connecté(e) : Marie MARTIN');
    await expect(boxButton(SECRETARIAT)).toBeDisplayed();
    await screenshot('resume.png');
    await signOut();
  });

  it('forgets the account at sign-out, so the next start shows the sign-in screen', () => {
    // Checked on disk: relaunching right after a sign-out races the old window's exit.
    const account = path.join(process.env.RELAIS_PROFILE_DIR, 'account.json');
    expect(fs.existsSync(account)).toBe(false);
  });
});
