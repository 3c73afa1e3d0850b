//! The cryptography sigstore-verify runs on, written with RustCrypto.
//!
//! sigstore-verify's own provider is aws-lc, which is C and does not build
//! for wasm32-wasip2; without its default features the library asks for a
//! `CryptoProvider` to be installed instead. Verifying a bundle needs only
//! hashes and signature checks, so this provider does nothing else (making
//! keys and signing keep the trait's refusing defaults):
//!
//! - SHA-256, SHA-384 and SHA-512 (`sha2`);
//! - Ed25519 with `verify_strict` (`ed25519-dalek`: a non-canonical S,
//!   and small-order keys and R, refused), as the installer's own Ed25519
//!   checks are;
//! - ECDSA over P-256 and P-384 (`p256`, `p384`) with either SHA-256 or
//!   SHA-384, the signature DER-encoded as X.509, RFC 6962 and Rekor write
//!   it, checked over the prehash;
//! - RSA PKCS#1 v1.5 and PSS (salt as long as the digest) with SHA-256,
//!   SHA-384 or SHA-512, 2048 to 8192 bits (`rsa`): the public-good instance
//!   uses none today, but a private Sigstore's CA or CT log may (one of the
//!   conformance suite's does).
//!
//! ML-DSA is refused: no trusted root uses it yet, and refusing is the safe
//! answer to an algorithm this provider does not carry.

use sha2::{Digest as _, Sha256, Sha384, Sha512};
use sigstore_verify::crypto::{
    CryptoProvider, Error, HashContext, Result, SigningScheme, install_default_provider,
};
use sigstore_verify::types::HashAlgorithm;

/// The provider. It holds nothing: every call is a pure function of its
/// arguments.
#[derive(Debug)]
pub struct RustCrypto;

static PROVIDER: RustCrypto = RustCrypto;

/// Makes this provider the one sigstore-verify uses, once per process.
///
/// sigstore-verify panics when it needs a provider and none is installed, so
/// every entry point into it calls this first. A second call finds the slot
/// taken (by this same provider: nothing else in the crate installs one)
/// and does nothing.
pub fn install() {
    let _already_installed = install_default_provider(&PROVIDER);
}

impl CryptoProvider for RustCrypto {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>> {
        Ok(match algorithm {
            HashAlgorithm::Sha2256 => Box::new(Hashing(Sha256::new())),
            HashAlgorithm::Sha2384 => Box::new(Hashing(Sha384::new())),
            HashAlgorithm::Sha2512 => Box::new(Hashing(Sha512::new())),
            // `HashAlgorithm` is non-exhaustive: a hash added upstream is
            // refused until this provider is taught it.
            other => {
                return Err(Error::UnsupportedAlgorithm(format!(
                    "hash {other} is not supported by this verifier"
                )));
            }
        })
    }

    // The one-shot hashes have defaults that go through `hash` and
    // `expect()` the digest length; these cannot fail, so nothing panics.
    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    fn sha384(&self, data: &[u8]) -> [u8; 48] {
        Sha384::digest(data).into()
    }

    fn sha512(&self, data: &[u8]) -> [u8; 64] {
        Sha512::digest(data).into()
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        public_key: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        if scheme == SigningScheme::Ed25519 {
            return verify_ed25519(public_key, data, signature);
        }
        // ECDSA signs a hash of the message: hash it with the scheme's
        // algorithm and check the signature over that.
        let Some(algorithm) = scheme.hash_algorithm() else {
            return Err(unsupported(scheme));
        };
        let mut context = self.hash(algorithm)?;
        context.update(data);
        let digest = context.finalize();
        self.verify_prehashed(scheme, public_key, &digest, signature)
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        public_key: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        // The digest's length is the caller's to match to the scheme
        // (sigstore-crypto checks it); both curves accept a SHA-256 or a
        // SHA-384 prehash (FIPS 186-5: truncated or zero-extended to the
        // order's length).
        match scheme {
            SigningScheme::EcdsaP256Sha256 | SigningScheme::EcdsaP256Sha384 => {
                verify_p256(public_key, digest, signature)
            }
            SigningScheme::EcdsaP384Sha256 | SigningScheme::EcdsaP384Sha384 => {
                verify_p384(public_key, digest, signature)
            }
            SigningScheme::RsaPkcs1Sha256
            | SigningScheme::RsaPkcs1Sha384
            | SigningScheme::RsaPkcs1Sha512
            | SigningScheme::RsaPssSha256
            | SigningScheme::RsaPssSha384
            | SigningScheme::RsaPssSha512 => verify_rsa(scheme, public_key, digest, signature),
            other => Err(unsupported(other)),
        }
    }
}

