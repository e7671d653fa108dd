//! Any text as a matricule INS: `Ins::parse` never panics, and what it accepts is canonical
//! (15 characters, digits or 2A/2B), parses again to itself, also in its printed form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_core::Ins;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(ins) = Ins::parse(text) else {
        return;
    };
    let s = ins.as_str();
    assert_eq!(s.len(), 15, "{s}");
    assert!(
        s.chars()
            .all(|c| c.is_ascii_digit() || c == 'A' || c == 'B'),
        "{s}"
    );
    assert_eq!(Ins::parse(s).as_ref(), Ok(&ins));
    assert_eq!(Ins::parse(&ins.formatted()).as_ref(), Ok(&ins));
    let _ = ins.kind();
    let _ = ins.patient_address();
});
