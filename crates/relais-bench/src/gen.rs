//! Realistic, deterministic mail for a secretariat box: French text, a mix of sizes (short
//! notes, long letters, HTML alternatives), PDF attachments in about one message in twelve,
//! threads of replies, dates that grow with the UID over three years, and the flags of a box
//! that is worked in (most old mail read, some flagged or answered, the newest unread).
//!
//! Non-ASCII header text is written as RFC 2047 encoded words, as real clients do.

use base64::Engine as _;

/// A small, fast, deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 1000 < percent * 10
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn hash(i: usize, salt: u64) -> u64 {
    Rng::new((i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D) ^ salt).next()
}

const SENDERS: &[(&str, &str)] = &[
    ("Dr Jacques LEROY", "jacques.leroy@cardio-pau.mssante.fr"),
    (
        "Laboratoire de biologie",
        "noreply-biologie@ch-demo.mssante.fr",
    ),
    ("Dr Hélène ROUX", "helene.roux@cabinet-vignes.mssante.fr"),
    ("Dr Pierre DURAND", "pierre.durand@ch-demo.mssante.fr"),
    ("Dr Karim BENALI", "karim.benali@ch-demo.mssante.fr"),
    ("Service d'imagerie", "imagerie@ch-demo.mssante.fr"),
    (
        "Dr Françoise MOREAU",
        "francoise.moreau@clinique-saint-jean.mssante.fr",
    ),
    (
        "Dr Émile GARNIER",
        "emile.garnier@cabinet-rive-gauche.mssante.fr",
    ),
    (
        "Dr Nathalie CHEVALIER",
        "nathalie.chevalier@chu-bordeaux.mssante.fr",
    ),
    (
        "Dr Thomas LAMBERT",
        "thomas.lambert@chu-toulouse.mssante.fr",
    ),
    (
        "Secrétariat de chirurgie",
        "secretariat.chirurgie@ch-demo.mssante.fr",
    ),
    ("Pharmacie centrale", "pharmacie@ch-demo.mssante.fr"),
    (
        "Isabelle FONTAINE",
        "isabelle.fontaine@ehpad-tilleuls.mssante.fr",
    ),
    (
        "Dr Benoît FAURE",
        "benoit.faure@cabinet-des-halles.mssante.fr",
    ),
    (
        "Dr Céline ROUSSEAU",
        "celine.rousseau@sos-medecins.mssante.fr",
    ),
    (
        "Cabinet de kinésithérapie",
        "kine.dupuis@kine-pau.mssante.fr",
    ),
    ("Dr Lucas MERCIER", "lucas.mercier@ch-demo.mssante.fr"),
    ("Dr Amélie BLANC", "amelie.blanc@ch-demo.mssante.fr"),
    ("Centre de radiologie", "radiologie@imagerie-sud.mssante.fr"),
    (
        "Dr Olivier GIRARD",
        "olivier.girard@clinique-saint-jean.mssante.fr",
    ),
];

const PATIENTS: &[&str] = &[
    "M. DUPONT Jean",
    "Mme LEFEBVRE Anne",
    "M. GARCIA Louis",
    "Mme DUBOIS Camille",
    "M. NGUYEN Thi Mai",
    "Mme SANTONI Lucia",
    "M. PETIT Bernard",
    "Mme ROBERT Josiane",
    "M. RICHARD Henri",
    "Mme DURAND Élise",
    "M. MOREL Gérard",
    "Mme FOURNIER Chantal",
    "M. GIRAUD René",
    "Mme BONNET Sylvie",
    "M. ANDRÉ François",
    "Mme MERCIER Odette",
    "M. BLANCHARD Léon",
    "Mme GUÉRIN Paulette",
];

const SUBJECTS: &[&str] = &[
    "Compte rendu de consultation",
    "Résultats d'analyses",
    "Lettre de liaison : hospitalisation",
    "Demande de rendez-vous en cardiologie",
    "Échographie cardiaque",
    "Ordonnance de sortie",
    "Bilan sanguin",
    "Holter ECG des 24 heures",
    "Coronarographie programmée",
    "Avis spécialisé",
    "Compte rendu opératoire",
    "Scanner thoracique",
    "IRM cardiaque",
    "Épreuve d'effort",
    "Suivi post-opératoire",
    "Renouvellement de traitement anticoagulant",
    "Transfert en soins de suite",
    "Allergie à la pénicilline signalée",
    "Consultation d'annonce",
    "Séances de kinésithérapie",
];