fn unsupported(scheme: SigningScheme) -> Error {
    Error::UnsupportedAlgorithm(format!(
        "{} signatures are not supported by this verifier",
        scheme.name()
    ))
}

fn invalid(what: &str) -> Error {
    Error::Verification(format!("{what} signature invalid"))
}

fn verify_ed25519(public_key: &[u8], data: &[u8], signature: &[u8]) -> Result<()> {
    let key = <[u8; 32]>::try_from(public_key)
        .ok()
        .and_then(|bytes| ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| Error::InvalidKey("not an Ed25519 public key".into()))?;
    let signature =
        ed25519_dalek::Signature::from_slice(signature).map_err(|_| invalid("Ed25519"))?;
    key.verify_strict(data, &signature)
        .map_err(|_| invalid("Ed25519"))
}

fn verify_p256(public_key: &[u8], digest: &[u8], signature: &[u8]) -> Result<()> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
        .map_err(|_| Error::InvalidKey("not a P-256 public key".into()))?;
    let signature =
        p256::ecdsa::Signature::from_der(signature).map_err(|_| invalid("ECDSA P-256"))?;
    key.verify_prehash(digest, &signature)
        .map_err(|_| invalid("ECDSA P-256"))
}

fn verify_p384(public_key: &[u8], digest: &[u8], signature: &[u8]) -> Result<()> {
    use p384::ecdsa::signature::hazmat::PrehashVerifier as _;
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
        .map_err(|_| Error::InvalidKey("not a P-384 public key".into()))?;
    let signature =
        p384::ecdsa::Signature::from_der(signature).map_err(|_| invalid("ECDSA P-384"))?;
    key.verify_prehash(digest, &signature)
        .map_err(|_| invalid("ECDSA P-384"))
}

/// `public_key` is a PKCS#1 `RSAPublicKey` (what an SPKI's bit string
/// holds); `digest` the message's hash by the scheme's algorithm, whose
/// length the padding checks.
fn verify_rsa(
    scheme: SigningScheme,
    public_key: &[u8],
    digest: &[u8],
    signature: &[u8],
) -> Result<()> {
    use rsa::pkcs1::DecodeRsaPublicKey as _;
    use rsa::traits::PublicKeyParts as _;
    use rsa::{Pkcs1v15Sign, Pss};
    let key = rsa::PublicKey::from_pkcs1_der(public_key)
        .ok()
        // The library takes 1024-bit keys; sigstore-crypto's floor is 2048.
        .filter(|key| key.size() >= 2048 / 8)
        .ok_or_else(|| Error::InvalidKey("not an RSA public key of 2048 to 8192 bits".into()))?;
    let verified = match scheme {
        SigningScheme::RsaPkcs1Sha256 => {
            key.verify(Pkcs1v15Sign::new::<Sha256>(), digest, signature)
        }
        SigningScheme::RsaPkcs1Sha384 => {
            key.verify(Pkcs1v15Sign::new::<Sha384>(), digest, signature)
        }
        SigningScheme::RsaPkcs1Sha512 => {
            key.verify(Pkcs1v15Sign::new::<Sha512>(), digest, signature)
        }
        SigningScheme::RsaPssSha256 => key.verify(Pss::<Sha256>::new(), digest, signature),
        SigningScheme::RsaPssSha384 => key.verify(Pss::<Sha384>::new(), digest, signature),
        SigningScheme::RsaPssSha512 => key.verify(Pss::<Sha512>::new(), digest, signature),
        other => return Err(unsupported(other)),
    };
    verified.map_err(|_| invalid(scheme.name()))
}

