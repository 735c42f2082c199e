//! `.vfp` fingerprint files: decoded as given, and with the trailing
//! checksum made right so that the fuzzer reaches the checks behind it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vfp_fingerprint::format::decode(data);
    if data.len() >= 4 {
        let mut sealed = data.to_vec();
        let body = sealed.len() - 4;
        let crc = crc32fast::hash(&sealed[..body]);
        sealed[body..].copy_from_slice(&crc.to_le_bytes());
        if let Ok(fp) = vfp_fingerprint::format::decode(&sealed) {
            // What decodes must encode again and decode to the same.
            let again = vfp_fingerprint::format::encode(&fp).expect("what decodes encodes");
            let back = vfp_fingerprint::format::decode(&again).expect("re-encoded file decodes");
            assert_eq!(back, fp);
        }
    }
});
