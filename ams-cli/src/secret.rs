//! Reading secrets: from stdin when it is not a terminal, else from a prompt without echo.
//! Secrets never come from argv.

use std::io::{IsTerminal, Read};

use ams_core::{Error, ErrorCode, Result};
use zeroize::Zeroizing;

/// Reads one secret. `what` names it in prompts and errors; `confirm` asks twice at a prompt.
pub fn read_secret(what: &str, confirm: bool) -> Result<Zeroizing<Vec<u8>>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = Zeroizing::new(rpassword::prompt_password(format!("{what}: ")).map_err(|_| missing(what))?);
        if confirm {
            let again =
                Zeroizing::new(rpassword::prompt_password(format!("Repeat {what}: ")).map_err(|_| missing(what))?);
            if *again != *first {
                return Err(Error::new(ErrorCode::InvalidRequest, format!("The two entries of the {what} differ.")));
            }
        }
        let v = Zeroizing::new(first.as_bytes().to_vec());
        if v.is_empty() {
            return Err(missing(what));
        }
        return Ok(v);
    }
    let mut buf = Zeroizing::new(Vec::new());
    stdin.lock().read_to_end(&mut buf).map_err(|_| missing(what))?;
    Ok(Zeroizing::new(strip_line_end(&buf).ok_or_else(|| missing(what))?.to_vec()))
}

/// Drops one trailing `\n` or `\r\n`; `None` when nothing is left.
pub fn strip_line_end(buf: &[u8]) -> Option<&[u8]> {
    let b = buf.strip_suffix(b"\n").unwrap_or(buf);
    let b = b.strip_suffix(b"\r").unwrap_or(b);
    (!b.is_empty()).then_some(b)
}

fn missing(what: &str) -> Error {
    Error::new(ErrorCode::SecretInputMissing, format!("No {what} was given."))
        .hint(format!("Pipe the {what} on stdin or run the command at a terminal to be prompted; secrets are never taken from the command line."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_are_stripped_once() {
        assert_eq!(strip_line_end(b"pw\n").unwrap(), b"pw");
        assert_eq!(strip_line_end(b"pw\r\n").unwrap(), b"pw");
        assert_eq!(strip_line_end(b"pw\n\n").unwrap(), b"pw\n");
        assert!(strip_line_end(b"\n").is_none());
        assert!(strip_line_end(b"").is_none());
    }
}
