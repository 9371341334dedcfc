//! `host token`: make a token for the tenants file of `host serve`, or hash one.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use wask_service::TokenHash;

use super::Failure;

/// Make a new random token and print it with its hash: give the token to the
/// tenant, and put the hash (only the hash) in the tenants file.
#[derive(Debug, clap::Args)]
pub struct TokenCommand {
    /// Read a token from stdin and print only its hash
    #[arg(long)]
    hash: bool,
}

impl TokenCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let mut stdout = std::io::stdout().lock();
        if self.hash {
            let mut token = String::new();
            std::io::stdin()
                .take(4096)
                .read_to_string(&mut token)
                .context("cannot read a token from stdin")?;
            let token = token.trim();
            if token.is_empty() {
                return Err(Failure::BadInput(anyhow::anyhow!(
                    "no token on stdin: pipe one in, as in `echo \"$TOKEN\" | host token --hash`"
                )));
            }
            writeln!(stdout, "{}", TokenHash::of(token)).map_err(Failure::io)?;
        } else {
            let token = wask_service::new_token().context("cannot draw random bytes")?;
            writeln!(stdout, "token = \"{token}\"").map_err(Failure::io)?;
            writeln!(stdout, "hash  = \"{}\"", TokenHash::of(&token)).map_err(Failure::io)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
