//! Passwords (and client secrets): Argon2id, hashed off the async workers.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use tongban_kernel::Error;

/// The shortest and longest password accepted.
const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 128;

/// The least zxcvbn score accepted: 2 ("somewhat guessable", about 10^8 guesses). Below it are
/// the common and breached-style passwords (`password`, `12345678`, `P@ssw0rd`, keyboard
/// walks, a word and a year) that a guesser tries first.
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Two;

/// Checks a new password against the policy: its length, and how easily it is guessed
/// (zxcvbn's estimate, counting `about` — the holder's name, user name, document number —
/// as known to a guesser). The error names the field.
pub fn check_policy(field: &str, password: &str, about: &[&str]) -> Result<(), Error> {
    let chars = password.chars().count();
    if !(MIN_CHARS..=MAX_CHARS).contains(&chars) {
        return Err(Error::bad_request(
            field,
            format!("must be {MIN_CHARS} to {MAX_CHARS} characters"),
        ));
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::bad_request(field, "must not be digits only"));
    }
    let estimate = zxcvbn::zxcvbn(password, about);
    if estimate.score() < MIN_SCORE {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Err(Error::bad_request(
            field,
            format!(
                "is too easy to guess{hint}: use a longer phrase of unrelated words, not a \
                 common password, a name, a date or a keyboard pattern"
            ),
        ));
    }
    Ok(())
}

/// An Argon2id PHC string for `password` (default parameters: 19 MiB, 2 passes).
pub async fn hash(password: &str) -> Result<String, Error> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(Error::internal)?
}

fn hash_now(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(e.to_string()))
}

/// Whether `password` matches `phc`. With no account (`phc` = None) a dummy hash is checked,
/// so that an unknown login costs the same time as a wrong password.
pub async fn verify(password: &str, phc: Option<&str>) -> bool {
    let password = password.to_owned();
    let known = phc.is_some();
    let phc = phc.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let phc = match phc {
            Some(phc) => phc,
            None => dummy().to_owned(),
        };
        let matches = PasswordHash::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        matches && known
    })
    .await
    .unwrap_or(false)
}

fn dummy() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("a password nobody has").unwrap_or_default())
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    #[test]
    fn common_and_personal_passwords_are_refused() {
        for weak in [
            "password",
            "Password1",
            "P@ssw0rd",
            "qwertyuiop",
            "iloveyou1",
            "abcdefgh",
        ] {
            let refused = check_policy("password", weak, &[]).unwrap_err();
            assert_eq!(refused.status(), 400, "{weak}");
            assert!(
                refused
                    .to_string()
                    .starts_with("password: is too easy to guess")
            );
        }
        assert!(check_policy("password", "12345678", &[]).is_err());
        assert!(check_policy("password", "short1!", &[]).is_err());
        assert!(check_policy("password", "heshan.clerk-password", &[]).is_ok());
        assert!(check_policy("password", "correct horse battery staple", &[]).is_ok());
        // What the guesser knows of the holder (user name, phone) counts against it.
        assert!(check_policy("password", "heshan.clerk1", &[]).is_ok());
        assert!(check_policy("password", "heshan.clerk1", &["heshan.clerk"]).is_err());
        assert!(check_policy("password", "13800138000a", &["13800138000"]).is_err());
    }
}

/// A random secret for a service account, shown once: 32 bytes, base64url.
pub fn new_secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let phc = hash("correct horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse", Some(&phc)).await);
        assert!(!verify("wrong horse", Some(&phc)).await);
        assert!(
            !verify("a password nobody has", None).await,
            "the dummy never matches"
        );
    }

    #[test]
    fn the_policy_names_the_field() {
        let err = check_policy("password", "short", &[]).unwrap_err();
        assert_eq!(err.body().field.as_deref(), Some("password"));
        assert!(check_policy("password", "12345678901", &[]).is_err());
        assert!(check_policy("password", "tongban-2026", &[]).is_ok());
    }
}
