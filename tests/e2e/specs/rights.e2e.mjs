// Rights in the real window (RFC 4314), against the real local operator: Karim BENALI reads
// the secretariat with `lrs` only. The window offers him no delete, no move out, no « Suivi »,
// no new folder there, and no sending as the box; the Delete key says why. His own box, where
// he holds every right, offers all of it.
import { SECRETARIAT, boxButton, openComposer, screenshot, signOut, signInAs, waitForNotice } from './helpers.mjs';

const rowAt = (index) => $(`.scroller div.row[data-index="${index}"]`);

/** Opens the first message; says whether it was unread (opening marks it read, for the
 * whole team in a shared box: the spec puts it back as it was). */
async function openFirstMessage() {
  await rowAt(0).waitForDisplayed({ timeout: 30_000 });
  const wasUnread = (await rowAt(0).getAttribute('class')).split(' ').includes('unread');
  await rowAt(0).click();
  await $('.reader [role="toolbar"]').waitForDisplayed({ timeout: 15_000 });
  return wasUnread;
}

describe('Les droits de chacun dans une boîte de service', () => {
  before(async () => {
    await signInAs('Karim BENALI');
  });

  after(async () => {
    await signOut();
  });

  it('offers no delete, move, follow-up or new folder in a box he may only read', async () => {
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
    const wasUnread = await openFirstMessage();
    await expect($('.reader-delete')).not.toBeExisting();
    await expect($('.reader-move')).not.toBeExisting();
    await expect($('.reader-flag')).not.toBeExisting();
    // `s`: his read state is his to change.
    await expect($('.reader-unread')).toBeExisting();
    await expect($('nav.rail').$('button.new-folder')).not.toBeExisting();
    await screenshot('rights-read-only.png');
    // The keyboard says why rather than doing nothing.
    await rowAt(0).click();
    await browser.keys('Delete');
    await waitForNotice(`Vous ne pouvez pas supprimer de message dans « ${SECRETARIAT} »`);
    if (wasUnread) {
      await $('.reader-unread').click();
      await browser.waitUntil(async () => (await rowAt(0).getAttribute('class')).split(' ').includes('unread'), {
        timeout: 10_000,
        timeoutMsg: 'the message was not put back unread',
      });
    }
  });

  it('does not offer the box as a sender', async () => {
    await openComposer();
    const froms = await browser.execute(() =>
      [...document.querySelectorAll('#compose-from option')].map((o) => o.value),
    );
    expect(froms).toEqual(['karim.benali@ch-demo.mssante.fr']);
    await $('.composer').$('button=Abandonner').click();
    await $('.composer').waitForDisplayed({ reverse: true, timeout: 10_000 });
  });

  it('offers everything in his own box', async () => {
    await boxButton('Karim BENALI').click();
    await expect($('.list-title')).toHaveText(expect.stringContaining('Karim BENALI'), { wait: 20_000 });
    const wasUnread = await openFirstMessage();
    await expect($('.reader-delete')).toBeExisting();
    await expect($('.reader-move')).toBeExisting();
    await expect($('.reader-flag')).toBeExisting();
    await expect($('nav.rail').$('button.new-folder')).toBeExisting();
    if (wasUnread) await $('.reader-unread').click();
  });
});
