//! Any bytes as an `IHE_XDM.ZIP` attachment: `read_xdm` never panics, stays within its
//! limits, and what it accepts keeps its documents inside the package with sanitised HTML.
//! First byte 0: the bytes are the zip itself. Otherwise the rest is wrapped in a valid zip
//! as METADATA.XML and as the document it names, so the XML readers get most of the work.
#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use relais_mail::xdm::{read_xdm_with, XdmLimits};

const LIMITS: XdmLimits = XdmLimits {
    max_files: 64,
    max_file_bytes: 4 * 1024 * 1024,
    max_total_bytes: 16 * 1024 * 1024,
    max_ratio: 100,
    max_xml_depth: 256,
};

fn wrapped(xml: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored);
    for name in ["IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.XML"] {
        if w.start_file(name, options).is_err() || w.write_all(xml).is_err() {
            return Vec::new();
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let zip = if mode == 0 { rest.to_vec() } else { wrapped(rest) };
    let Ok(package) = read_xdm_with(&zip, LIMITS) else {
        return;
    };
    for doc in &package.documents {
        assert!(doc.path.starts_with(&package.subset), "{}", doc.path);
        assert!(!doc.path.split('/').any(|p| p == ".."), "{}", doc.path);
        assert!(doc.size <= LIMITS.max_file_bytes);
        if let Some(html) = &doc.html {
            let lower = html.to_ascii_lowercase();
            assert!(!lower.contains("<script"), "{html}");
            assert!(!lower.contains(" on"), "event handler kept: {html}");
        }
    }
});
