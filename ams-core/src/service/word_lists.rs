//! Word lists for passphrases: the built-in EFF large list shipped inside ams (read-only), and
//! custom lists imported from a text file and stored in the database.
//!
//! A list file has one word per line. Each line is trimmed and lower-cased; a leading dice number
//! (`11111<TAB>word`, the EFF file format) is dropped; blank lines and `#` comments are ignored.
//! Every remaining line must be a plain word: 1 to 32 ASCII letters. Duplicates are removed, and
//! at least [`MIN_WORDS`] distinct words must remain. The file may be at most [`MAX_FILE_BYTES`].

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ams::Ams;
use crate::crypto::seal::{hex, new_id};
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::store::{ReadTx, WordListRow, on_unique};

/// The id of the built-in list.
pub const BUILTIN_ID: &str = "eff-large";
/// The name of the built-in list.
pub const BUILTIN_NAME: &str = "EFF large wordlist";
/// Fewest distinct words a list may have.
pub const MIN_WORDS: usize = 2000;
/// Most distinct words a list may have.
pub const MAX_WORDS: usize = 65_536;
/// Largest list file accepted.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Longest word.
pub const MAX_WORD_LEN: usize = 32;

const BUILTIN_TEXT: &str = include_str!("../../data/eff-large-wordlist.txt");

/// A word list as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WordListInfo {
    /// List id (`eff-large` for the built-in list).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Language.
    pub language: Option<String>,
    /// Number of distinct words.
    pub word_count: usize,
    /// Bits of entropy one word adds (log2 of the word count).
    pub bits_per_word: f64,
    /// SHA-256 (hex) of the sorted words joined by newlines: agents cache lists by it.
    pub sha256: String,
    /// True for the list shipped with ams (read-only).
    pub built_in: bool,
    /// Created at (empty for the built-in list).
    pub created: Option<String>,
    /// Duplicate lines dropped on import (only in the answer to `word-list new`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates_removed: Option<usize>,
}

/// Bits one word of a list of `n` words adds.
pub fn bits_per_word(n: usize) -> f64 {
    if n == 0 { 0.0 } else { (n as f64).log2() }
}

fn digest(words: &[String]) -> String {
    hex(&Sha256::digest(words.join("\n").as_bytes()))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::WordListInvalid, message)
}

/// The words of a list file, validated and normalised (sorted, distinct), and how many
/// duplicates were dropped.
pub fn parse_list(bytes: &[u8]) -> Result<(Vec<String>, usize)> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(
            invalid(format!("A word list file may be at most {MAX_FILE_BYTES} bytes.")).with("bytes", bytes.len())
        );
    }
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("The word list file is not UTF-8 text."))?;
    let mut set = BTreeSet::new();
    let mut lines = 0usize;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        let word = match (fields.next(), fields.next()) {
            (None, _) => first,
            (Some(w), None) if first.bytes().all(|b| b.is_ascii_digit()) => w,
            _ => return Err(invalid(format!("Line {} has more than one word.", n + 1)).with("line", n + 1)),
        };
        if word.len() > MAX_WORD_LEN || !word.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(invalid(format!(
                "Line {} is not a plain word (1 to {MAX_WORD_LEN} letters a-z, no digits, spaces or punctuation).",
                n + 1
            ))
            .with("line", n + 1));
        }
        lines += 1;
        set.insert(word.to_ascii_lowercase());
    }
    let words: Vec<String> = set.into_iter().collect();
    if words.len() < MIN_WORDS {
        return Err(invalid(format!(
            "A word list needs at least {MIN_WORDS} distinct words; this one has {}.",
            words.len()
        ))
        .with("distinct_words", words.len()));
    }
    if words.len() > MAX_WORDS {
        return Err(invalid(format!("A word list may have at most {MAX_WORDS} words.")));
    }
    let dups = lines - words.len();
    Ok((words, dups))
}

/// The built-in list's words (sorted, distinct).
pub fn builtin_words() -> &'static [String] {
    static WORDS: OnceLock<Vec<String>> = OnceLock::new();
    WORDS.get_or_init(|| parse_list(BUILTIN_TEXT.as_bytes()).map(|(w, _)| w).unwrap_or_default())
}

fn builtin_info() -> WordListInfo {
    let words = builtin_words();
    WordListInfo {
        id: BUILTIN_ID.into(),
        name: BUILTIN_NAME.into(),
        description: Some("EFF Large Wordlist for Passphrases (CC BY 3.0 US; see ams-core/data/NOTICE.md)".into()),
        language: Some("en".into()),
        word_count: words.len(),
        bits_per_word: bits_per_word(words.len()),
        sha256: digest(words),
        built_in: true,
        created: None,
        duplicates_removed: None,
    }
}

