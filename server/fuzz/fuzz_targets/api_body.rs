#![no_main]
// See countersign_core::fuzzing::api_body for what must hold.
libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core::fuzzing::api_body(data));
