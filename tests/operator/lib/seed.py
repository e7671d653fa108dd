#!/usr/bin/env python3
"""Seed the local operator's boxes with mail that makes the demo look real.

French mail of a cardiology secretariat, a private practice and an EHPAD: discharge letters
and lab results with PDF attachments, a CDA document in an IHE XDM zip, an HTML newsletter
with remote images, a reply thread (with the secretariat's answer in its shared Sent,
tagged with its author), and one malformed message. Written straight into the Maildirs
before Dovecot starts. Standard library only. All people, patients and content are made up.

Usage: seed.py OP_DIR PERSONAS_JSON
"""

import email.policy
import email.utils
import io
import json
import pathlib
import sys
import time
import zipfile
from email.message import EmailMessage

DIR = pathlib.Path(sys.argv[1])
PERSONAS = json.loads(pathlib.Path(sys.argv[2]).read_text(encoding="utf-8"))
NOW = time.time()
HOUR = 3600
DAY = 24 * HOUR
POLICY = email.policy.SMTP  # CRLF line ends, as on the wire
_counter = [0]

BOXES = {b["address"]: b for b in PERSONAS["boxes"]}
PEOPLE = {p["id"]: p for p in PERSONAS["people"]}
PATIENTS = {p["birth_name"]: p for p in PERSONAS["patients"]}

SECRETARIAT = "secretariat.cardio@ch-demo.mssante.fr"
LEROY = "jacques.leroy@cardio-pau.mssante.fr"
DURAND = "pierre.durand@ch-demo.mssante.fr"
BENALI = "karim.benali@ch-demo.mssante.fr"
MARTIN = "marie.martin@ch-demo.mssante.fr"
ROUX = "helene.roux@cabinet-vignes.mssante.fr"
CABINET = "cabinet@cabinet-vignes.mssante.fr"
ACCUEIL = "accueil@ehpad-tilleuls.mssante.fr"
FONTAINE = "isabelle.fontaine@ehpad-tilleuls.mssante.fr"
BIOLOGIE = "noreply-biologie@ch-demo.mssante.fr"
NIL = "RELAIS-DEMO-SEED"


def named(address):
    box = BOXES.get(address)
    name = box["display_name"] if box else address.split("@")[0]
    if box and box["kind"] == "nominative":
        name = "Dr " + name if "Médecin" in PEOPLE[box["owner"]]["profession"] or "ardio" in PEOPLE[box["owner"]]["profession"] else name
    return email.utils.formataddr((name, address))


def author_header(person_id):
    """The X-Relais-Author value (see crates/relais-core, module author)."""
    p = PEOPLE[person_id]
    ident = p["national_id"] or f'login:{p["login"]}'
    value = f'id={ident}; name="{p["given_name"]} {p["family_name"]}"'
    if p.get("box"):
        value += f'; addr={p["box"]}'
    return value


def pdf(lines):
    """A small valid one-page PDF showing `lines` (WinAnsi text, Helvetica)."""
    def esc(s):
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    text = "BT /F1 11 Tf 56 780 Td 15 TL " + " ".join(f"({esc(l)}) '" for l in lines) + " ET"
    stream = text.encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def xdm_zip(patient):
    """An IHE XDM zip holding one CDA R2 document, as MSSanté senders attach them."""
    cda = f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.2.8.2.1"/>
  <code code="11488-4" codeSystem="2.16.840.1.113883.6.1" displayName="Compte rendu de consultation"/>
  <title>Compte rendu de consultation de cardiologie</title>
  <effectiveTime value="20261118103000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.8" extension="{patient['ins']}"/>
    <patient><name><family qualifier="BR">{patient['birth_name']}</family><given>{patient['first_names']}</given></name>
    <administrativeGenderCode code="{patient['sex']}"/><birthTime value="{patient['birth_date'].replace('-', '')}"/></patient>
  </patientRole></recordTarget>
  <component><nonXMLBody><text mediaType="text/plain">Patient vu en consultation. ECG sinusal. Poursuite du traitement.</text></nonXMLBody></component>
