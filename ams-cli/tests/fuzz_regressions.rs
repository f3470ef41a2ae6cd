//! Inputs kept under `fuzz/regressions/batch_request/` go through the same parsing as the fuzz
//! target: JSON, argv, the clap parser. None may panic.

#[test]
fn batch_request_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/batch_request");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let text = String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned();
        for line in text.lines() {
            let Ok(req) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            if let Ok((_, argv)) = ams_cli::commands::batch::request_argv(&req, None) {
                let _ = ams_cli::cli::parse_quiet(&argv);
            }
            n += 1;
        }
    }
    assert!(n > 0);
}
