#![no_main]
// See countersign::fuzzing::config for what must hold.
libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign::fuzzing::config(data));
