//! Passphrase strength feedback: a rough estimate of the guessing entropy, to steer users away from short or
//! common passphrases. The vault's Argon2id makes each guess expensive; this says how many guesses there are.

/// How strong a passphrase looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Empty.
    Empty,
    /// Easily guessed: refuse.
    Weak,
    /// Acceptable.
    Fair,
    /// Good.
    Strong,
}

impl Strength {
    /// Words for the user.
    pub fn label(self) -> &'static str {
        match self {
            Strength::Empty => "Choose a passphrase",
            Strength::Weak => "Weak: use at least 12 characters, or four random words",
            Strength::Fair => "Fair: longer is better",
            Strength::Strong => "Strong",
        }
    }

    /// Whether a vault may be created with it.
    pub fn acceptable(self) -> bool {
        self >= Strength::Fair
    }
}

const COMMON: &[&str] = &[
    "password",
    "passphrase",
    "123456",
    "qwerty",
    "letmein",
    "bitcoin",
    "binance",
    "bitget",
    "meetcrypt",
    "crypto",
    "iloveyou",
    "admin",
    "welcome",
    "monkey",
    "dragon",
    "abc123",
];

/// Estimated entropy in bits: length times log2 of the character classes used, minus repeats and common words.
pub fn entropy_bits(p: &str) -> f64 {
    let chars: Vec<char> = p.chars().collect();
    if chars.is_empty() {
        return 0.0;
    }
    let mut pool = 0u32;
    if chars.iter().any(|c| c.is_ascii_lowercase()) {
        pool += 26;
    }
    if chars.iter().any(|c| c.is_ascii_uppercase()) {
        pool += 26;
    }
    if chars.iter().any(|c| c.is_ascii_digit()) {
        pool += 10;
    }
    if chars.iter().any(|c| c.is_ascii_punctuation() || *c == ' ') {
        pool += 33;
    }
    if chars.iter().any(|c| !c.is_ascii()) {
        pool += 100;
    }
    // Characters repeating the previous one add little.
    let effective = 1 + chars.windows(2).filter(|w| w[0] != w[1]).count();
    let mut bits = effective as f64 * f64::from(pool.max(1)).log2();
    let lower = p.to_lowercase();
    for word in COMMON {
        if lower.contains(word) {
            bits -= word.len() as f64 * 4.0;
        }
    }
    bits.max(0.0)
}

/// The strength of a passphrase.
pub fn strength(p: &str) -> Strength {
    match entropy_bits(p) {
        b if p.is_empty() || b <= 0.0 => {
            if p.is_empty() {
                Strength::Empty
            } else {
                Strength::Weak
            }
        }
        b if b < 50.0 => Strength::Weak,
        b if b < 75.0 => Strength::Fair,
        _ => Strength::Strong,
    }
}
