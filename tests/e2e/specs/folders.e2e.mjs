// Filing mail in the real window, against the real local operator: a new folder in the
// secretariat, two letters chosen with the keyboard and moved with `v` and the type-ahead,
// the move undone from the notice, a letter dragged onto the folder and moved back from the
// reader, the folder renamed, then deleted after a confirmation. The special folders offer
// none of this. Everything is left as found (the specs share one operator).
import { SECRETARIAT, boxButton, folderButton, screenshot, signOut, signInAs, waitForNotice } from './helpers.mjs';

const FILED = 'Courriers classés';
const RENAMED = 'Archives cardio';

/** The subjects of the rows on screen, in order. */
async function subjects() {
  return browser.execute(() =>
    [...document.querySelectorAll('.scroller div.row')]
      .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
      .map((row) => row.querySelector('.subject')?.textContent?.trim() ?? ''),
  );
}

const rowAt = (index) => $(`.scroller div.row[data-index="${index}"]`);

/** The ⋯ menu of a folder of the rail. */
async function folderMenu(name) {
  const item = folderButton(name).parentElement();
  await item.$('button.more').click();
  return item.$('.menu');
}

describe('Classer le courrier dans des dossiers', () => {
  before(async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
    await rowAt(2).waitForDisplayed({ timeout: 30_000 });
  });

  it('creates a folder in the service box', async () => {
    // Special folders keep their names: no action menu beside them.
    await expect(folderButton('Envoyés').parentElement().$('button.more')).not.toBeExisting();
    await $('nav.rail').$('button.new-folder').click();
    await $('.folder-dialog .folder-name').setValue(FILED);
    await screenshot('folder-create.png');
    await $('.folder-dialog .folder-confirm').click();
    await expect(folderButton(FILED)).toBeDisplayed({ wait: 15_000 });
    await waitForNotice(`Dossier « ${FILED} » créé.`);
  });

  it('moves two letters chosen with the keyboard, with v and the type-ahead, then undoes it', async () => {
    const before = await subjects();
    const chosen = before.slice(0, 2);
    await rowAt(0).click();
    await browser.keys(['Shift', 'ArrowDown']);
    await expect($$('.scroller div.row.checked')).toBeElementsArrayOfSize(2);
    await browser.keys('v');
    await $('.move-dialog').waitForDisplayed({ timeout: 10_000 });
    await expect($('.move-dialog h2')).toHaveText('Déplacer 2 messages vers…');
    // Marie's own box is offered too, named with its box.
    await expect($('.move-dialog .choice[data-box="marie.martin@ch-demo.mssante.fr"]')).toHaveText(
      expect.stringContaining('Marie MARTIN — '),
    );
    await browser.keys(['c', 'l', 'a', 's']);
    await expect($('.move-dialog .choice.active')).toHaveText(FILED);
    await screenshot('move-dialog.png');
    await browser.keys('Enter');
    await waitForNotice(`2 messages déplacés vers « ${FILED} ».`);
    await browser.waitUntil(async () => !(await subjects()).includes(chosen[0]), {
      timeout: 15_000,
      timeoutMsg: 'the moved letters stayed in the inbox',
    });
    expect(await subjects()).not.toContain(chosen[1]);
    await screenshot('move-done.png');

    await $('.notice').$('button=Annuler').click();
    await waitForNotice('Déplacement annulé.');
    await browser.waitUntil(async () => {
      const now = await subjects();
      return now.includes(chosen[0]) && now.includes(chosen[1]);
    }, { timeout: 15_000, timeoutMsg: 'the undone move did not bring the letters back' });
  });

  it("drags a letter onto Marie's own box, then undoes it", async () => {
    await folderButton('Boîte de réception').click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 15_000 });
    await rowAt(1).waitForDisplayed({ timeout: 15_000 });
    const subject = (await subjects())[1];
    await browser.execute(() => {
      const row = document.querySelector('.scroller div.row[data-index="1"]');
      const target = [...document.querySelectorAll('nav.rail button.box')].find((b) =>
        b.textContent.includes('Marie MARTIN'),
      );
      const data = new DataTransfer();
      row.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: data }));
      target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
      target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
    });
    await waitForNotice('Message déplacé vers « Marie MARTIN');
    await browser.waitUntil(async () => !(await subjects()).includes(subject), {
      timeout: 15_000,
      timeoutMsg: 'the letter stayed in the secretariat',
    });
    await screenshot('move-to-own-box.png');
    await $('.notice').$('button=Annuler').click();
    await waitForNotice('Déplacement annulé.');
    await browser.waitUntil(async () => (await subjects()).includes(subject), {
      timeout: 20_000,
      timeoutMsg: 'the undone move did not bring the letter back',
    });
  });

  it('drags a letter onto the folder, and moves it back from the reader', async () => {
    const subject = (await subjects())[2];
    // A drag as the webview delivers it: the row's dragstart fills the data, the folder takes the drop.
    await browser.execute((folderName) => {
      const row = document.querySelector('.scroller div.row[data-index="2"]');
      const target = [...document.querySelectorAll('nav.rail .folders button.folder')].find((b) =>
        b.textContent.includes(folderName),
      );
      const data = new DataTransfer();
      row.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: data }));
      target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
      target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
    }, FILED);
    await waitForNotice(`Message déplacé vers « ${FILED} ».`);
    await browser.waitUntil(async () => !(await subjects()).includes(subject), {
      timeout: 15_000,
      timeoutMsg: 'the dragged letter stayed in the inbox',
    });

    await folderButton(FILED).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(FILED), { wait: 15_000 });
    const row = $('.scroller').$(`div.row*=${subject}`);
    await row.waitForDisplayed({ timeout: 15_000 });
    await row.click();
    await $('.reader .reader-move').click();
    await $('.move-dialog').waitForDisplayed({ timeout: 10_000 });
    await browser.keys(['r', 'e', 'c', 'e', 'p']);
    await expect($('.move-dialog .choice.active')).toHaveText('Boîte de réception');
    await browser.keys('Enter');
    await waitForNotice('Message déplacé vers « Boîte de réception ».');
    await expect($('.scroller').$(`div.row*=${subject}`)).not.toBeExisting({ wait: 15_000 });
  });

  it('renames the folder, then deletes it after a confirmation', async () => {
    let menu = await folderMenu(FILED);
    await menu.$('button=Renommer…').click();
    await $('.folder-dialog .folder-name').setValue(RENAMED);
    await $('.folder-dialog .folder-confirm').click();
    await expect(folderButton(RENAMED)).toBeDisplayed({ wait: 15_000 });
    await expect(folderButton(FILED)).not.toBeExisting();

    menu = await folderMenu(RENAMED);
    await menu.$('button=Supprimer…').click();
    await expect($('.folder-dialog h2')).toHaveText(`Supprimer le dossier « ${RENAMED} » ?`);
    await expect($('.folder-dialog .warning')).toHaveText(expect.stringContaining('ne peut pas être annulée'));
    await screenshot('folder-delete.png');
    await $('.folder-dialog .folder-confirm').click();
    await expect(folderButton(RENAMED)).not.toBeExisting({ wait: 15_000 });
    await waitForNotice(`Dossier « ${RENAMED} » supprimé.`);
    await signOut();
  });
});