const SENTENCES: &[&str] = &[
    "Je vous remercie de m'avoir adressé votre patient pour un avis cardiologique.",
    "L'examen clinique retrouve un souffle systolique éjectionnel au foyer aortique.",
    "La fraction d'éjection ventriculaire gauche est estimée à 55 % en méthode de Simpson.",
    "Le bilan biologique montre une créatininémie stable et une kaliémie normale.",
    "Je propose de poursuivre le traitement par bêtabloquant à la même posologie.",
    "Un contrôle échographique est à prévoir dans six mois.",
    "Le patient ne décrit ni douleur thoracique ni dyspnée d'effort.",
    "L'électrocardiogramme de repos est en rythme sinusal, sans trouble de la repolarisation.",
    "Nous avons réalisé une coronarographie qui met en évidence une sténose de l'IVA moyenne.",
    "Une angioplastie avec mise en place d'un stent actif a été effectuée sans complication.",
    "La sortie est prévue demain matin avec une ordonnance de double antiagrégation plaquettaire.",
    "Merci de bien vouloir programmer un rendez-vous de contrôle dans trois semaines.",
    "Vous trouverez ci-joint le compte rendu complet ainsi que les résultats biologiques.",
    "Le holter des vingt-quatre heures ne retrouve pas de trouble du rythme significatif.",
    "L'épreuve d'effort est cliniquement et électriquement négative à 85 % de la FMT.",
    "Je reste à votre disposition pour tout renseignement complémentaire.",
    "Pourriez-vous nous transmettre la liste des traitements en cours avant l'intervention ?",
    "La patiente signale une allergie à la pénicilline, à noter dans le dossier.",
    "Le scanner thoracique ne montre pas d'embolie pulmonaire.",
    "L'INR est à 2,6 ; pas de modification de la dose d'antivitamine K.",
    "Une IRM cardiaque est demandée pour préciser la cinétique segmentaire.",
    "Le patient a été informé des bénéfices et des risques de la procédure.",
    "Les séances de kinésithérapie de réadaptation cardiaque peuvent débuter.",
    "Le bilan lipidique reste au-dessus des objectifs malgré la statine.",
    "Je vous propose d'augmenter l'atorvastatine à 80 mg par jour.",
    "La tension artérielle est à 132/78 mmHg en consultation.",
    "Le traitement diurétique a été majoré en raison d'œdèmes des membres inférieurs.",
    "Confraternellement,",
    "Bien cordialement, le secrétariat.",
    "Le dossier a été transmis à l'équipe de l'EHPAD pour le suivi.",
];

const DOMAIN_WORDS: &[&str] = &[
    "cardiologie",
    "hospitalisation",
    "ordonnance",
    "consultation",
    "rendez-vous",
    "urgence",
];

/// The Message-ID of message `i` of a box.
pub fn message_id(i: usize, tag: &str) -> String {
    format!("bench-{tag}-{i}@relais.test")
}

/// Whether message `i` answers the one before it (threads of about three messages).
fn is_reply(i: usize) -> bool {
    i > 0 && hash(i, 7) % 100 < 35
}

fn thread_root(mut i: usize) -> usize {
    while is_reply(i) {
        i -= 1;
    }
    i
}

/// Subject of a thread started by message `root`.
fn root_subject(root: usize) -> String {
    let s = SUBJECTS[(hash(root, 11) as usize) % SUBJECTS.len()];
    let p = PATIENTS[(hash(root, 13) as usize) % PATIENTS.len()];
    format!("{s} — {p}")
}

fn encoded_word(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        )
    }
}

fn mailbox_header(name: &str, address: &str) -> String {
    if name.is_ascii() {
        format!("\"{name}\" <{address}>")
    } else {
        format!("{} <{address}>", encoded_word(name))
    }
}