/// A running hash behind sigstore's `HashContext`.
struct Hashing<D>(D);

impl<D: sha2::Digest + Send> HashContext for Hashing<D> {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::hazmat::PrehashSigner as _;

    fn sha256(data: &[u8]) -> Vec<u8> {
        Sha256::digest(data).to_vec()
    }

    // A fixed scalar: the tests sign natively with it, deterministically
    // (RFC 6979), and the provider must accept exactly those signatures.
    fn p256_key() -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap()
    }

    fn p384_key() -> p384::ecdsa::SigningKey {
        p384::ecdsa::SigningKey::from_slice(&[9u8; 48]).unwrap()
    }

    fn p256_public(key: &p256::ecdsa::SigningKey) -> Vec<u8> {
        key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
    }

    fn p384_public(key: &p384::ecdsa::SigningKey) -> Vec<u8> {
        key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
    }

    #[test]
    fn hashes_match_the_fips_180_vectors_for_abc() {
        let hex_of = |algorithm| {
            let mut context = RustCrypto.hash(algorithm).unwrap();
            context.update(b"a");
            context.update(b"bc");
            hex::encode(context.finalize())
        };
        assert_eq!(
            hex_of(HashAlgorithm::Sha2256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(hex_of(HashAlgorithm::Sha2384).starts_with("cb00753f45a35e8bb5a03d699ac65007"));
        assert!(hex_of(HashAlgorithm::Sha2512).starts_with("ddaf35a193617abacc417349ae204131"));
        assert_eq!(RustCrypto.sha256(b"abc").to_vec(), sha256(b"abc"));
        assert_eq!(RustCrypto.sha384(b"abc").len(), 48);
        assert_eq!(RustCrypto.sha512(b"abc").len(), 64);
    }

    #[test]
    fn ed25519_accepts_the_rfc_8032_vector_and_refuses_it_altered() {
        // RFC 8032, section 7.1, TEST 2 (one-byte message 0x72).
        let public =
            hex::decode("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
                .unwrap();
        let signature = hex::decode(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        )
        .unwrap();
        let scheme = SigningScheme::Ed25519;
        RustCrypto
            .verify_raw(scheme, &public, &[0x72], &signature)
            .unwrap();
        assert!(
            RustCrypto
                .verify_raw(scheme, &public, &[0x73], &signature)
                .is_err()
        );
        let mut altered = signature.clone();
        altered[0] ^= 1;
        assert!(
            RustCrypto
                .verify_raw(scheme, &public, &[0x72], &altered)
                .is_err()
        );
        assert!(
            RustCrypto
                .verify_raw(scheme, &public[..31], &[0x72], &signature)
                .is_err()
        );
        assert!(
            RustCrypto
                .verify_raw(scheme, &public, &[0x72], &signature[..63])
                .is_err()
        );
        // There is no prehashed Ed25519 here (that would be Ed25519ph).
        assert!(
            RustCrypto
                .verify_prehashed(scheme, &public, &[0; 32], &signature)
                .is_err()
        );
    }

    #[test]
    fn ecdsa_p256_accepts_a_der_signature_over_the_message_or_its_prehash() {
        let key = p256_key();
        let digest = sha256(b"artefact");
        let signature: p256::ecdsa::Signature = key.sign_prehash(&digest).unwrap();
        let der = signature.to_der().as_bytes().to_vec();
        let public = p256_public(&key);
        let scheme = SigningScheme::EcdsaP256Sha256;
        RustCrypto
            .verify_raw(scheme, &public, b"artefact", &der)
            .unwrap();
        RustCrypto
            .verify_prehashed(scheme, &public, &digest, &der)
            .unwrap();
    }

    #[test]
    fn ecdsa_refuses_a_wrong_signature_message_key_or_encoding() {
        let key = p256_key();
        let digest = sha256(b"artefact");
        let signature: p256::ecdsa::Signature = key.sign_prehash(&digest).unwrap();
        let der = signature.to_der().as_bytes().to_vec();
        let public = p256_public(&key);
        let scheme = SigningScheme::EcdsaP256Sha256;
        // Another message, another key, a flipped bit in s.
        assert!(
            RustCrypto
                .verify_raw(scheme, &public, b"artefakt", &der)
                .is_err()
        );
        let other = p256::ecdsa::SigningKey::from_slice(&[8u8; 32]).unwrap();
        assert!(
            RustCrypto
                .verify_raw(scheme, &p256_public(&other), b"artefact", &der)
                .is_err()
        );
        let mut flipped = der.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(
            RustCrypto
                .verify_raw(scheme, &public, b"artefact", &flipped)
                .is_err()
        );
        // The fixed-size (r || s) form is not DER, and is refused.
        let fixed = signature.to_bytes().to_vec();
        assert!(
            RustCrypto
                .verify_raw(scheme, &public, b"artefact", &fixed)
                .is_err()
        );
        // A P-256 key is not a P-384 one, and junk is not a key.
        let p384 = SigningScheme::EcdsaP384Sha384;
        assert!(
            RustCrypto
                .verify_raw(p384, &public, b"artefact", &der)
                .is_err()
        );
        assert!(
            RustCrypto
                .verify_raw(scheme, b"junk", b"artefact", &der)
                .is_err()
        );
        assert!(
            RustCrypto
                .verify_raw(scheme, &public, b"artefact", b"")
                .is_err()
        );
    }

    #[test]
    fn ecdsa_p384_verifies_with_sha384_and_with_sha256() {
        let key = p384_key();
        let public = p384_public(&key);
        for (scheme, digest) in [
            (
                SigningScheme::EcdsaP384Sha384,
                Sha384::digest(b"log").to_vec(),
            ),
            (SigningScheme::EcdsaP384Sha256, sha256(b"log")),
        ] {
            let signature: p384::ecdsa::Signature =
                p384::ecdsa::signature::hazmat::PrehashSigner::sign_prehash(&key, &digest).unwrap();
            let der = signature.to_der().as_bytes().to_vec();
            RustCrypto
                .verify_raw(scheme, &public, b"log", &der)
                .unwrap();
            assert!(
                RustCrypto
                    .verify_raw(scheme, &public, b"lag", &der)
                    .is_err()
            );
        }
    }

    #[test]
    fn ecdsa_p256_with_sha384_hashes_with_sha384() {
        let key = p256_key();
        let digest = Sha384::digest(b"tree head").to_vec();
        let signature: p256::ecdsa::Signature = key.sign_prehash(&digest).unwrap();
        let der = signature.to_der().as_bytes().to_vec();
        let public = p256_public(&key);
        RustCrypto
            .verify_raw(SigningScheme::EcdsaP256Sha384, &public, b"tree head", &der)
            .unwrap();
        // The same signature read as over SHA-256 is another message.
        let sha256_scheme = SigningScheme::EcdsaP256Sha256;
        assert!(
            RustCrypto
                .verify_raw(sha256_scheme, &public, b"tree head", &der)
                .is_err()
        );
    }

    #[test]
    fn ml_dsa_is_refused_as_unsupported() {
        let scheme = SigningScheme::MlDsa65;
        let error = RustCrypto.verify_raw(scheme, b"k", b"m", b"s").unwrap_err();
        assert!(matches!(error, Error::UnsupportedAlgorithm(_)), "{error}");
        assert!(
            RustCrypto
                .verify_prehashed(scheme, b"k", &[0; 32], b"s")
                .is_err()
        );
    }

    // A 2048-bit key (PKCS#1 RSAPublicKey, e = 65537) and signatures over
    // "rsa vector", made with openssl 3:
    //   openssl pkeyutl -sign -pkeyopt digest:sha256 [-pkeyopt rsa_padding_mode:pss
    //     -pkeyopt rsa_pss_saltlen:digest] over the SHA-256 of the message.
    const RSA_KEY: &str = include_str!("testdata/rsa2048.pkcs1.hex");
    const RSA_PKCS1_SHA256: &str = include_str!("testdata/rsa2048.pkcs1-sha256.sig.hex");
    const RSA_PSS_SHA256: &str = include_str!("testdata/rsa2048.pss-sha256.sig.hex");

    fn unhex(text: &str) -> Vec<u8> {
        hex::decode(text.trim()).unwrap()
    }

    #[test]
    fn rsa_pkcs1_and_pss_vectors_verify_and_refuse_another_message() {
        let key = unhex(RSA_KEY);
        for (scheme, signature) in [
            (SigningScheme::RsaPkcs1Sha256, unhex(RSA_PKCS1_SHA256)),
            (SigningScheme::RsaPssSha256, unhex(RSA_PSS_SHA256)),
        ] {
            RustCrypto
                .verify_raw(scheme, &key, b"rsa vector", &signature)
                .unwrap();
            assert!(
                RustCrypto
                    .verify_raw(scheme, &key, b"rsa vectors", &signature)
                    .is_err()
            );
            let mut flipped = signature.clone();
            flipped[10] ^= 1;
            assert!(
                RustCrypto
                    .verify_raw(scheme, &key, b"rsa vector", &flipped)
                    .is_err()
            );
        }
        // The padding is part of the check: PKCS#1 is not PSS, nor SHA-384.
        let pkcs1 = unhex(RSA_PKCS1_SHA256);
        for scheme in [SigningScheme::RsaPssSha256, SigningScheme::RsaPkcs1Sha384] {
            assert!(
                RustCrypto
                    .verify_raw(scheme, &key, b"rsa vector", &pkcs1)
                    .is_err()
            );
        }
        // Junk is not a key.
        let scheme = SigningScheme::RsaPkcs1Sha256;
        assert!(
            RustCrypto
                .verify_raw(scheme, b"junk", b"rsa vector", &pkcs1)
                .is_err()
        );
    }

    #[test]
    fn signing_is_refused() {
        use sigstore_verify::crypto::KeyAlgorithm;
        assert!(
            RustCrypto
                .generate_key_pair(KeyAlgorithm::EcdsaP256)
                .is_err()
        );
        assert!(RustCrypto.key_pair_from_pkcs8_der(b"").is_err());
    }

    #[test]
    fn once_installed_sigstore_crypto_verifies_through_it() {
        install();
        install();
        let key = p256_key();
        let signature: p256::ecdsa::Signature = key.sign_prehash(&sha256(b"x")).unwrap();
        let spki = {
            use p256::pkcs8::EncodePublicKey as _;
            key.verifying_key()
                .to_public_key_der()
                .unwrap()
                .as_bytes()
                .to_vec()
        };
        let public = sigstore_verify::types::DerPublicKey::new(spki);
        let signature =
            sigstore_verify::types::SignatureBytes::new(signature.to_der().as_bytes().to_vec());
        let scheme = SigningScheme::EcdsaP256Sha256;
        sigstore_verify::crypto::verify_signature(&public, b"x", &signature, scheme).unwrap();
        assert!(
            sigstore_verify::crypto::verify_signature(&public, b"y", &signature, scheme).is_err()
        );
    }
}
