// The safe mail view against a hostile corpus, in the real webview (issue 6, « A safe mail
// view »). A canary HTTP server on 127.0.0.1 counts every connection and request; the corpus
// (tests/e2e/hostile/generate.mjs, > 100 messages) points every network-capable vector at it
// and every script-capable one at `/script-<case>` plus `parent/top.postMessage`, a title
// change and a top navigation. The messages go into a fresh « Hostile » folder of Marie
// MARTIN's own box on the running local operator; she opens each one in the Reader (HTML view,
// never « Afficher les images »). Then: 0 requests, 0 connections, 0 script executions, the
// window's URL and title unchanged, no dialog. A positive control then shows the canary
// counts: a request from the test itself, and the webview's own connection once the person
// shows the `https` image of the control message (its `http` twin stays at 0 hits).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startCanary } from '../hostile/canary.mjs';
import { controlMessage, generateCorpus } from '../hostile/generate.mjs';
import { boxButton, folderButton, screenshot, seedFolder, signInAs, signOut } from './helpers.mjs';

const MARIE = 'marie.martin@ch-demo.mssante.fr';
const FOLDER = 'Hostile';
/** Time given to each opened message for anything it might load or run. */
const SETTLE_MS = 120;
/** Cases whose screenshots are kept (looked at by a person). */
const SHOTS = new Set();

/** The state the Reader shows: subject, frame and its sandbox, or the text body. */
const readerState = () =>
  browser.execute(() => {
    const frame = document.querySelector('.reader iframe.html');
    return {
      subject: document.querySelector('.reader .subject')?.textContent?.trim() ?? '',
      frame: !!frame,
      sandbox: frame ? frame.getAttribute('sandbox') : null,
      csp: frame ? /Content-Security-Policy" content="default-src 'none'/.test(frame.getAttribute('srcdoc') ?? '') : false,
      text: !!document.querySelector('.reader pre.body.text'),
      remoteBar: !!document.querySelector('.reader .remote'),
      execs: [...(window.__relaisHostileMessages ?? [])],
    };
  });

