// Shared steps of the specs. `browser`, `$` and `expect` are WebdriverIO globals.
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
