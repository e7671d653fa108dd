// « Toutes les boîtes de réception » in the real window, against the real local operator:
// the inboxes of Marie's own box and of the secretariat in one list, newest first, each row
// naming its box, conversations grouped; a message opens and is flagged there as in its own
// box (and the flag is taken off again, as found).
import { boxButton, messageRow, screenshot, signInAs, signOut } from './helpers.mjs';

/** Each row on screen: its subject and the box column. */
async function rows() {
  return browser.execute(() =>
    [...document.querySelectorAll('.scroller div.row')]
      .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
      .map((row) => ({
        subject: row.querySelector('.subject')?.textContent?.trim() ?? '',
        text: row.textContent ?? '',
      })),
  );
}

describe('Toutes les boîtes de réception (Marie MARTIN)', () => {
  before(async () => {
    await signInAs('Marie MARTIN');
  });

  it('lists both inboxes in one threaded list, each row naming its box', async () => {
    await $('nav.rail').$('button.box.all').click();
    await expect($('.list-title')).toHaveText(expect.stringContaining('Toutes les boîtes de réception'), { wait: 20_000 });
    await browser.waitUntil(
      async () => {
        const list = await rows();
        return list.some((r) => r.subject.startsWith("Congés de fin d'année")) && list.some((r) => r.subject.startsWith('Adressage — M. GARCIA Louis'));
      },
      { timeout: 45_000, timeoutMsg: 'the two inboxes were not listed together' },
    );
    const list = await rows();
    const own = list.find((r) => r.subject.startsWith("Congés de fin d'année"));
    const shared = list.find((r) => r.subject.startsWith('Adressage — M. GARCIA Louis'));
    expect(own.text).toContain('Marie MARTIN');
    expect(shared.text).toContain('Secrétariat de cardiologie');
    await screenshot('unified-inbox.png');
    // The secretariat's conversation with Dr LEROY (three days old, further down) is
    // listed together: its two letters side by side, scrolled to, as the list only draws
    // the rows in sight.
    let together = false;
    await browser.waitUntil(
      async () => {
        const list = await rows();
        const first = list.findIndex((r) => r.subject.startsWith('Rendez-vous de contrôle — Mme DUBOIS'));
        const reply = list.findIndex((r) => r.subject.startsWith('Re: Rendez-vous de contrôle — Mme DUBOIS'));
        if (first >= 0 && reply >= 0) {
          together = Math.abs(first - reply) === 1;
          return true;
        }
        await browser.execute(() => {
          const scroller = document.querySelector('.scroller');
          if (scroller) scroller.scrollTop += scroller.clientHeight / 2;
        });
        return false;
      },
      { timeout: 20_000, interval: 300, timeoutMsg: 'the conversation with Dr LEROY was not listed' },
    );
    expect(together).toBe(true);
    await browser.execute(() => {
      const scroller = document.querySelector('.scroller');
      if (scroller) scroller.scrollTop = 0;
    });
  });

  it('opens and flags a message there as in its own box', async () => {
    await messageRow("Congés de fin d'année").click();
    await expect($('.reader .subject')).toHaveText("Congés de fin d'année", { wait: 15_000 });
    await $('.reader').$('button=Suivre').click();
    await expect($('.reader').$('button=Ne plus suivre')).toBeDisplayed({ wait: 10_000 });
    await $('.reader').$('button=Ne plus suivre').click();
    await expect($('.reader').$('button=Suivre')).toBeDisplayed({ wait: 10_000 });
    await boxButton('Marie MARTIN').click();
    await expect(messageRow("Congés de fin d'année")).toBeDisplayed({ wait: 15_000 });
  });

  after(async () => {
    await signOut();
  });
});
