#![no_main]
// See countersign_core::fuzzing::consent_csv for what must hold.
libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core::fuzzing::consent_csv(data));
