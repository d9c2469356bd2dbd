//! Passwords and tokens: argon2id hashes at rest, HS256 JWTs on the wire.
//!
//! The token is the only source of identity: its `sub` is the user id every request acts as.
//! Tokens carry an expiry; the socket layer closes a live socket with 4001 when it passes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use herald_protocol::wire::User;
use jsonwebtoken::{
    decode, encode, Algorithm as JwtAlg, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::PasswordCost;
use crate::error::{Error, Result};

/// The claims of a Herald token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The display name, so the socket can greet without a lookup.
    pub name: String,
    /// Expiry, unix seconds.
    pub exp: i64,
    /// Issued at, unix seconds.
    pub iat: i64,
}

impl Claims {
    /// The user the token speaks for.
    pub fn user(&self) -> User {
        User {
            id: self.sub.clone(),
            name: self.name.clone(),
        }
    }

    /// When the token stops being valid.
    pub fn expires_at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.exp).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// Issues and checks tokens with one HS256 secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn new(secret: &str) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    /// Mints a token for `user` valid for `ttl` from `now`.
    pub fn mint(
        &self,
        user: &User,
        now: OffsetDateTime,
        ttl: std::time::Duration,
    ) -> Result<String> {
        let iat = now.unix_timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: user.id.clone(),
            name: user.name.clone(),
            exp: iat.saturating_add(ttl),
            iat,
        };
        encode(&Header::new(JwtAlg::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("cannot sign token: {e}")))
    }

    /// Checks signature and expiry (no leeway: an expired token is refused).
    pub fn verify(&self, token: &str) -> Result<Claims> {
        let mut validation = Validation::new(JwtAlg::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| Error::Unauthorized(format!("invalid token ({e}); log in again")))
    }
}

fn hasher(cost: PasswordCost) -> Result<Argon2<'static>> {
    let params = Params::new(cost.memory_kib.max(8), cost.iterations.max(1), 1, None)
        .map_err(|e| Error::Internal(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password for storage (PHC string with a random salt).
pub fn hash_password(password: &str, cost: PasswordCost) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    hasher(cost)?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the stored PHC `hash` (its own parameters are used).
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Pulls the bearer token out of an `Authorization` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trips_and_rejects_wrong_password() {
        let h = hash_password("herald", PasswordCost::CHEAP).unwrap();
        assert!(verify_password("herald", &h));
        assert!(!verify_password("nope", &h));
        assert!(!verify_password("herald", "garbage"));
    }

    #[test]
    fn expired_token_is_refused_and_fresh_one_accepted() {
        let keys = TokenKeys::new("s");
        let user = User {
            id: "u1".into(),
            name: "U".into(),
        };
        let now = OffsetDateTime::now_utc();
        let ok = keys
            .mint(&user, now, std::time::Duration::from_secs(60))
            .unwrap();
        assert_eq!(keys.verify(&ok).unwrap().sub, "u1");
        let old = keys.mint(
            &user,
            now - time::Duration::hours(2),
            std::time::Duration::from_secs(60),
        );
        assert!(keys.verify(&old.unwrap()).is_err());
        assert!(TokenKeys::new("other").verify(&ok).is_err());
    }

    #[test]
    fn bearer_header_is_parsed() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }
}
