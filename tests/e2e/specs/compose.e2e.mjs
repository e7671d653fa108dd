// Writing from the secretariat as Marie MARTIN, against the real local operator: a letter
// with an attachment that shows in the shared Sent folder with its Auteur; a patient by
// INS (a wrong key refused in French, then the right one sent with the identity traits);
// the trust-space warning; the settings (signature per box, download folder); saving an
// attachment from the reader.
import fs from 'node:fs';
import path from 'node:path';
import { artifactsDir } from '../wdio.conf.mjs';
import {
  MARIE_SECRETARIAT,
  SECRETARIAT,
  addRecipient,
  attachFile,
  boxButton,
  folderButton,
  messageRow,
  openComposer,
  screenshot,
  setFieldValue,
  signInAs,
  signOut,
  waitForNotice,
} from './helpers.mjs';

const KEY_ERROR = 'La clé du matricule INS ne correspond pas : vérifiez la saisie.';
const stamp = new Date().toISOString().slice(11, 19);
const LETTER = `Compte rendu de consultation E2E ${stamp}`;
const PATIENT_SUBJECT = `Vos résultats E2E ${stamp}`;
const attachmentPath = path.join(artifactsDir, 'Compte-rendu-E2E.pdf');
// A CDA document for the patient: the engine packs it into IHE_XDM.ZIP.
const cdaPath = path.join(artifactsDir, 'Lettre-de-liaison-E2E.xml');
const CDA = `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="11490-0" codeSystem="2.16.840.1.113883.6.1" displayName="Lettre de sortie"/>
  <title>Lettre de liaison à la sortie</title>
  <component><structuredBody><component><section>
    <title>Synthèse</title><text><paragraph>Retour à domicile, contrôle dans un mois.</paragraph></text>
  </section></component></structuredBody></component>
</ClinicalDocument>
`;

