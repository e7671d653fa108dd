// The sign-in screen in the real window: French texts, demo accounts, and the engine's
// French errors from the real local operator. `browser`, `$`, `$$` and `expect` are
// WebdriverIO globals.
import fs from 'node:fs';
import path from 'node:path';
import { artifactsDir } from '../wdio.conf.mjs';

const WRONG_PASSWORD = 'Identifiant ou mot de passe incorrect';

// The same file the app was given (see ./run): the demo list must show all its people.
const demoPeople = JSON.parse(fs.readFileSync(process.env.RELAIS_PERSONAS, 'utf8')).people;

const screenshot = (name) => browser.saveScreenshot(path.join(artifactsDir, name));

describe('Écran de connexion', () => {
  it('opens on the French sign-in screen', async () => {
    await expect(browser).toHaveTitle('Relais');
    await expect($('h1')).toHaveText('Relais — messagerie sécurisée de santé');
    await expect($('html')).toHaveAttribute('lang', 'fr');

    const demoOperator = $('input[name="operator"][value="demo"]');
    await expect(demoOperator).toBeSelected();
    await expect($('label*=Opérateur de démonstration (local)')).toBeDisplayed();
    await expect($('label*=Votre opérateur : votre adresse de messagerie')).toBeDisplayed();

    await expect($('button=Se connecter avec e-CPS')).toBeDisplayed();
    await expect($('p*=ou avec un identifiant')).toBeDisplayed();
    await expect($('label[for="login"]')).toHaveText('Identifiant');
    await expect($('label[for="password"]')).toHaveText('Mot de passe');
    await expect($('button=Se connecter')).toBeDisplayed();
    await expect($('[role="alert"]')).toExist();
    await screenshot('signin.png');
  });

  it('labels every control', async () => {
    const unlabelled = await browser.execute(() =>
      [...document.querySelectorAll('input, select, button')]
        .filter((control) => {
          const labels = 'labels' in control ? control.labels : null;
          const named = (labels && labels.length > 0) || control.getAttribute('aria-label');
          return !named && !control.textContent?.trim();
        })
        .map((control) => control.outerHTML),
    );
    expect(unlabelled).toEqual([]);
  });

  it('applies the stylesheet under the strict CSP', async () => {
    // If the CSP blocked the app's CSS, the primary button would fall back to grey.
    await expect($('button=Se connecter avec e-CPS')).toHaveStyle({
      'background-color': 'rgb(31,79,143)',
    });
    await expect($('img[src$=".svg"]')).toHaveProperty('naturalWidth', 1024);
  });

  it('asks for the other operator before trying it', async () => {
    await $('input[name="operator"][value="other"]').click();
    await expect($('#other-operator')).toBeDisplayed();
    await $('button=Se connecter avec e-CPS').click();
    await expect($('[role="alert"]')).toHaveText(
      "Indiquez le fichier de profil ou l'adresse de votre opérateur.",
    );
  });

  it('finds the operator of an address in the DNS, shows it, and refuses a server outside IGC-Santé', async () => {
    await $('input[name="operator"][value="other"]').click();
    // `srv-demo.test` is published by the run's DNS responder (SRV records, RFC 6186) with
    // the local operator's servers, whose test certificate IGC-Santé did not issue.
    await $('#other-operator').setValue('marie.martin@srv-demo.test');
    await $('button.find').click();
    const found = $('#operator-found');
    await expect(found).toHaveText(expect.stringContaining('Serveurs publiés pour srv-demo.test'), { wait: 15_000 });
    await expect(found).toHaveText(expect.stringMatching(/Réception \(IMAP\) : 127\.0\.0\.2:\d+ \(STARTTLS\)/));
    await browser.saveScreenshot(path.join(artifactsDir, 'signin-discovered.png'));
    await $('#login').setValue('marie.martin@ch-demo.mssante.fr');
    await $('#password').setValue('relais-demo');
    await $('button=Se connecter').click();
    await expect($('.signin [role="alert"]')).toHaveText(expect.stringMatching(/certificat|autorités de confiance/), { wait: 30_000 });

    // A domain that publishes nothing: said plainly.
    await $('#other-operator').setValue('personne@inconnu.test');
    await $('button.find').click();
    await expect(found).toHaveText(expect.stringContaining("Aucune messagerie n'est publiée dans le DNS pour inconnu.test"), { wait: 15_000 });
    await $('#login').clearValue();
    await $('#password').clearValue();
  });

  it('shows the provider refusal in French for an unknown e-CPS identifier', async () => {
    await $('input[name="operator"][value="demo"]').click();
    // An identifier the provider does not know: CIBA is refused at once.
    await $('#login').setValue('personne.inconnue');
    await $('button=Se connecter avec e-CPS').click();
    // The alert held another message just before: this text comes from the e-CPS command.
    await expect($('[role="alert"]')).toHaveText(expect.stringContaining('identifiant e-CPS'), {
      wait: 20_000,
    });
    await $('#login').clearValue();
  });

  it('lists the demo personas and fills the identifier from one', async () => {
    await expect($('h2=Comptes de démonstration')).toBeDisplayed();
    await expect($$('button.persona')).toBeElementsArrayOfSize(demoPeople.length);

    await $('button.persona*=Marie MARTIN').click();
    await expect($('#login')).toHaveValue('marie.martin@ch-demo.mssante.fr');
    await expect($('#password')).toBeFocused();
  });

  it('shows the engine error in French after a wrong password', async () => {
    await $('button=Se connecter').click();
    await expect($('[role="alert"]')).toHaveText(
      'Saisissez votre identifiant et votre mot de passe.',
    );

    await $('#password').setValue('mauvais-mot-de-passe');
    await $('button=Se connecter').click();
    await expect($('[role="alert"]')).toHaveText(expect.stringContaining(WRONG_PASSWORD), {
      wait: 20_000,
    });
    // The password field is cleared after each attempt.
    await expect($('#password')).toHaveValue('');
    await screenshot('signin-error.png');
  });

  it('shows where the keyboard focus is', async () => {
    await $('input[name="operator"][value="demo"]').click();
    await browser.keys('Tab');
    await expect($('button=Se connecter avec e-CPS')).toBeFocused();
    const outline = await browser.execute(() => {
      const style = getComputedStyle(document.activeElement);
      return `${style.outlineStyle} ${style.outlineWidth}`;
    });
    expect(outline).toBe('solid 3px');
    await screenshot('signin-focus.png');
  });

  it('stays usable at 200 % zoom', async () => {
    await browser.execute(() => {
      document.documentElement.style.zoom = '2';
    });
    // Nothing may overflow sideways: the columns must wrap instead.
    const overflow = await browser.execute(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot('signin-zoom-200.png');
    await browser.execute(() => {
      document.documentElement.style.zoom = '';
    });
  });

  it('switches to English', async () => {
    await $('select').selectByAttribute('value', 'en');
    await expect($('h1')).toHaveText('Relais — secure health messaging');
    await expect($('html')).toHaveAttribute('lang', 'en');
    await screenshot('signin-en.png');
    await $('select').selectByAttribute('value', 'fr');
    await expect($('h1')).toHaveText('Relais — messagerie sécurisée de santé');
  });
});
