// The inactivity lock (RELAIS_LOCK_SECONDS=3): the window hides every message and asks
// Marie to sign in again; then the session resumed at start-up, which opens behind the lock
// screen (a restart after a lock or a kill never shows the mail without her password); and
// a sign-out that would destroy a message still waiting in the outbox, refused until she
// confirms.
import fs from 'node:fs';
import path from 'node:path';
import { PASSWORD, SECRETARIAT, addRecipient, boxButton, openComposer, screenshot, signInAs, signOut, waitForMailbox, profileWithoutSubmission } from './helpers.mjs';

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

  it('opens on the lock screen at the next start, and shows the mail only after her password', async () => {
    const started = Date.now();
    await relaunch();
    await $('.lock').waitForDisplayed({ timeout: 45_000, timeoutMsg: 'the restarted app did not open locked' });
    console.log(`[resume] lock screen ${((Date.now() - started) / 1000).toFixed(1)} s after the relaunch`);
    await expect($('.lock')).toHaveText(expect.stringContaining('Relais a redémarré'));
    await expect($('.lock')).toHaveText(expect.stringContaining('Marie MARTIN'), { wait: 10_000 });
    expect(await $('#signin-title').isExisting()).toBe(false);
    expect(await $('nav.rail').isExisting()).toBe(false);
    // The engine itself refuses to read mail: the lock is not only the window's.
    const refusal = await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__
        .invoke('list_messages', { boxAddress: 'secretariat.cardio@ch-demo.mssante.fr', folder: 'INBOX', offset: 0, limit: 10 })
        .then(
          () => done('answered'),
          (error) => done(error && error.code ? error.code : String(error)),
        );
    });
    expect(refusal).toBe('locked');
    await screenshot('resume-locked.png');
    await $('#lock-password').setValue(PASSWORD);
    await $('button=Déverrouiller').click();
    await waitForMailbox();
    await expect($('.person')).toHaveText('Connecté(e) : Marie MARTIN');
    await expect(boxButton(SECRETARIAT)).toBeDisplayed();
    // What says an account is here: written at sign-in, nothing personal in it.
    const record = path.join(process.env.RELAIS_PROFILE_DIR, 'signed-in.json');
    expect(fs.existsSync(record)).toBe(true);
    expect(fs.readFileSync(record, 'utf8')).not.toContain('MARTIN');
    await signOut();
  });

  it('forgets the account at sign-out, so the next start shows the sign-in screen', () => {
    // Checked on disk: relaunching right after a sign-out races the old window's exit.
    const account = path.join(process.env.RELAIS_PROFILE_DIR, 'signed-in.json');
    expect(fs.existsSync(account)).toBe(false);
  });
});

describe('Déconnexion avec un message en attente', () => {
  before(async () => {
    await relaunch([`RELAIS_OPERATOR=${profileWithoutSubmission('no-submission')}`]);
    await $('#signin-title').waitForExist({ timeout: 45_000 });
    await signInAs('Marie MARTIN');
  });

  it('keeps the queued message when she stays, and destroys it only when she confirms', async () => {
    await openComposer();
    await addRecipient('#compose-to', 'pierre.durand@ch-demo.mssante.fr');
    await $('#compose-subject').setValue('Attend le retour du réseau');
    await $('button=Envoyer').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });
    await expect($('.status-bar .outbox')).toHaveText(expect.stringContaining('1'), { wait: 15_000 });

    await $('button=Se déconnecter').click();
    const dialog = $('.signout-blocked');
    await expect(dialog).toBeDisplayed({ wait: 15_000 });
    await expect(dialog).toHaveText(expect.stringContaining("1 message attend encore dans la boîte d'envoi"));
    await expect(dialog).toHaveText(expect.stringContaining("Rien n'a été effacé"));
    await screenshot('signout-blocked.png');
    await $('button=Rester connecté(e)').click();
    await expect(dialog).not.toBeExisting();
    await waitForMailbox();
    const outbox = await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__.invoke('outbox', {}).then(done, (e) => done(String(e && e.code)));
    });
    expect(outbox.length).toBe(1);
    expect(outbox[0].subject).toBe('Attend le retour du réseau');

    await $('button=Se déconnecter').click();
    await expect(dialog).toBeDisplayed({ wait: 15_000 });
    await $('button=Supprimer ces envois et se déconnecter').click();
    await expect($('h1')).toHaveText('Relais — messagerie sécurisée de santé', { wait: 20_000 });
  });
});