fn info(r: &WordListRow) -> WordListInfo {
    let n = usize::try_from(r.word_count).unwrap_or(0);
    WordListInfo {
        id: r.id.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        language: r.language.clone(),
        word_count: n,
        bits_per_word: bits_per_word(n),
        sha256: r.sha256.clone(),
        built_in: false,
        created: Some(r.created_at.clone()),
        duplicates_removed: None,
    }
}

fn not_found(what: &str) -> Error {
    Error::new(ErrorCode::WordListNotFound, "No word list has that id or name.")
        .hint("List them with `ams word-list get`.")
        .with("word_list", what)
}

/// A list (built-in or custom) by id or name, inside the caller's transaction.
pub(crate) fn find_in(tx: &(impl ReadTx + ?Sized), id_or_name: &str) -> Result<WordListInfo> {
    if id_or_name.eq_ignore_ascii_case(BUILTIN_ID) || id_or_name.eq_ignore_ascii_case(BUILTIN_NAME) {
        return Ok(builtin_info());
    }
    let mut found = tx.word_lists(Some(id_or_name), None)?;
    if found.is_empty() {
        found = tx.word_lists(None, Some(id_or_name))?;
    }
    found.first().map(info).ok_or_else(|| not_found(id_or_name))
}

/// The words of a list by id, inside the caller's transaction.
pub(crate) fn words_in(tx: &(impl ReadTx + ?Sized), id: &str) -> Result<Vec<String>> {
    if id == BUILTIN_ID {
        return Ok(builtin_words().to_vec());
    }
    let words = tx.word_list_words(id)?;
    if words.is_empty() { Err(not_found(id)) } else { Ok(words) }
}

impl Ams {
    /// Imports a custom word list from the bytes of a list file.
    pub fn word_list_new(
        &self,
        name: &str,
        description: Option<&str>,
        language: Option<&str>,
        file: &[u8],
    ) -> Result<WordListInfo> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(invalid("A word list name must be 1 to 64 characters."));
        }
        if name.eq_ignore_ascii_case(BUILTIN_NAME) || name.eq_ignore_ascii_case(BUILTIN_ID) {
            return Err(Error::new(ErrorCode::WordListExists, "That name belongs to the built-in word list."));
        }
        let (words, dups) = parse_list(file)?;
        let row = WordListRow {
            id: new_id()?.to_string(),
            name: name.to_string(),
            description: description.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
            language: language.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
            word_count: i64::try_from(words.len()).map_err(|_| Error::internal("count"))?,
            sha256: digest(&words),
            created_at: self.now(),
        };
        self.store.write(|tx| {
            tx.insert_word_list(&row, &words).map_err(|e| {
                on_unique(e, || {
                    Error::new(ErrorCode::WordListExists, "A word list with that name already exists.")
                        .with("name", name)
                })
            })?;
            audit::record(
                self,
                tx,
                Event::success("word_list.new", "word_list", &row.id)
                    .details(serde_json::json!({"Name": row.name, "WordCount": row.word_count, "Sha256": row.sha256})),
            )
        })?;
        let mut out = info(&row);
        out.duplicates_removed = Some(dups);
        Ok(out)
    }

    /// Word lists: the built-in one first, then custom lists by name; or the one with this id or name.
    pub fn word_lists(&self, id_or_name: Option<&str>) -> Result<Vec<WordListInfo>> {
        self.store.read(|tx| match id_or_name {
            Some(k) => Ok(vec![find_in(tx, k)?]),
            None => {
                let mut all = vec![builtin_info()];
                all.extend(tx.word_lists(None, None)?.iter().map(info));
                Ok(all)
            }
        })
    }

    /// Removes a custom word list that no agent policy uses.
    pub fn word_list_remove(&self, id_or_name: &str) -> Result<()> {
        self.store.write(|tx| {
            let l = find_in(tx, id_or_name)?;
            if l.built_in {
                return Err(Error::new(ErrorCode::WordListBuiltIn, "The built-in word list cannot be removed."));
            }
            let users = crate::service::agent_policy::policies_using_list(tx, &l.id)?;
            if let Some(p) = users.first() {
                return Err(Error::new(ErrorCode::WordListInUse, "An agent policy uses this word list.")
                    .hint("Point the policy at another list with `ams agent-policy set`, then remove it.")
                    .with("policy_id", p));
            }
            tx.delete_word_list(&l.id)?;
            audit::record(
                self,
                tx,
                Event::success("word_list.remove", "word_list", &l.id).details(serde_json::json!({"Name": l.name})),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_is_the_eff_list() {
        let w = builtin_words();
        assert_eq!(w.len(), 7772);
        assert!(w.windows(2).all(|p| p[0] < p[1]), "sorted and distinct");
        assert!(w.iter().all(|x| x.bytes().all(|b| b.is_ascii_lowercase())));
        assert!(bits_per_word(w.len()) > 12.9);
    }
}
