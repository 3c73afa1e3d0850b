//! Ed25519 verification of bytes that stream: one SHA-512 pass over
//! `R || A || message` (a [`StreamHasher`], so the host does the
//! arithmetic) and then the point check, here.
//!
//! The checks are `ed25519-dalek`'s `verify_strict`, split where streaming
//! needs it (`verify_stream` hashes in the component, out of the host's
//! reach): before any byte, `s` must be canonical, `R` a point not of small
//! order and the key not weak; at the end, `[s]B - [k]A` must compress to
//! `R`'s bytes, with `k` the hash reduced mod ℓ. The curve arithmetic is
//! `curve25519-dalek`'s. The tests hold it to `verify_strict`.

use crate::trust::digest::StreamHasher;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::{Signature, VerifyingKey};

/// A signature being checked while its message streams.
pub struct StreamedSignature {
    key: VerifyingKey,
    r: CompressedEdwardsY,
    s: Scalar,
    hash: StreamHasher,
}

impl StreamedSignature {
    /// Starts checking `signature` by `key`; `None` when it is refused
    /// before any byte (see the module's documentation).
    pub fn start(key: &VerifyingKey, signature: &Signature) -> Option<StreamedSignature> {
        let s = Option::from(Scalar::from_canonical_bytes(*signature.s_bytes()))?;
        let r = CompressedEdwardsY(*signature.r_bytes());
        let r_ok = r.decompress().is_some_and(|r| !r.is_small_order());
        if !r_ok || key.is_weak() {
            return None;
        }
        let mut hash = StreamHasher::sha512();
        hash.update(r.as_bytes());
        hash.update(key.as_bytes());
        Some(StreamedSignature {
            key: *key,
            r,
            s,
            hash,
        })
    }

    /// Feeds the next bytes of the message.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hash.update(bytes);
    }

    /// Whether the signature is the key's over every byte fed.
    pub fn verify(self) -> bool {
        let Ok(digest) = <[u8; 64]>::try_from(self.hash.finish()) else {
            return false;
        };
        let k = Scalar::from_bytes_mod_order_wide(&digest);
        let minus_a = -self.key.to_edwards();
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &minus_a, &self.s).compress()
            == self.r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::{Signer as _, SigningKey};

    fn streamed(key: &VerifyingKey, signature: &Signature, message: &[u8]) -> bool {
        let Some(mut check) = StreamedSignature::start(key, signature) else {
            return false;
        };
        for piece in message.chunks(7) {
            check.update(piece);
        }
        check.verify()
    }

    /// A deterministic stream of bytes for keys, messages and mutations.
    fn bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn agrees_with_verify_strict_on_good_and_altered_signatures() {
        for seed in 0..200u64 {
            let key = SigningKey::from_bytes(&bytes(seed, 32).try_into().unwrap());
            let message = bytes(seed + 1000, (seed as usize * 37) % 300);
            let signature = key.sign(&message);
            let public = key.verifying_key();
            assert!(streamed(&public, &signature, &message), "seed {seed}");
            // One bit flipped in the signature, then in the message.
            let mut raw = signature.to_bytes();
            raw[(seed as usize * 5) % 64] ^= 1 << (seed % 8);
            let altered = Signature::from_bytes(&raw);
            assert_eq!(
                streamed(&public, &altered, &message),
                public.verify_strict(&message, &altered).is_ok(),
                "seed {seed}"
            );
            if !message.is_empty() {
                let mut other = message.clone();
                other[seed as usize % message.len()] ^= 0x80;
                assert!(!streamed(&public, &signature, &other));
            }
            // Another key.
            let stranger = SigningKey::from_bytes(&bytes(seed + 5000, 32).try_into().unwrap());
            assert!(!streamed(&stranger.verifying_key(), &signature, &message));
        }
    }

    #[test]
    fn refuses_what_verify_strict_refuses_before_hashing() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key();
        let message = b"plugin bytes";
        let good = key.sign(message).to_bytes();

        // s + ℓ: the same scalar mod ℓ, not canonical.
        let mut high_s = good;
        let s = Scalar::from_canonical_bytes(good[32..].try_into().unwrap()).unwrap();
        let l_plus_s = {
            // ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
            let l: [u8; 32] = [
                0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
                0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
            ];
            let mut sum = [0u8; 32];
            let mut carry = 0u16;
            for i in 0..32 {
                let v = l[i] as u16 + s.as_bytes()[i] as u16 + carry;
                sum[i] = v as u8;
                carry = v >> 8;
            }
            sum
        };
        high_s[32..].copy_from_slice(&l_plus_s);
        let high_s = Signature::from_bytes(&high_s);
        assert!(public.verify_strict(message, &high_s).is_err());
        assert!(StreamedSignature::start(&public, &high_s).is_none());

        // R of small order.
        let mut small_r = good;
        small_r[..32].copy_from_slice(EIGHT_TORSION[1].compress().as_bytes());
        let small_r = Signature::from_bytes(&small_r);
        assert!(public.verify_strict(message, &small_r).is_err());
        assert!(StreamedSignature::start(&public, &small_r).is_none());

        // A weak key (of small order), with any signature.
        let weak = VerifyingKey::from_bytes(EIGHT_TORSION[2].compress().as_bytes()).unwrap();
        assert!(weak.verify_strict(message, &key.sign(message)).is_err());
        assert!(StreamedSignature::start(&weak, &key.sign(message)).is_none());
    }

    /// Points `verify_strict` sees through: R or the key moved by a torsion
    /// point (mixed order), and R written with a non-canonical y.
    #[test]
    fn agrees_with_verify_strict_on_mixed_order_and_non_canonical_points() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let public = key.verifying_key();
        let message = b"plugin bytes";
        let good = key.sign(message).to_bytes();
        let r = CompressedEdwardsY(good[..32].try_into().unwrap())
            .decompress()
            .unwrap();
        let agree = |key: &VerifyingKey, raw: [u8; 64]| {
            let signature = Signature::from_bytes(&raw);
            assert_eq!(
                streamed(key, &signature, message),
                key.verify_strict(message, &signature).is_ok(),
                "{}",
                hex::encode(raw)
            );
        };
        for torsion in &EIGHT_TORSION[1..] {
            let mut mixed_r = good;
            mixed_r[..32].copy_from_slice((r + torsion).compress().as_bytes());
            agree(&public, mixed_r);
            let mixed_key =
                VerifyingKey::from_bytes((public.to_edwards() + torsion).compress().as_bytes())
                    .unwrap();
            agree(&mixed_key, good);
        }
        // y + p for small y: the same point when it decodes, another
        // encoding of it.
        let p_plus = |y: u8| {
            let mut bytes = [0xff; 32];
            bytes[0] = 0xed_u8.wrapping_add(y);
            bytes[31] = 0x7f;
            bytes
        };
        for y in 2..18u8 {
            let mut non_canonical = good;
            non_canonical[..32].copy_from_slice(&p_plus(y));
            agree(&public, non_canonical);
        }
        agree(&public, good);
    }

    #[test]
    fn rfc_8032_test_vector() {
        // RFC 8032, 7.1, TEST 2: one byte, 0x72.
        let public: [u8; 32] =
            hex::decode("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
                .unwrap()
                .try_into()
                .unwrap();
        let signature: [u8; 64] = hex::decode(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        )
        .unwrap()
        .try_into()
        .unwrap();
        let key = VerifyingKey::from_bytes(&public).unwrap();
        let signature = Signature::from_bytes(&signature);
        assert!(streamed(&key, &signature, &[0x72]));
        assert!(!streamed(&key, &signature, &[0x73]));
    }
}
