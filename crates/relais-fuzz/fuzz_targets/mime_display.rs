//! Any bytes as a message: the display model never panics, never overflows the stack, and
//! stays within libFuzzer's time and memory limits; every attachment it lists can be saved.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_mail::{attachment_bytes, parse_reports, MessageDisplay};

fuzz_target!(|data: &[u8]| {
    let shown = MessageDisplay::from_raw(data);
    for attachment in shown.attachments.iter().take(16) {
        let _ = attachment_bytes(data, attachment.index);
    }
    let _ = parse_reports(data);
    let _ = shown.closes_conversation();
});