</ClinicalDocument>
"""
    metadata = f"""<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
  <rim:RegistryObjectList>
    <rim:ExtrinsicObject id="Document01" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">
      <rim:Slot name="URI"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value></rim:ValueList></rim:Slot>
      <rim:Slot name="sourcePatientId"><rim:ValueList><rim:Value>{patient['ins']}^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH</rim:Value></rim:ValueList></rim:Slot>
      <rim:Slot name="sourcePatientInfo"><rim:ValueList><rim:Value>PID-5|{patient['birth_name']}^{patient['first_names']}^^^^^L</rim:Value><rim:Value>PID-7|{patient['birth_date'].replace('-', '')}</rim:Value><rim:Value>PID-8|{patient['sex']}</rim:Value></rim:ValueList></rim:Slot>
      <rim:Name><rim:LocalizedString value="Compte rendu de consultation de cardiologie"/></rim:Name>
    </rim:ExtrinsicObject>
  </rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("INDEX.HTM", "<html><body><a href=\"IHE_XDM/SUBSET01/DOC0001.XML\">Compte rendu</a></body></html>")
        z.writestr("README.TXT", "Contenu IHE XDM produit par le logiciel de demonstration.\r\n")
        z.writestr("IHE_XDM/SUBSET01/METADATA.XML", metadata)
        z.writestr("IHE_XDM/SUBSET01/DOC0001.XML", cda)
    return buf.getvalue()


