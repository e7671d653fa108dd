// WebdriverIO drives the built Relais binary through tauri-driver, which starts the app
// and proxies to WebKitWebDriver. `./run` sets the environment variables read here.
import fs from 'node:fs';
import path from 'node:path';

const application = process.env.RELAIS_APP;
if (!application) throw new Error('RELAIS_APP must name the built relais-app binary (see ./run)');

export const artifactsDir = process.env.E2E_ARTIFACTS ?? path.resolve('artifacts');
fs.mkdirSync(artifactsDir, { recursive: true });

export const config = {
  runner: 'local',
  hostname: '127.0.0.1',
  port: Number(process.env.TAURI_DRIVER_PORT ?? 4444),
  specs: ['./specs/**/*.e2e.mjs'],
  // One app window at a time: the app is single-instance.
  maxInstances: 1,
  capabilities: [
    {
      'tauri:options': { application },
      // WebKitWebDriver speaks classic WebDriver only, no BiDi.
      'wdio:enforceWebDriverClassic': true,
    },
  ],
  logLevel: 'warn',
  outputDir: artifactsDir,
  // Machine facts: tauri-driver's link to WebKitWebDriver sometimes resets while a
  // session is being created. WebdriverIO keeps its HTTP connection alive and retries.
  connectionRetryCount: 2,
  connectionRetryTimeout: 60_000,
  waitforTimeout: 10_000,
  framework: 'mocha',
  reporters: ['spec'],
  mochaOpts: { ui: 'bdd', timeout: 90_000 },
  // A spec that failed before signing out leaves a session that the next launch resumes,
  // locked (« Session verrouillée ») or, in a window still open, the mailbox: start every
  // spec from the sign-in screen, so that one failure stays one failure.
  before: async () => {
    await browser.waitUntil(
      async () =>
        (await $('nav.rail').isExisting()) || (await $('#signin-title').isExisting()) || (await $('#lock-title').isExisting()),
      { timeout: 45_000, timeoutMsg: 'neither the sign-in screen, the lock screen nor the mailbox appeared' },
    );
    if (await $('#lock-title').isExisting()) {
      await $('button=Changer de personne (se déconnecter)').click();
      await $('#signin-title').waitForExist({ timeout: 20_000 });
    } else if (await $('nav.rail').isExisting()) {
      await $('button=Se déconnecter').click();
      await $('#signin-title').waitForExist({ timeout: 20_000 });
    }
  },
  // A failed test leaves a picture of the window behind, to see what went wrong.
  afterTest: async (test, _context, { passed }) => {
    if (passed) return;
    const name = `failed-${test.parent}-${test.title}`.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 120);
    await browser.saveScreenshot(path.join(artifactsDir, `${name}.png`)).catch(() => {});
  },
};
