//! Text compared the way people mean it. The same name typed on a Mac (a combining accent), in
//! full-width letters, with a soft hyphen, or with a Cyrillic "а" among Latin letters is one
//! name: conflict checks and uniqueness must not be fooled by how it was typed.
//!
//! - `fold`: NFKC, default-ignorable characters (soft hyphen, zero-width spaces and joiners,
//!   variation selectors, bidi controls) removed, full Unicode case folding, NFKC again.
//! - `skeleton`: the confusable skeleton of UTS #39 over a folded text, folded again, so that
//!   letters that look alike across scripts ("а" and "a", "0" and "o") compare equal. A
//!   skeleton is a comparison key, never shown.
//! - `search_key`: a skeleton without accents, for finding a name from part of it: "cafe"
//!   finds "Café Royal" (a search, never a comparison of identity).
//! - `single_script`: whether a text is written in one script (UTS #39), e.g. for an email
//!   address, where a mixed-script one is refused.

use unicode_normalization::UnicodeNormalization;
use unicode_security::MixedScript;
use unicode_security::confusable_detection;

/// Whether `c` is a default-ignorable code point (Unicode's DerivedCoreProperties): drawn as
/// nothing, so it must not make two names differ.
pub fn is_ignorable(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x034F
            | 0x061C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// NFKC, without ignorables, case-folded (see the module).
pub fn fold(text: &str) -> String {
    let plain: String = text.nfkc().filter(|c| !is_ignorable(*c)).collect();
    caseless::default_case_fold_str(&plain).nfkc().collect()
}

/// The confusable skeleton of `text`, folded: equal for texts that look alike.
pub fn skeleton(text: &str) -> String {
    skeleton_of_folded(&fold(text))
}

/// `skeleton` of a text `fold` has made already.
pub fn skeleton_of_folded(folded: &str) -> String {
    let skeleton: String = confusable_detection::skeleton(folded).collect();
    fold(&skeleton)
}

/// The key a search compares: `skeleton` with accents and other combining marks taken off, so
/// that a person who types "cafe" finds "Café", however either was typed.
pub fn search_key(text: &str) -> String {
    skeleton(text)
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .nfc()
        .collect()
}

/// Whether `text` is written in a single script (characters common to all scripts, such as
/// digits and punctuation, fit any).
pub fn single_script(text: &str) -> bool {
    text.is_single_script()
}

/// A spreadsheet cell that will not run: one that starts with `=`, `+`, `-` or `@` (or a tab
/// The text with its first letter in upper case ("identifiers" → "Identifiers").
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// or carriage return) gets a leading `'`. Every CSV the service writes passes through it.
pub fn neutral_cell(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attack run's variants of "Café Royal": each is the same name.
    #[test]
    fn the_variants_of_a_name_have_one_skeleton() {
        let key = skeleton("Café Royal");
        for variant in [
            "Cafe\u{301} Royal",        // the accent as a combining mark, as macOS types it
            "Ｃａｆé Ｒｏｙａｌ",       // full-width letters
            "Ca\u{AD}fé Roy\u{200B}al", // a soft hyphen and a zero-width space
            "C\u{430}fé Royal",         // a Cyrillic "а"
            "CAFÉ ROYAL",
        ] {
            assert_eq!(skeleton(variant), key, "{variant:?}");
        }
        assert_ne!(
            skeleton("Cafe Royal"),
            key,
            "an accent left out is another spelling"
        );
        assert_ne!(skeleton("Café Royale"), key);
    }

    #[test]
    fn a_search_finds_a_name_typed_without_its_accents() {
        let key = search_key("Café Royal");
        assert_eq!(key, search_key("CAFE ROYAL"));
        assert_eq!(key, search_key("C\u{430}fe\u{301} Ｒｏｙａｌ"));
        assert!(key.contains(&search_key("cafe")));
        assert!(!key.contains(&search_key("caff")));
    }

    #[test]
    fn folding_keeps_letters_and_drops_what_is_not_seen() {
        assert_eq!(fold("ｓｈｏｐａ@example.com"), "shopa@example.com");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("sho\u{AD}pa"), "shopa");
    }

    #[test]
    fn mixed_scripts_are_told_apart() {
        assert!(single_script("shopa"));
        assert!(single_script("иван"));
        assert!(single_script("shop-42"));
        assert!(
            !single_script("sh\u{43E}pa"),
            "a Cyrillic о among Latin letters"
        );
    }
}
