// A demo secretary's day in the real window, against the real local operator: sign in
// with a password, both boxes with unread counts, a letter with its attachment, the HTML
// newsletter with remote images blocked, and the shared Sent folder with its authors.
import { PASSWORD, SECRETARIAT, boxButton, folderButton, frameImageSources, messageRow, screenshot, signOut, unreadOf, waitForMailbox } from './helpers.mjs';

describe('Boîtes de Marie MARTIN (mot de passe)', () => {
  it('signs in with her password', async () => {
    await $('button.persona*=Marie MARTIN').click();
    await $('#password').setValue(PASSWORD);
    await $('button=Se connecter').click();
    await waitForMailbox();
    await expect($('.person')).toHaveText('Connecté(e) : Marie MARTIN');
  });

  it('lists her own box and the secretariat, with unread counts', async () => {
    await expect(boxButton('Marie MARTIN')).toBeDisplayed();
    await expect(boxButton(SECRETARIAT)).toBeDisplayed();
    await expect(boxButton(SECRETARIAT).$('.badge')).toHaveText('Service');
    await expect(boxButton('Marie MARTIN').$('.badge')).toHaveText('Personnelle');
    // The first synchronisation runs in the background; the counts follow it.
    await browser.waitUntil(async () => (await unreadOf(SECRETARIAT)) > 0, {
      timeout: 45_000,
      timeoutMsg: 'the secretariat never showed unread messages',
    });
    // Her own box opened first, with its letter, though it arrived while the screen started.
    await expect(messageRow('Congés de fin')).toBeDisplayed({ wait: 20_000 });
    const title = await boxButton(SECRETARIAT).getAttribute('title');
    expect(title).toContain('Vous êtes connecté(e) en tant que Marie MARTIN');
    await screenshot('mailbox-boxes.png');
  });

  it("opens the secretariat's referral letter with its attachment", async () => {
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT));
    const row = messageRow('Adressage — M. GARCIA Louis');
    await row.waitForDisplayed({ timeout: 30_000 });
    await row.click();
    await expect($('.reader .subject')).toHaveText(expect.stringContaining('Adressage — M. GARCIA Louis'), { wait: 20_000 });
    await expect($('.attachments')).toBeDisplayed();
    await expect($('.attachments').$(".filename=Courrier d'adressage - GARCIA.pdf")).toBeDisplayed();
    await screenshot('reader-attachment.png');
  });

  it('shows the HTML newsletter with its remote images blocked', async () => {
    const row = messageRow('La lettre du GHT');
    await row.scrollIntoView();
    await row.click();
    await expect($('.reader .subject')).toHaveText(expect.stringContaining('La lettre du GHT'), { wait: 20_000 });
    const bar = $('.remote');
    await expect(bar).toBeDisplayed();
    await expect(bar).toHaveText(expect.stringContaining('Les images distantes sont bloquées.'));
    await expect($('iframe.html')).toBeDisplayed();
    const sources = await frameImageSources();
    expect(sources.filter((src) => /^https?:/i.test(src))).toEqual([]);
    const srcdoc = await $('iframe.html').getAttribute('srcdoc');
    expect(srcdoc).not.toMatch(/<img[^>]*src="?https?:/i);
    await screenshot('reader-newsletter.png');

    // The person chooses to show them, for this message only.
    await $('button=Afficher les images').click();
    await expect($('.remote-shown')).toBeDisplayed({ wait: 20_000 });
    await expect($('.remote')).not.toBeExisting();
    expect(await $('iframe.html').getAttribute('srcdoc')).toMatch(/<img[^>]*src="?https:/i);
  });

  it("shows a link's real target before anything opens, and never opens a window", async () => {
    const handles = await browser.getWindowHandles();
    const clickInMessage = async (text) => {
      // The reader's header and toolbar can push the message below the fold: the reader
      // scrolls as a whole, so bring the whole frame into sight first (WebDriver scrolls
      // only the frame's own document to reach a link in it).
      await browser.execute(() => document.querySelector('.reader iframe.html')?.scrollIntoView({ block: 'end' }));
      await browser.switchToFrame(await $('.reader iframe.html'));
      try {
        await $(`a=${text}`).click();
      } finally {
        await browser.switchToParentFrame();
      }
    };
    await clickInMessage('Lire la lettre en ligne');
    await expect($('.link-dialog')).toBeDisplayed({ wait: 10_000 });
    await expect($('.link-url')).toHaveText('https://ght-demo.example/lettre/novembre');
    await expect($('.link-host')).toHaveText('ght-demo.example');
    // « Annuler » has the focus: Enter alone never opens a link.
    expect(await browser.execute(() => document.activeElement?.classList.contains('link-cancel'))).toBe(true);
    await screenshot('reader-link.png');
    await $('.link-cancel').click();
    await expect($('.link-dialog')).not.toBeExisting();
    expect(await browser.getWindowHandles()).toEqual(handles);
    expect(await browser.getTitle()).toBe('Relais');

    // A mailto: link starts a message to that address (its subject and body are not taken).
    await clickInMessage('Écrire à la rédaction');
    await expect($('.composer')).toBeDisplayed({ wait: 10_000 });
    await expect($('.composer .chip[title="lettre@ght-demo.mssante.fr"]')).toBeDisplayed();
    expect(await $('#compose-subject').getValue()).toBe('');
    await $('button=Abandonner').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 10_000 });
    expect(await browser.getWindowHandles()).toEqual(handles);
  });

  it("shows the secretariat's Sent folder with each message's author", async () => {
    await folderButton('Envoyés').click();
    await expect($('.list-title')).toHaveText(expect.stringContaining('Envoyés'));
    await expect($('.author-header')).toHaveText('Auteur');
    await expect($('.scroller').$('.author=Marie MARTIN')).toBeDisplayed({ wait: 20_000 });
    await expect($('.scroller').$('.author=Sophie BERNARD')).toBeDisplayed();
    await messageRow('Consultation de Mme NGUYEN').click();
    await expect($('.reader .author')).toHaveText('Rédigé par Marie MARTIN', { wait: 20_000 });
    await screenshot('mailbox-sent.png');
  });

  it('opens the inbox again and signs out', async () => {
    await folderButton('Boîte de réception').click();
    const row = messageRow('Adressage — M. GARCIA Louis');
    await row.waitForDisplayed({ timeout: 20_000 });
    await row.click();
    await expect($('.attachments').$(".filename=Courrier d'adressage - GARCIA.pdf")).toBeDisplayed({ wait: 20_000 });
    await screenshot('mailbox.png');
    await signOut();
  });
});