def make(frm, to, subject, body, age, *, cc=None, html=None, attachments=(), headers=None,
         msgid=None, in_reply_to=None, references=None, sender=None):
    msg = EmailMessage(policy=POLICY)
    msg["From"] = frm
    if sender:
        msg["Sender"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(NOW - age, localtime=False)
    msg["Message-ID"] = msgid or email.utils.make_msgid(domain="seed.operateur-demo.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    msg["X-MSS-NIL"] = NIL
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=POLICY), age


def store(address, folder, raw_age, flags=""):
    raw, age = raw_age
    local, domain = address.split("@")
    maildir = DIR / "mail" / domain / local / "Maildir"
    folder_dir = maildir if folder == "INBOX" else maildir / ("." + folder)
    for sub in ("cur", "new", "tmp"):
        (folder_dir / sub).mkdir(parents=True, exist_ok=True)
    _counter[0] += 1
    stamp = int(NOW - age)
    name = f"{stamp}.M{_counter[0]}P1.relais-seed,S={len(raw)}:2,{''.join(sorted(flags))}"
    path = folder_dir / "cur" / name
    path.write_bytes(raw)
    # Maildir files are ordered by mtime on first scan: make it the message's date.
    import os
    os.utime(path, (stamp, stamp))


def letter_pdf(title, patient, lines):
    p = patient
    return pdf([
        "Centre hospitalier de demonstration - Service de cardiologie",
        "",
        title,
        f"Patient : {p['birth_name']} {p['first_names']} - ne(e) le {p['birth_date']} - INS {p['ins']}",
        "",
        *lines,
        "",
        "Document de demonstration - donnees fictives.",
    ])


def seed_secretariat():
    garcia, dubois, santoni = PATIENTS["GARCIA"], PATIENTS["DUBOIS"], PATIENTS["SANTONI"]
    inbox = lambda m, flags="": store(SECRETARIAT, "INBOX", m, flags)
    sent = lambda m, flags="S": store(SECRETARIAT, "Sent", m, flags)

    # A reply thread: Dr Leroy asks, the secretariat (Marie) answers from the shared box, he confirms.
    t1 = "<rdv-dubois-1@cardio-pau.mssante.fr>"
    t2 = "<rdv-dubois-2@ch-demo.mssante.fr>"
    t3 = "<rdv-dubois-3@cardio-pau.mssante.fr>"
    inbox(make(named(LEROY), named(SECRETARIAT), "Rendez-vous de contrôle — Mme DUBOIS Camille",
               "Bonjour,\n\nPourriez-vous proposer un rendez-vous de contrôle avec le Dr Durand pour Mme DUBOIS Camille "
               "(née le 14/03/1985), dans les trois semaines ?\n\nBien confraternellement,\nDr Jacques LEROY\nCardiologue — Pau\n",
               3 * DAY + 2 * HOUR, msgid=t1), "S")
    sent(make(named(SECRETARIAT), named(LEROY), "Re: Rendez-vous de contrôle — Mme DUBOIS Camille",
              "Bonjour Docteur,\n\nMme DUBOIS est convoquée le mardi 1er décembre à 10 h 30 avec le Dr Durand.\n\n"
              "Bien cordialement,\n\nMarie MARTIN — pour le Secrétariat de cardiologie\n",
              3 * DAY, msgid=t2, in_reply_to=t1, sender=MARTIN,
              headers={"X-Relais-Author": author_header("marie.martin")}))
    inbox(make(named(LEROY), named(SECRETARIAT), "Re: Rendez-vous de contrôle — Mme DUBOIS Camille",
               "Parfait, merci beaucoup. Je préviens la patiente.\n\nDr LEROY\n",
               2 * DAY + 20 * HOUR, msgid=t3, in_reply_to=t2, references=f"{t1} {t2}"), "S")

    inbox(make(named(LEROY), named(SECRETARIAT), "Adressage — M. GARCIA Louis, douleur thoracique d'effort",
               "Chère consœur, cher confrère,\n\nJe vous adresse M. GARCIA Louis, 64 ans, pour une douleur thoracique "
               "d'effort récente. ECG de repos joint au courrier.\n\nMerci de lui proposer une consultation rapide.\n\n"
               "Dr Jacques LEROY\n",
               2 * HOUR, attachments=[("Courrier d'adressage - GARCIA.pdf", "application/pdf",
                                       letter_pdf("Courrier d'adressage", garcia, ["Douleur thoracique d'effort depuis 3 semaines.", "ECG : rythme sinusal, pas de trouble de repolarisation."]))]))
    inbox(make(named(BIOLOGIE), named(SECRETARIAT), "Résultats de biologie — DUBOIS Camille (prélèvement du 18/11)",
               "Bonjour,\n\nVeuillez trouver ci-joint les résultats validés.\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.\n",
               5 * HOUR, attachments=[("résultats-biologie-DUBOIS.pdf", "application/pdf",
                                       letter_pdf("Resultats de biologie", dubois, ["Troponine Tc : 4 ng/L (N < 14)", "NT-proBNP : 85 pg/mL", "Kaliemie : 4,1 mmol/L"]))]))
    inbox(make(named(DURAND), named(SECRETARIAT), "Lettre de sortie — M. GARCIA Louis, à envoyer au Dr LEROY",
               "Bonjour,\n\nLa lettre de sortie de M. GARCIA est validée : merci de l'envoyer au Dr LEROY et à la patiente "
               "par sa messagerie Mon espace santé.\n\nPierre DURAND\n",
               26 * HOUR, attachments=[("Lettre de sortie - GARCIA Louis.pdf", "application/pdf",
                                        letter_pdf("Lettre de sortie d'hospitalisation", garcia, ["Hospitalisation du 16/11 au 19/11/2026.", "Coronarographie : lesion de l'IVA traitee par angioplastie et stent actif.", "Traitement de sortie : aspirine, ticagrelor, atorvastatine, bisoprolol."]))]), "SF")
    inbox(make(named(LEROY), named(SECRETARIAT), "Compte rendu de consultation (CDA) — Mme SANTONI Lucia",
               "Bonjour,\n\nVeuillez trouver ci-joint le compte rendu de consultation au format CDA (IHE XDM).\n\nDr LEROY\n",
               30 * HOUR, attachments=[("IHE_XDM.ZIP", "application/zip", xdm_zip(santoni))],
               headers={"X-MSS-CODECDA": "11488-4", "X-MSS-INS": "O"}), "S")
    newsletter_html = """<html><body style="font-family:sans-serif">
<h1 style="color:#0b5d7a">La lettre du GHT de démonstration — novembre 2026</h1>
<img src="https://newsletter.ght-demo.example/banniere.png" alt="Bannière" width="600">
<p>Au sommaire : la nouvelle filière insuffisance cardiaque, les formations MSSanté du trimestre
et le calendrier des gardes de décembre.</p>
<p><img src="https://tracker.ght-demo.example/pixel.gif?id=1234" width="1" height="1" alt=""></p>
<p><a href="https://ght-demo.example/lettre/novembre">Lire la lettre en ligne</a></p>
<p>Une question ? <a href="mailto:lettre@ght-demo.mssante.fr?subject=Question">Écrire à la rédaction</a></p>
</body></html>"""
    inbox(make(email.utils.formataddr(("La lettre du GHT", "lettre@ght-demo.mssante.fr")), named(SECRETARIAT),
               "La lettre du GHT — novembre 2026",
               "La lettre du GHT de démonstration — novembre 2026.\nLire en ligne : https://ght-demo.example/lettre/novembre\n",
               20 * HOUR, html=newsletter_html))

    # One malformed message: a broken boundary, an unknown charset, truncated base64, a bad date.
    malformed = (
        "From: =?x-inconnu?q?Exp=E9diteur_douteux?= <inconnu@ch-demo.mssante.fr>\r\n"
        f"To: {SECRETARIAT}\r\n"
        "Subject: =?utf-8?q?Message_mal_form=C3=A9?= (test)\r\n"
        "Date: mardi 31 novembre 2026 25:61\r\n"
        "Message-ID: <malforme-1@ch-demo.mssante.fr>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"frontiere-annoncee\"\r\n"
        "\r\n"
        "--autre-frontiere\r\n"
        "Content-Type: text/plain; charset=x-inconnu\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "Q2UgbWVzc2FnZSBlc3QgbWFsIGZvcm3p=\r\n=?\r\n"
        "--autre-frontiere\r\n"
        "Content-Type: application/pdf; name=\"tronque.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "JVBERi0xLjQK%%%\r\n"
    ).encode("latin-1")
    inbox((malformed, 28 * HOUR))

    # Everyday traffic so the list looks like a real morning.
    filler = [
        (LEROY, "Demande de rendez-vous — M. PETIT Jean-Marc", "Bonjour, pourriez-vous proposer un rendez-vous à M. PETIT pour un holter ECG ?", 6 * HOUR, ""),
        (ROUX, "Patient de retour à domicile — merci pour le suivi", "Bonjour, je vous remercie pour la prise en charge de M. GARCIA. Je le revois la semaine prochaine.", 8 * HOUR, ""),
        (FONTAINE, "Résidente de l'EHPAD Les Tilleuls — consultation à programmer", "Bonjour, Mme NGUYEN, résidente, doit être vue en consultation de cardiologie. Elle se déplace en ambulance.", 9 * HOUR, ""),
        (BENALI, "Planning des consultations de décembre", "Bonjour, je serai absent du 14 au 18 décembre : merci de reporter mes consultations.", 11 * HOUR, "S"),
        (DURAND, "Échographies de la semaine prochaine", "Merci de confirmer les échographies de lundi et mardi auprès des patients.", 13 * HOUR, "S"),
        (BIOLOGIE, "Résultats de biologie — GARCIA Louis (prélèvement du 19/11)", "Résultats validés disponibles dans le dossier patient.", 15 * HOUR, "S"),
        (LEROY, "Holter ECG — résultat de M. PETIT", "Le holter est normal. Pas de nouvelle consultation nécessaire.", 4 * DAY, "S"),
        (ROUX, "Demande d'avis — Mme LAURENT, souffle cardiaque", "Bonjour, pourriez-vous voir Mme LAURENT pour un souffle systolique découvert à l'examen ?", 4 * DAY + 3 * HOUR, "S"),
        (DURAND, "Réunion de service jeudi 14 h", "Ordre du jour : organisation des astreintes et nouvelle filière IC.", 5 * DAY, "S"),
        (BIOLOGIE, "Résultats de biologie — LAURENT Odile", "Résultats validés disponibles.", 6 * DAY, "S"),
        (FONTAINE, "Transmission — retour de Mme NGUYEN à l'EHPAD", "Mme NGUYEN est rentrée à l'EHPAD. Le traitement a bien été repris.", 7 * DAY, "S"),
        (LEROY, "Courrier — M. ROBERT Henri, suivi post-infarctus", "Bonjour, suivi à 6 mois de M. ROBERT : merci de programmer l'épreuve d'effort.", 8 * DAY, "S"),
    ]
    for frm, subject, body, age, flags in filler:
        inbox(make(named(frm), named(SECRETARIAT), subject, body + "\n\nCordialement.\n", age), flags)

    # The shared Sent: what each colleague sent, each message tagged with its author.
    sent(make(named(SECRETARIAT), named(ROUX), "Compte rendu de consultation — M. GARCIA Louis",
              "Bonjour Docteur,\n\nVeuillez trouver ci-joint le compte rendu de consultation de M. GARCIA.\n\n"
              "Sophie BERNARD — pour le Secrétariat de cardiologie\n",
              2 * DAY, headers={"X-Relais-Author": author_header("sophie.bernard")},
              attachments=[("Compte rendu - GARCIA.pdf", "application/pdf", letter_pdf("Compte rendu de consultation", garcia, ["Consultation du 20/11/2026."]))]))
    sent(make(named(SECRETARIAT), named(FONTAINE), "Consultation de Mme NGUYEN — convocation",
              "Bonjour,\n\nMme NGUYEN est convoquée le 3 décembre à 14 h. Merci de prévoir le transport.\n\n"
              "Marie MARTIN — pour le Secrétariat de cardiologie\n",
              5 * HOUR, sender=MARTIN, headers={"X-Relais-Author": author_header("marie.martin")}))


def seed_others():
    garcia, dubois = PATIENTS["GARCIA"], PATIENTS["DUBOIS"]
    store(MARTIN, "INBOX", make(named(DURAND), named(MARTIN), "Congés de fin d'année",
                                 "Bonjour Marie,\n\nPeux-tu m'indiquer tes dates de congés pour le planning ?\n\nPierre\n", 10 * HOUR))
    store(MARTIN, "INBOX", make(email.utils.formataddr(("Direction des soins", "direction.soins@ch-demo.mssante.fr")), named(MARTIN),
                                 "Formation MSSanté — jeudi 10 h", "Rappel : formation à la messagerie sécurisée jeudi à 10 h, salle 2.\n", 2 * DAY), "S")
    store(DURAND, "INBOX", make(named(LEROY), named(DURAND), "Avis sur un ECG",
                                 "Cher confrère, pourrais-tu jeter un œil à cet ECG ?\n", 7 * HOUR,
                                 attachments=[("ECG.pdf", "application/pdf", letter_pdf("ECG", garcia, ["Rythme sinusal, 72/min."]))]))
    store(BENALI, "INBOX", make(named(DURAND), named(BENALI), "Astreinte du week-end", "Karim, peux-tu prendre l'astreinte samedi ?\n", 3 * HOUR))
    store(ROUX, "INBOX", make(named(BIOLOGIE), named(ROUX), "Résultats de biologie — DUBOIS Camille",
                               "Résultats validés ci-joints.\n", 4 * HOUR,
                               attachments=[("resultats-DUBOIS.pdf", "application/pdf", letter_pdf("Resultats de biologie", dubois, ["Hemoglobine : 13,2 g/dL"]))]))
    store(CABINET, "INBOX", make(named(SECRETARIAT), named(CABINET), "Compte rendu d'hospitalisation — M. GARCIA Louis",
                                  "Bonjour,\n\nVeuillez trouver ci-joint la lettre de sortie de M. GARCIA.\n\nSecrétariat de cardiologie\n", 20 * HOUR,
                                  sender=MARTIN, headers={"X-Relais-Author": author_header("marie.martin")},
                                  attachments=[("Lettre de sortie - GARCIA Louis.pdf", "application/pdf", letter_pdf("Lettre de sortie", garcia, ["Hospitalisation du 16/11 au 19/11/2026."]))]))
    store(ACCUEIL, "INBOX", make(named(SECRETARIAT), named(ACCUEIL), "Consultation de Mme NGUYEN — convocation",
                                  "Bonjour,\n\nMme NGUYEN est convoquée le 3 décembre à 14 h. Merci de prévoir le transport.\n", 5 * HOUR,
                                  sender=MARTIN, headers={"X-Relais-Author": author_header("marie.martin")}))
    store(ACCUEIL, "INBOX", make(email.utils.formataddr(("Pharmacie du Centre", "pharmacie.centre@pro.mssante.fr")), named(ACCUEIL),
                                  "Livraison des piluliers — semaine 48", "Bonjour, la livraison des piluliers aura lieu mercredi matin.\n", DAY), "S")
    store(FONTAINE, "INBOX", make(named(ROUX), named(FONTAINE), "Visite des résidents jeudi",
                                   "Bonjour, je passerai jeudi après-midi voir Mme NGUYEN et M. BLANC.\n", 6 * HOUR))
    store(LEROY, "INBOX", make(named(SECRETARIAT), named(LEROY), "Re: Rendez-vous de contrôle — Mme DUBOIS Camille",
                                "Mme DUBOIS est convoquée le mardi 1er décembre à 10 h 30 avec le Dr Durand.\n", 3 * DAY,
                                sender=MARTIN, headers={"X-Relais-Author": author_header("marie.martin")}), "S")


def ensure_all_maildirs():
    for box in PERSONAS["boxes"]:
        local, domain = box["address"].split("@")
        maildir = DIR / "mail" / domain / local / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    ensure_all_maildirs()
    seed_secretariat()
    seed_others()
