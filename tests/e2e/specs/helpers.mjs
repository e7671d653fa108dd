// Shared steps of the specs. `browser`, `$` and `expect` are WebdriverIO globals.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { artifactsDir } from '../wdio.conf.mjs';

export const PASSWORD = 'relais-demo';
export const SECRETARIAT = 'Secrétariat de cardiologie';

/** Saves a screenshot of the window into the artifacts folder. */
export const screenshot = (name) => browser.saveScreenshot(path.join(artifactsDir, name));

/** The box rail entry whose name contains `name`. */
export const boxButton = (name) => $('nav.rail').$(`button.box*=${name}`);

/** A row of the message list whose text contains `text`. */
export const messageRow = (text) => $('.scroller').$(`div.row*=${text}`);

/** A folder of the open box, in the rail. */
export const folderButton = (name) => $('nav.rail .folders').$(`button*=${name}`);

/** Waits until the mailbox screen is there (sign-in done). */
export async function waitForMailbox() {
  await $('nav.rail').waitForDisplayed({ timeout: 45_000 });
}

/** The unread count shown on a box of the rail, or 0 when it shows none. */
export async function unreadOf(name) {
  const count = boxButton(name).$('.count');
  if (!(await count.isExisting())) return 0;
  return Number((await count.getText()).trim());
}

/** Signs out from the mailbox and waits for the sign-in screen. */
export async function signOut() {
  await $('button=Se déconnecter').click();
  await expect($('h1')).toHaveText('Relais — messagerie sécurisée de santé', { wait: 20_000 });
}

/** The `src` of every image inside the reader's sandboxed message frame. */
export async function frameImageSources() {
  const frame = await $('iframe.html');
  await browser.switchToFrame(frame);
  try {
    return await browser.execute(() => [...document.images].map((img) => img.getAttribute('src') ?? ''));
  } finally {
    await browser.switchToParentFrame();
  }
}

export const MARIE_SECRETARIAT = 'secretariat.cardio@ch-demo.mssante.fr';

/** Signs in from the sign-in screen with a demo persona's password. */
export async function signInAs(persona) {
  await $(`button.persona*=${persona}`).click();
  await $('#password').setValue(PASSWORD);
  await $('button=Se connecter').click();
  await waitForMailbox();
}

/**
 * Sets an input's value as typing would (an `input` event), for fields whose native
 * widget WebDriver cannot type into reliably (dates).
 */
export async function setFieldValue(selector, value) {
  await browser.execute(
    (sel, val) => {
      const el = document.querySelector(sel);
      const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set;
      setter.call(el, val);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    selector,
    value,
  );
}

/** Opens the composer with « Nouveau message » and waits for it. */
export async function openComposer() {
  await $('button=Nouveau message').click();
  await $('.composer').waitForDisplayed({ timeout: 15_000 });
  // The signature of the From box arrives with the composer.
  await browser.waitUntil(async () => (await $('#compose-body').getValue()).trim().length > 0, { timeout: 10_000 });
}

/**
 * Opens the composer and writes a letter from the secretariat: recipient (none when
 * `null`), subject, and `words` above the box's signature.
 */
export async function writeFromSecretariat({ to, subject, words }) {
  await openComposer();
  await $('#compose-from').selectByAttribute('value', MARIE_SECRETARIAT);
  if (to) await addRecipient('#compose-to', to);
  await $('#compose-subject').setValue(subject);
  const signature = (await $('#compose-body').getValue()).trim();
  await setFieldValue('#compose-body', `${words}\n\n${signature}\n`);
}

/** Adds a recipient by typing it and Enter. */
export async function addRecipient(field, address) {
  await $(field).setValue(address);
  await browser.keys('Enter');
  await expect($(field).parentElement().$(`.chip*=${address}`)).toBeDisplayed();
}

/**
 * Chooses a file in the composer's file dialog: WebDriver types the path into the file
 * input (shown for the moment: the person uses the « Joindre des fichiers… » button).
 */
export async function attachFile(filePath) {
  await browser.execute(() => {
    const input = document.getElementById('compose-files');
    input.classList.remove('visually-hidden');
    input.removeAttribute('aria-hidden');
  });
  await $('#compose-files').setValue(filePath);
  await browser.execute(() => {
    const input = document.getElementById('compose-files');
    input.classList.add('visually-hidden');
    input.setAttribute('aria-hidden', 'true');
  });
}

/** Waits for the notice (the toast) to say `text`; it is re-rendered as news comes in. */
export async function waitForNotice(text, timeout = 15_000) {
  await browser.waitUntil(
    async () => ((await browser.execute(() => document.querySelector('.notice')?.textContent ?? '')) || '').includes(text),
    { timeout, timeoutMsg: `the notice never said « ${text} »` },
  );
}

/**
 * A copy of the operator profile whose submission port answers nothing (port 9 on loopback:
 * the connection is refused), beside the original so that its relative paths still hold.
 */
export function profileWithoutSubmission(name) {
  const real = process.env.RELAIS_OPERATOR;
  const text = fs.readFileSync(real, 'utf8');
  const submission = text.match(/\[submission\][^[]*?port = (\d+)/);
  if (!submission) throw new Error('no [submission] port in the operator profile');
  const broken = text.replace(submission[0], submission[0].replace(`port = ${submission[1]}`, 'port = 9'));
  const file = path.join(path.dirname(real), `operator-${name}.toml`);
  fs.writeFileSync(file, broken);
  return file;
}

/** Writes `messages` into `<operator>/mail/<domain>/<local>/Maildir/.<folder>/cur`, readable by Dovecot. */
export function seedFolder(operatorDir, address, folder, messages) {
  const [local, domain] = address.split('@');
  const maildir = path.join(operatorDir, 'mail', domain, local, 'Maildir');
  const dir = path.join(maildir, `.${folder}`);
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const stamp = Math.floor(Date.now() / 1000);
  messages.forEach((m, i) => {
    const file = path.join(dir, 'cur', `${stamp}.H${i}P${process.pid}.relais-hostile,S=${m.raw.length}:2,`);
    fs.writeFileSync(file, m.raw, { mode: 0o644 });
  });
  // As root the operator's servers run as `nobody`: they must own the new folder (indexes,
  // flag renames). As another user they already are that user.
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
    const own = (p) => {
      fs.chownSync(p, uid, gid);
      if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) own(path.join(p, e));
    };
    own(dir);
  }
  return dir;
}
