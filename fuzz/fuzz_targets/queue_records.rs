//! Jobs and results as a stranger publishes them on the queue: parsed
//! and checked as a worker takes a job ([`Job::check`]) and as `vfp
//! results` reads a result (its job id against its batch).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vfp_fleet::queue::{job_number, Job, ResultRecord};

fuzz_target!(|data: &[u8]| {
    if let Ok(job) = serde_json::from_slice::<Job>(data) {
        if job.check().is_ok() {
            // A job that passes is of its batch, and names a plain path.
            assert!(job_number(&job.batch, &job.id).is_some());
            assert!(!job.path.chars().any(char::is_control));
        }
    }
    if let Ok(result) = serde_json::from_slice::<ResultRecord>(data) {
        let _ = job_number(&result.batch, &result.job_id);
    }
});
