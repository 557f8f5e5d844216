//! A signature made by OpenSSL 3 verifies with Tongban's SM2 (and a changed byte does not):
//! the other direction of the certificates' independent verification (`tests/e2e/gm.rs`).
//! Skipped without an OpenSSL that has SM2, unless TONGBAN_REQUIRE_GM_TOOLS is set (CI).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails

use std::process::Command;

use tongban_vault::sm2::{DISTINGUISHING_ID, Sm2Public};

fn have_openssl_sm2() -> bool {
    Command::new("openssl")
        .args(["list", "-digest-algorithms"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("SM3"))
}

/// A key, a signature and its public key made by OpenSSL 3 verify in Tongban.
#[test]
fn a_signature_made_by_openssl_verifies_in_tongban() {
    if !have_openssl_sm2() {
        assert!(
            std::env::var_os("TONGBAN_REQUIRE_GM_TOOLS").is_none(),
            "openssl 3 with SM2 is required"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let document = "{\"type\":\"营业执照\",\"issuer\":\"赫山区市场监督管理局\"}";
    std::fs::write(dir.path().join("data"), document).unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:SM2",
        "-out",
        "key.pem",
    ]);
    openssl(&["pkey", "-in", "key.pem", "-pubout", "-out", "public.pem"]);
    let distid = format!("distid:{DISTINGUISHING_ID}");
    openssl(&[
        "pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-digest", "sm3", "-pkeyopt", &distid,
        "-in", "data", "-out", "sig.der",
    ]);
    let pem = std::fs::read_to_string(dir.path().join("public.pem")).unwrap();
    let key = Sm2Public::from_pem(&pem).expect("Tongban reads OpenSSL's SM2 public key");
    let der = std::fs::read(dir.path().join("sig.der")).unwrap();
    assert_eq!(key.verify(document.as_bytes(), &der), Ok(()));
    let mut changed = document.as_bytes().to_vec();
    changed[3] ^= 1;
    assert!(key.verify(&changed, &der).is_err(), "a changed byte");
    // and without the identifier (OpenSSL's default is empty) it is another signature
    openssl(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        "key.pem",
        "-rawin",
        "-digest",
        "sm3",
        "-in",
        "data",
        "-out",
        "plain.der",
    ]);
    let plain = std::fs::read(dir.path().join("plain.der")).unwrap();
    assert!(
        key.verify(document.as_bytes(), &plain).is_err(),
        "another identifier"
    );
}
