//! Independent verification of the SM2 seals: every certificate a test issues is verified, when
//! the test stops its platform, with OpenSSL 3 (`openssl pkeyutl -verify -rawin -digest sm3
//! -pkeyopt distid:1234567812345678`) and with the PyPI package `gmssl`, from the seal
//! signature's record alone (its signed data, public key and DER signature), as a relying party
//! would (`docs/verify-a-certificate.md`). (That a signature OpenSSL makes verifies in Tongban
//! is `libs/vault/tests/openssl.rs`.)
//!
//! Without `openssl` or `gmssl` this is skipped, unless TONGBAN_REQUIRE_GM_TOOLS is set
//! (`.ci/run` installs gmssl and sets it, so CI cannot skip it).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::Value;

use tongban_vault::sm2::{DISTINGUISHING_ID, Sm2Public};

/// What one seal signature is verified from.
#[derive(Clone)]
pub struct Signed {
    pub public_key_pem: String,
    pub data: Vec<u8>,
    pub der: Vec<u8>,
}

impl Signed {
    /// From a certificate's seal signature record (`SealedCertificate.seal`).
    pub fn of_record(seal: &Value) -> Self {
        Self {
            public_key_pem: seal["public_key_pem"]
                .as_str()
                .expect("a PEM key")
                .to_owned(),
            data: seal["signed_data"]
                .as_str()
                .expect("the signed data")
                .as_bytes()
                .to_vec(),
            der: base64::engine::general_purpose::STANDARD
                .decode(seal["signature"].as_str().expect("a signature"))
                .expect("base64 DER"),
        }
    }

    /// The same with one byte of the signed data changed.
    pub fn changed(&self) -> Self {
        let mut data = self.data.clone();
        let at = data.len() / 2;
        data[at] ^= 0x01;
        Self {
            public_key_pem: self.public_key_pem.clone(),
            data,
            der: self.der.clone(),
        }
    }
}

fn required() -> bool {
    std::env::var_os("TONGBAN_REQUIRE_GM_TOOLS").is_some()
}

fn have_openssl_sm2() -> bool {
    Command::new("openssl")
        .args(["list", "-digest-algorithms"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("SM3"))
}

fn have_gmssl() -> bool {
    Command::new("python3")
        .args(["-c", "import gmssl.sm2"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether both tools are here; panics when they are not but must be.
pub fn tools() -> bool {
    let here = have_openssl_sm2() && have_gmssl();
    assert!(
        here || !required(),
        "TONGBAN_REQUIRE_GM_TOOLS is set but openssl 3 with SM2 or the PyPI package gmssl is missing"
    );
    here
}

/// OpenSSL 3's verdict on `signed`.
pub fn openssl_verifies(signed: &Signed, dir: &Path) -> bool {
    let (key, data, signature) = (dir.join("key.pem"), dir.join("data"), dir.join("sig.der"));
    std::fs::write(&key, &signed.public_key_pem).unwrap();
    std::fs::write(&data, &signed.data).unwrap();
    std::fs::write(&signature, &signed.der).unwrap();
    let out = Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
        .arg(&key)
        .args(["-rawin", "-digest", "sm3", "-pkeyopt"])
        .arg(format!("distid:{DISTINGUISHING_ID}"))
        .arg("-in")
        .arg(&data)
        .arg("-sigfile")
        .arg(&signature)
        .output()
        .expect("openssl runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() == said.contains("Signature Verified Successfully"),
        "openssl: {said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.success()
}

/// gmssl's verdicts on `all`, in one Python process. gmssl takes the public key as the hex of
/// X ‖ Y and hashes with the default identifier 1234567812345678 (its only one).
pub fn gmssl_verifies(all: &[Signed]) -> Vec<bool> {
    const SCRIPT: &str = r#"
import sys, json
from gmssl import sm2
for line in sys.stdin:
    item = json.loads(line)
    crypt = sm2.CryptSM2(private_key=None, public_key=item["xy"], asn1=True)
    crypt.public_key = item["xy"]  # gmssl strips leading '0's and '4's, not a leading 04
    ok = crypt.verify_with_sm3(item["sig"], bytes.fromhex(item["data"]))
    print("ok" if ok else "fail", flush=True)
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut input = String::new();
    for signed in all {
        let key = Sm2Public::from_pem(&signed.public_key_pem).expect("an SM2 PEM key");
        let line = serde_json::json!({
            "xy": hex::encode(&key.to_sec1()[1..]),
            "sig": hex::encode(&signed.der),
            "data": hex::encode(&signed.data),
        });
        input.push_str(&format!("{line}\n"));
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "gmssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<bool> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| line == "ok")
        .collect();
    assert_eq!(verdicts.len(), all.len(), "one verdict per signature");
    verdicts
}

/// Verifies every SM2-sealed certificate in the test's database with OpenSSL and gmssl, from
/// its seal record: that what was signed is the document, the key the department's, and the
/// signature good. Called when a test stops its platform.
pub async fn every_certificate_verifies_independently(db: &sqlx::PgPool) {
    let rows: Vec<(uuid::Uuid, Value, Value, Vec<u8>)> = sqlx::query_as(
        "select c.id, c.document, c.seal, k.public_key
         from approval.certificates c join approval.department_sm2_seals k on k.key_id = c.key_id
         where c.seal is not null order by c.id",
    )
    .fetch_all(db)
    .await
    .expect("the certificates");
    if rows.is_empty() || !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    for (id, document, seal, public_key) in rows {
        let signed = Signed::of_record(&seal);
        assert_eq!(
            signed.data,
            tongban_approval::certificate::seal::canonical(&document),
            "certificate {id}: the seal record signs the document"
        );
        assert_eq!(
            Sm2Public::from_pem(&signed.public_key_pem),
            Sm2Public::from_sec1(&public_key),
            "certificate {id}: the seal record's key is the department's"
        );
        assert!(
            openssl_verifies(&signed, dir.path()),
            "certificate {id}: OpenSSL does not verify its seal"
        );
        all.push(signed);
    }
    for (i, ok) in gmssl_verifies(&all).into_iter().enumerate() {
        assert!(ok, "certificate {i}: gmssl does not verify its seal");
    }
}