describe('Vue sûre des messages : corpus hostile dans la vraie fenêtre', () => {
  let canary;
  let corpus;
  let control;
  const started = Date.now();
  const opened = new Map();
  let initial;

  after(async () => {
    await canary?.close();
    // Leave the operator as the other specs expect it: no Hostile folder.
    const operatorDir = path.dirname(process.env.RELAIS_OPERATOR ?? '');
    const run = path.join(import.meta.dirname, '../../operator/run');
    try {
      execFileSync(run, ['doveadm', '--dir', operatorDir, '--', 'mailbox', 'delete', '-u', MARIE, '-s', FOLDER], { stdio: 'pipe' });
    } catch (error) {
      console.log(`[hostile] could not delete the ${FOLDER} folder: ${error.stderr ?? error}`);
    }
  });

  it('starts the canary and proves that it counts', async () => {
    canary = await startCanary();
    const res = await fetch(`${canary.origin}/self-check`);
    expect(res.status).toBe(200);
    await res.text();
    expect(canary.hits.map((h) => h.path)).toEqual(['/self-check']);
    expect(canary.connections()).toBeGreaterThanOrEqual(1);
    canary.hits.length = 0;
    canary.baseConnections = canary.connections();
  });

  it('writes the hostile corpus into a fresh folder of Marie MARTIN and signs her in', async function () {
    this.timeout(120_000);
    corpus = generateCorpus(canary.origin);
    control = controlMessage(canary.origin);
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    const operatorDir = path.dirname(process.env.RELAIS_OPERATOR ?? '');
    expect(fs.existsSync(path.join(operatorDir, 'mail'))).toBe(true);
    seedFolder(operatorDir, MARIE, FOLDER, [control, ...corpus]);
    for (const pick of [
      (c) => c.attack === 'tracking' && c.name === 'pixel',
      (c) => c.attack === 'handler' && c.name === 'body-onload',
      (c) => c.encoding === 'latin1-qp' && c.attack === 'css',
    ]) {
      SHOTS.add(corpus.find(pick).id);
    }

    await signInAs('Marie MARTIN');
    // Script canary, parent side: any message from a frame lands here.
    await browser.execute(() => {
      window.__relaisHostileMessages = [];
      window.addEventListener('message', (e) => window.__relaisHostileMessages.push(String(e.data).slice(0, 200)));
    });
    initial = { url: await browser.getUrl(), title: await browser.getTitle() };

    await $('button=Relever le courrier').click();
    await boxButton('Marie MARTIN').click();
    const folder = folderButton(FOLDER);
    await folder.waitForDisplayed({ timeout: 45_000, timeoutMsg: 'the Hostile folder never appeared' });
    await folder.click();
    await browser.waitUntil(
      async () => Number(await $('.message-list').getAttribute('aria-rowcount')) - 1 === corpus.length + 1,
      { timeout: 60_000, timeoutMsg: `the Hostile folder never listed ${corpus.length + 1} messages` },
    );
  });

  it('opens every hostile message in the Reader: nothing loads, nothing runs', async function () {
    this.timeout(240_000);
    const total = corpus.length + 1;
    const rowHeight = await browser.execute(() => document.querySelector('#message-row-0')?.offsetHeight ?? 40);
    const byTag = new Map(corpus.map((c) => [c.id.toUpperCase(), c]));
    for (let i = 0; i < total; i++) {
      await browser.execute(
        (index, h) => {
          const scroller = document.querySelector('.scroller');
          scroller.scrollTop = Math.max(0, index * h - scroller.clientHeight / 2);
        },
        i,
        rowHeight,
      );
      const row = $(`#message-row-${i}`);
      await row.$('.subject').waitForExist({ timeout: 10_000 });
      const subject = await browser.execute(
        (index) => document.querySelector(`#message-row-${index} .subject`)?.textContent?.trim() ?? '',
        i,
      );
      await row.click();
      let state;
      await browser.waitUntil(
        async () => {
          state = await readerState();
          return state.subject === subject && (state.frame || state.text);
        },
        { timeout: 15_000, timeoutMsg: `message ${i} (« ${subject} ») never opened` },
      );
      await browser.pause(SETTLE_MS);
      const tag = /^\[(H\d+)\]/.exec(subject)?.[1];
      const c = tag ? byTag.get(tag) : null;
      if (state.frame) {
        // The frame as written in Reader.svelte: no scripts, no same origin (pop-ups only,
        // which the shell turns into the link dialog), the message's own CSP.
        expect(state.sandbox).toBe('allow-popups');
        expect(state.csp).toBe(true);
      }
      opened.set(tag ?? 'control', { subject, frame: state.frame, remoteBar: state.remoteBar });
      if (c && SHOTS.has(c.id)) await screenshot(`hostile-${c.id}-${c.attack}-${c.name}.png`);
    }
    // A last moment for anything late (meta refresh with a delay, media).
    await browser.pause(1500);

    const state = await readerState();
    const after = { url: await browser.getUrl(), title: await browser.getTitle() };
    let dialog = null;
    try {
      dialog = await browser.getAlertText();
    } catch {
      dialog = null;
    }
    const figures = {
      messages: opened.size,
      hostile: corpus.length,
      htmlFrames: [...opened.values()].filter((o) => o.frame).length,
      remoteBlockedBars: [...opened.values()].filter((o) => o.remoteBar).length,
      requests: canary.networkHits().length,
      scriptExecutions: canary.scriptHits().length + state.execs.length,
      connections: canary.connections() - canary.baseConnections,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    console.log(`[hostile] ${JSON.stringify(figures)}`);
    if (canary.hits.length) console.log(`[hostile] hits: ${JSON.stringify(canary.hits.slice(0, 20))}`);
    if (state.execs.length) console.log(`[hostile] messages to the window: ${JSON.stringify(state.execs.slice(0, 20))}`);
    fs.writeFileSync(path.join(process.env.E2E_ARTIFACTS ?? 'artifacts', 'hostile-figures.json'), JSON.stringify({ ...figures, hits: canary.hits }, null, 2));

    expect(opened.size).toBe(total);
    for (const c of corpus) expect(opened.has(c.id.toUpperCase())).toBe(true);
    expect(canary.hits).toEqual([]);
    expect(figures.connections).toBe(0);
    expect(state.execs).toEqual([]);
    expect(after).toEqual(initial);
    expect(dialog).toBeNull();
  });

  it('control: the canary sees the webview once the person shows the https image, never http', async () => {
    // The test's own request is counted (the counter works).
    await (await fetch(`${canary.origin}/control-self`)).text();
    expect(canary.hits.map((h) => h.path)).toEqual(['/control-self']);
    const connectionsBefore = canary.connections();

    const row = $('.scroller').$('div.row*=[CONTROLE]');
    await browser.execute(() => (document.querySelector('.scroller').scrollTop = 0));
    await row.click();
    await expect($('.reader .subject')).toHaveText(expect.stringContaining('[CONTROLE]'), { wait: 15_000 });
    await expect($('.remote')).toBeDisplayed();
    await $('button=Afficher les images').click();
    await expect($('.remote-shown')).toBeDisplayed({ wait: 15_000 });
    // The webview reaches for the https image: a TLS handshake on the canary's port.
    await browser.waitUntil(async () => canary.connections() > connectionsBefore, {
      timeout: 10_000,
      timeoutMsg: 'the webview never reached the canary for the shown https image',
    });
    await browser.pause(1000);
    const controlFigures = {
      webviewConnections: canary.connections() - connectionsBefore,
      httpHits: canary.hits.filter((h) => h.path !== '/control-self').length,
    };
    // The script canary works too: code run inside the message frame (here by WebDriver,
    // which the sandbox cannot stop) reaches the window's listener. Its fetch and image are
    // still refused by the frame's CSP.
    await browser.switchToFrame(await $('.reader iframe.html'));
    try {
      await browser.execute((origin) => {
        try { fetch(`${origin}/script-probe`).catch(() => {}); } catch { /* refused */ }
        try { new Image().src = `${origin}/script-probe-img`; } catch { /* refused */ }
        parent.postMessage('relais-exec:probe', '*');
      }, canary.origin);
    } finally {
      await browser.switchToParentFrame();
    }
    await browser.waitUntil(
      async () => (await browser.execute(() => window.__relaisHostileMessages ?? [])).includes('relais-exec:probe'),
      { timeout: 5_000, timeoutMsg: 'the window never heard the probe run inside the message frame' },
    );
    await browser.pause(500);
    controlFigures.probeMessages = 1;
    controlFigures.probeRequests = canary.hits.filter((h) => h.path.startsWith('/script-probe')).length;
    console.log(`[hostile] control ${JSON.stringify(controlFigures)}`);
    expect(controlFigures.probeRequests).toBe(0);
    await screenshot('hostile-control-shown.png');
    expect(controlFigures.httpHits).toBe(0);
    await signOut();
  });
});