describe('Rédaction (Marie MARTIN, secrétariat)', () => {
  before(() => {
    fs.writeFileSync(
      attachmentPath,
      '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
    );
    fs.writeFileSync(cdaPath, CDA);
  });

  it('signs in and opens the secretariat', async () => {
    await signInAs('Marie MARTIN');
    await boxButton(SECRETARIAT).click();
    await expect($('.list-title')).toHaveText(expect.stringContaining(SECRETARIAT), { wait: 20_000 });
  });

  it('writes from the secretariat with an attachment and sends with Ctrl+Entrée', async () => {
    await openComposer();
    const from = $('#compose-from');
    await from.selectByAttribute('value', MARIE_SECRETARIAT);
    const label = await from.$(`option[value="${MARIE_SECRETARIAT}"]`).getText();
    expect(label).toContain('Envoyé par Marie MARTIN pour Secrétariat de cardiologie');
    const own = await from.$('option[value="marie.martin@ch-demo.mssante.fr"]').getText();
    expect(own).toMatch(/^Envoyé par Marie MARTIN —/);
    // The box's signature line is in the body, editable.
    await browser.waitUntil(async () => (await $('#compose-body').getValue()).includes('pour le Secrétariat de cardiologie'), {
      timeout: 10_000,
      timeoutMsg: 'the secretariat signature never reached the body',
    });

    await addRecipient('#compose-to', 'pierre.durand@ch-demo.mssante.fr');
    await $('#compose-subject').setValue(LETTER);
    const signature = (await $('#compose-body').getValue()).trim();
    await setFieldValue('#compose-body', `Bonjour Docteur,\n\nVeuillez trouver le compte rendu ci-joint.\n\n${signature}\n`);
    await attachFile(attachmentPath);
    await expect($('.composer .attachments').$('.filename=Compte-rendu-E2E.pdf')).toBeDisplayed({ wait: 10_000 });
    // Below the attachments, under the composer's fixed buttons: brought to the middle first
    // (a click on a hidden part of it is intercepted by the buttons' bar).
    await browser.execute(() => document.getElementById('compose-dsn')?.scrollIntoView({ block: 'center' }));
    await $('#compose-dsn').click();
    // The draft saves itself every few seconds.
    await expect($('.draft-state')).toHaveText(expect.stringContaining('Brouillon enregistré'), { wait: 15_000 });
    await screenshot('composer.png');

    await $('#compose-body').click();
    await browser.keys(['Control', 'Enter']);
    // The composer closes only once the engine queued and sent it (errors keep it open).
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });
    expect(await $('.send-problem').isExisting()).toBe(false);
  });

  it("shows the letter in the secretariat's Envoyés with Auteur « Marie MARTIN »", async () => {
    await folderButton('Envoyés').click();
    await expect($('.author-header')).toHaveText('Auteur');
    const row = messageRow(LETTER);
    await row.waitForDisplayed({ timeout: 45_000, timeoutMsg: 'the sent letter never reached the Sent folder' });
    await expect(row.$('.author')).toHaveAttribute('title', 'Rédigé par Marie MARTIN', { wait: 10_000 });
    await expect($('.scroller').$('.author=Marie MARTIN')).toBeDisplayed();
    await row.click();
    await expect($('.reader .author')).toHaveText('Rédigé par Marie MARTIN', { wait: 20_000 });
    await expect($('.reader .attachments').$('.filename=Compte-rendu-E2E.pdf')).toBeDisplayed();
    await screenshot('compose-sent.png');
  });

  it("answers Dr LEROY's letter from the secretariat with « Répondre »: quoted, signed, authored", async () => {
    await folderButton('Boîte de réception').click();
    const letter = messageRow('Adressage — M. GARCIA Louis');
    await letter.waitForDisplayed({ timeout: 30_000 });
    await letter.click();
    await expect($('.reader .subject')).toHaveText(expect.stringContaining('Adressage — M. GARCIA Louis'), { wait: 20_000 });
    await $('.reader').$('button=Répondre').click();
    await expect($('.composer')).toBeDisplayed({ wait: 10_000 });
    // The engine fills the reply: from the box the letter came to, to its sender, quoted.
    await expect($('#compose-from')).toHaveValue(MARIE_SECRETARIAT, { wait: 10_000 });
    await expect($('.composer .chip[title="jacques.leroy@cardio-pau.mssante.fr"]')).toBeDisplayed();
    const subject = await $('#compose-subject').getValue();
    expect(subject).toMatch(/^R[Ee]\s?: Adressage — M\. GARCIA Louis/);
    await browser.waitUntil(async () => (await $('#compose-body').getValue()).includes('pour le Secrétariat de cardiologie'), {
      timeout: 10_000,
      timeoutMsg: 'the secretariat signature never reached the reply',
    });
    // The original stays below the signature, quoted under « … a écrit : », shown folded.
    const quoted = $('.composer details.quoted');
    await expect(quoted).toBeExisting();
    const original = await quoted.$('pre').getProperty('textContent');
    expect(original).toMatch(/LEROY a écrit :/);
    expect(original).toMatch(/^> /m);
    const body = await $('#compose-body').getValue();
    await setFieldValue('#compose-body', `Bonjour Docteur,\n\nNous recevons M. GARCIA jeudi à 10 h.\n\n${body}`);
    await screenshot('composer-reply.png');
    await $('#compose-body').click();
    await browser.keys(['Control', 'Enter']);
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });
    expect(await $('.send-problem').isExisting()).toBe(false);

    await folderButton('Envoyés').click();
    const reply = messageRow(subject.split(',')[0]);
    await reply.waitForDisplayed({ timeout: 45_000, timeoutMsg: 'the reply never reached the Sent folder' });
    await expect(reply.$('.author')).toHaveAttribute('title', 'Rédigé par Marie MARTIN', { wait: 10_000 });
  });

  it('refuses an INS with a wrong key in French, then writes to the patient', async () => {
    await folderButton('Boîte de réception').click();
    await openComposer();
    await $('#compose-from').selectByAttribute('value', MARIE_SECRETARIAT);
    await $('#compose-patient-mode').click();
    await $('#compose-ins').setValue('2 85 03 64 445 123 78');
    await expect($('.ins-error')).toHaveText(KEY_ERROR, { wait: 5_000 });
    await expect($('#compose-ins')).toHaveAttribute('aria-invalid', 'true');
    await expect($('.patient-card .address')).not.toBeExisting();
    await browser.execute(() => document.querySelector('.patient')?.scrollIntoView({ block: 'center' }));
    await screenshot('composer-ins-invalid.png');

    // Sending is refused with the same message.
    await $('#compose-subject').setValue(PATIENT_SUBJECT);
    await $('button=Envoyer').click();
    await expect($('.send-problem')).toHaveText(KEY_ERROR, { wait: 10_000 });

    await $('#compose-ins').setValue('2 85 03 64 445 123 79');
    await expect($('.ins-error')).not.toBeExisting({ wait: 5_000 });
    await expect($('.patient-card .address')).toHaveText('285036444512379@patient.mssante.fr');
    await $('#compose-birth-name').setValue('Dubois');
    await $('#compose-first-names').setValue('Camille');
    // Typed as the person reads it, JJ/MM/AAAA; the engine receives 1985-03-14.
    await $('#compose-birth-date').setValue('14/03/1985');
    await expect($('#compose-birth-date')).toHaveValue('14/03/1985');
    await $('#compose-sex').selectByAttribute('value', 'F');
    await $('#compose-birthplace').setValue('64445');
    await $('#compose-close').click();
    const signature = (await $('#compose-body').getValue()).trim();
    await setFieldValue('#compose-body', `Bonjour Madame,\n\nVos résultats sont normaux.\n\n${signature}\n`);
    await attachFile(cdaPath);
    await expect($('.composer .attachments').$('.filename=Lettre-de-liaison-E2E.xml')).toBeDisplayed({ wait: 10_000 });
    await expect($('.composer .xdm-hint')).toHaveText(expect.stringContaining('IHE XDM'));
    await browser.execute(() => document.querySelector('.patient')?.scrollIntoView({ block: 'start' }));
    await screenshot('composer-patient.png');

    await $('button=Envoyer').click();
    // The composer closes only once the engine queued and sent it (errors keep it open).
    await $('.composer').waitForExist({ reverse: true, timeout: 30_000 });
    expect(await $('.send-problem').isExisting()).toBe(false);
    await folderButton('Envoyés').click();
    await messageRow(PATIENT_SUBJECT).waitForDisplayed({ timeout: 45_000 });
    await messageRow(PATIENT_SUBJECT).click();
    await expect($('.reader')).toHaveText(expect.stringContaining('285036444512379@patient.mssante.fr'), { wait: 20_000 });
    // The CDA letter left inside an IHE XDM package naming the patient, which opens as a record.
    await expect($('.reader .attachments').$('.filename=IHE_XDM.ZIP')).toBeDisplayed({ wait: 10_000 });
    expect(await $('.reader .attachments').$('.filename=Lettre-de-liaison-E2E.xml').isExisting()).toBe(false);
    await $('.reader button.open-xdm').click();
    const record = $('#xdm-view');
    await expect(record).toBeDisplayed({ wait: 10_000 });
    await expect(record.$('.patient-ins')).toHaveText('285036444512379');
    await expect(record.$('.patient-name')).toHaveText(expect.stringMatching(/dubois/i));
    await expect(record.$('.document')).toHaveText(expect.stringContaining('Retour à domicile'));
    await browser.execute(() => document.querySelector('#xdm-view')?.scrollIntoView({ block: 'start' }));
    await screenshot('sent-xdm-package.png');
    await record.$("button=Fermer l'aperçu").click();
    await expect(record).not.toBeExisting();
  });

  it('warns before sending outside the MSSanté trust space', async () => {
    await openComposer();
    await addRecipient('#compose-to', 'someone@example.com');
    await $('#compose-subject').setValue('Hors espace de confiance');
    await $('#compose-body').click();
    await browser.keys(['Control', 'Enter']);
    const dialog = $('.confirm[role="alertdialog"]');
    await expect(dialog).toBeDisplayed({ wait: 10_000 });
    await expect(dialog).toHaveText(expect.stringContaining("Hors de l'espace de confiance MSSanté"));
    await expect(dialog).toHaveText(expect.stringContaining('someone@example.com'));
    await screenshot('composer-outside.png');
    await $('button=Revenir au message').click();
    await expect(dialog).not.toBeExisting();
    await expect($('.composer')).toBeDisplayed();
    await $('button=Abandonner').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 10_000 });
  });

  it('sets a signature per box and the download folder in the settings', async () => {
    await $('button=Paramètres').click();
    const dialog = $('.settings');
    await expect(dialog).toBeDisplayed();
    const signature = $(`[id="signature-${MARIE_SECRETARIAT}"]`);
    await expect($(`[id="signature-now-${MARIE_SECRETARIAT}"]`)).toHaveText(
      expect.stringContaining('pour le Secrétariat de cardiologie'),
      { wait: 10_000 },
    );
    await signature.setValue('{name} — Secrétariat de cardiologie, CH Démo (poste 4521)');
    // ECO.2.2.7: the name a patient sees, <Titre>_<Prénom>_<NOM>_<Entité>, from the box's parts.
    await expect($(`[id="patient-facing-${MARIE_SECRETARIAT}"]`)).toHaveText(
      'Un patient voit : Marie_MARTIN_Secrétariat de cardiologie',
    );
    await $(`[id="title-${MARIE_SECRETARIAT}"]`).setValue('Mme');
    await $(`[id="entity-${MARIE_SECRETARIAT}"]`).setValue('CH de Démo');
    await $('#settings-downloads').setValue(artifactsDir);
    await expect($('#settings-lock')).toHaveValue('10');
    await screenshot('settings.png');
    // The dialog's own button: the reader behind it has « Enregistrer » buttons for attachments.
    await dialog.$('button=Enregistrer').click();
    await expect(dialog.$('.saved')).toHaveText('Paramètres enregistrés.', { wait: 10_000 });
    await expect($(`[id="signature-now-${MARIE_SECRETARIAT}"]`)).toHaveText(
      'Signature actuelle : Marie MARTIN — Secrétariat de cardiologie, CH Démo (poste 4521)',
    );
    await expect($(`[id="patient-facing-${MARIE_SECRETARIAT}"]`)).toHaveText('Un patient voit : Mme_Marie_MARTIN_CH de Démo');
    await $('button=Fermer').click();

    await openComposer();
    // The open box is the secretariat: the composer starts from it.
    await expect($('#compose-from')).toHaveValue(MARIE_SECRETARIAT);
    await browser.waitUntil(async () => (await $('#compose-body').getValue()).includes('CH Démo (poste 4521)'), {
      timeout: 10_000,
      timeoutMsg: 'the new signature is not in the body',
    });
    await $('button=Abandonner').click();
    await $('.composer').waitForExist({ reverse: true, timeout: 10_000 });
  });

  it('saves an attachment from the reader into the download folder', async () => {
    await folderButton('Boîte de réception').click();
    const row = messageRow('Adressage — M. GARCIA Louis');
    await row.waitForDisplayed({ timeout: 30_000 });
    await row.click();
    const name = "Courrier d'adressage - GARCIA.pdf";
    await $(`button[aria-label="Enregistrer ${name}"]`).click();
    await waitForNotice(`Enregistré : ${artifactsDir}`);
    expect(fs.existsSync(path.join(artifactsDir, name))).toBe(true);
    expect(fs.readFileSync(path.join(artifactsDir, name)).subarray(0, 5).toString()).toBe('%PDF-');
    await screenshot('reader-attachment-saved.png');
    fs.rmSync(path.join(artifactsDir, name));
    await signOut();
  });
});