/// `16 Nov 2026 10:05:00 +0100` from unix seconds (civil date, Howard Hinnant's algorithm).
fn rfc2822(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{d} {} {y} {:02}:{:02}:{:02} +0000",
        MONTHS[(m - 1) as usize],
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn paragraph(rng: &mut Rng, sentences: usize) -> String {
    let mut text = String::new();
    for k in 0..sentences {
        text.push_str(rng.pick(SENTENCES));
        text.push(if k % 4 == 3 { '\n' } else { ' ' });
    }
    text.push('\n');
    text
}

fn wrap_base64(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// A PDF-looking file of `size` bytes (a header, then incompressible filler, then `%%EOF`).
pub fn pdf_bytes(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut bytes =
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\nstream\n".to_vec();
    while bytes.len() < size {
        bytes.extend_from_slice(&rng.next().to_le_bytes());
    }
    let end = b"\n%%EOF\n";
    bytes.truncate(size.saturating_sub(end.len()));
    bytes.extend_from_slice(end);
    bytes
}

/// Message `i` of a box of `n` addressed to `to`, with its Maildir flags.
pub fn message(i: usize, n: usize, to: &str, tag: &str) -> (Vec<u8>, &'static str) {
    let mut rng = Rng::new(hash(i, 0xBEEF));
    let (sender_name, sender) = SENDERS[(hash(i, 3) as usize) % SENDERS.len()];
    let root = thread_root(i);
    let subject = if root == i {
        root_subject(i)
    } else {
        format!("Re: {}", root_subject(root))
    };
    // Three years of mail, in UID order, a few minutes of jitter.
    let start: i64 = 1_672_531_200; // 2023-01-01
    let span: i64 = 3 * 365 * 86_400;
    let date = start + (span * i as i64) / n.max(1) as i64 + (rng.below(600) as i64);
    let mut head = format!(
        "Return-Path: <{sender}>\r\nFrom: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\n\
         Message-ID: <{}>\r\nMIME-Version: 1.0\r\nX-MSS-NIL: BENCH\r\n",
        mailbox_header(sender_name, sender),
        to,
        encoded_word(&subject),
        rfc2822(date),
        message_id(i, tag),
    );
    if root != i {
        let refs: Vec<String> = (root..i)
            .map(|k| format!("<{}>", message_id(k, tag)))
            .collect();
        head.push_str(&format!(
            "In-Reply-To: <{}>\r\nReferences: {}\r\n",
            message_id(i - 1, tag),
            refs.join(" ")
        ));
    }
    if rng.chance(5) {
        head.push_str(&format!(
            "Cc: {}\r\n",
            mailbox_header(
                "Secrétariat de cardiologie",
                "secretariat.cardio@ch-demo.mssante.fr"
            )
        ));
    }

    // Body: mostly short notes, some long letters.
    let sentences = match rng.below(100) {
        0..=59 => 2 + rng.below(8),
        60..=89 => 10 + rng.below(30),
        _ => 40 + rng.below(120),
    };
    let mut text = format!(
        "Bonjour,\n\nConcernant {} ({}).\n\n",
        PATIENTS[(hash(root, 13) as usize) % PATIENTS.len()],
        rng.pick(DOMAIN_WORDS)
    );
    text.push_str(&paragraph(&mut rng, sentences));
    text.push_str(&format!("\n{sender_name}\n"));
    let text = text.replace('\n', "\r\n");
    let html = rng.chance(20);
    let pdf = rng.chance(8);
    let boundary = format!("=_relais_bench_{i}");

    let text_part = format!(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"
    );
    let body_part = if html {
        let html_text = format!(
            "<html><body><p>{}</p></body></html>\r\n",
            text.replace("\r\n\r\n", "</p><p>")
                .replace("\r\n", "<br>\r\n")
        );
        format!(
            "Content-Type: multipart/alternative; boundary=\"{boundary}-alt\"\r\n\r\n\
             --{boundary}-alt\r\n{text_part}\r\n--{boundary}-alt\r\n\
             Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             {html_text}\r\n--{boundary}-alt--\r\n"
        )
    } else {
        text_part
    };
    let mut raw = head;
    if pdf {
        // Mostly 30–150 kB, sometimes up to 1.5 MB (scans).
        let size = if rng.chance(5) {
            500_000 + rng.below(1_000_000)
        } else {
            30_000 + rng.below(120_000)
        };
        let file = pdf_bytes(&mut rng, size);
        let name = if rng.chance(50) {
            format!("filename*=utf-8''r%C3%A9sultats-{i}.pdf")
        } else {
            format!("filename=\"compte-rendu-{i}.pdf\"")
        };
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
             --{boundary}\r\n{body_part}\r\n--{boundary}\r\n\
             Content-Type: application/pdf\r\nContent-Disposition: attachment; {name}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
            wrap_base64(&file)
        ));
    } else {
        raw.push_str(&body_part);
    }

    // Flags: the newest 3 % mostly unread; older mail read, some answered or flagged.
    let recent = i * 100 >= n * 97;
    let seen = if recent {
        rng.chance(30)
    } else {
        rng.chance(92)
    };
    let flagged = rng.chance(3);
    let answered = seen && rng.chance(10);
    let flags = match (flagged, answered, seen) {
        (true, true, _) => "FRS",
        (true, false, true) => "FS",
        (true, false, false) => "F",
        (false, true, _) => "RS",
        (false, false, true) => "S",
        (false, false, false) => "",
    };
    (raw.into_bytes(), flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_messages_parse() {
        assert_eq!(rfc2822(1_672_531_200), "1 Jan 2023 00:00:00 +0000");
        let (raw, _) = message(5, 100, "a@b.fr", "t");
        let text = String::from_utf8(raw).unwrap_or_default();
        assert!(text.contains("Message-ID: <bench-t-5@relais.test>"));
    }
}
