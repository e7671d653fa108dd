// Live changes in the real window, from the engine's runtime: a letter delivered to the
// shared secretariat, a colleague's flag and her deletion from another client (straight on
// the server, through doveadm) appear in Marie's open list without any reload or click.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRETARIAT, boxButton, messageRow, screenshot, signInAs, signOut } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const BOX = 'secretariat.cardio@ch-demo.mssante.fr';
const SUBJECT = 'Résultat holter — M. VIDAL';

/** A doveadm command on the local operator (as another client would act on the box). */
function doveadm(args, input) {
  const operatorDir = path.dirname(process.env.RELAIS_OPERATOR ?? '');
  execFileSync(path.join(repo, 'tests/operator/run'), ['doveadm', '--dir', operatorDir, '--', ...args], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Whether the list row of `SUBJECT` shows the « Suivi » flag. */
const rowFlagged = () =>
  browser.execute((wanted) => {
    const row = [...document.querySelectorAll('.scroller div.row')].find((r) => (r.querySelector('.subject')?.textContent ?? '').includes(wanted));
    return Boolean(row?.querySelector('.flag svg'));
  }, SUBJECT);

describe('En direct : ce que font les autres apparaît sans recharger', () => {
  it('shows a letter delivered to the secretariat, then a colleague flagging and deleting it', async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await messageRow('Demande de rendez-vous — M. PETIT').waitForDisplayed({ timeout: 45_000 });
    // Let the runtime's first synchronisation end and its watchers enter IDLE.
    await browser.pause(2000);

    // 1. Delivered to the box (as LMTP would store it).
    const message = [
      'From: Dr Jacques LEROY <jacques.leroy@cardio-pau.mssante.fr>',
      `To: ${BOX}`,
      `Subject: ${SUBJECT}`,
      'Date: Sat, 05 Dec 2026 09:30:00 +0100',
      'Message-ID: <live-e2e@cardio-pau.mssante.fr>',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Holter de 24 h sans particularité.',
      '',
    ].join('\r\n');
    let started = Date.now();
    doveadm(['save', '-u', BOX, '-m', 'INBOX'], message);
    await messageRow(SUBJECT).waitForDisplayed({ timeout: 15_000, timeoutMsg: 'the delivered letter never appeared' });
    console.log(`[live] delivered → row shown in ${Date.now() - started} ms`);
    await screenshot('live-delivered.png');

    // 2. Sophie flags it from her computer.
    started = Date.now();
    doveadm(['flags', 'add', '-u', BOX, '\\Flagged', 'mailbox', 'INBOX', 'header', 'Message-ID', 'live-e2e@cardio-pau.mssante.fr']);
    await browser.waitUntil(rowFlagged, { timeout: 15_000, interval: 200, timeoutMsg: "the colleague's flag never showed" });
    console.log(`[live] colleague's flag → shown in ${Date.now() - started} ms`);

    // 3. Sophie deletes it for good.
    started = Date.now();
    doveadm(['expunge', '-u', BOX, 'mailbox', 'INBOX', 'header', 'Message-ID', 'live-e2e@cardio-pau.mssante.fr']);
    await messageRow(SUBJECT).waitForExist({ reverse: true, timeout: 15_000, timeoutMsg: 'the deleted letter stayed' });
    console.log(`[live] colleague's expunge → row gone in ${Date.now() - started} ms`);
    await signOut();
  });
});
