//! Stage 6, format: token streams become Rust source text with `prettyplease` (a locked
//! dependency, so every machine prints the same bytes), under a banner naming how to regenerate.

use proc_macro2::TokenStream;

use crate::error::{Error, Result};

/// Formats `tokens` as a Rust file that starts with `banner` (one line comment per line).
pub fn rust_file(tokens: TokenStream, banner: &str, what: &str) -> Result<String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| Error::Internal(format!("generated {what} is not valid Rust: {e}")))?;
    Ok(syntax_file(&file, banner))
}

/// Formats an already parsed file under `banner` (the types, which are parsed once to be
/// rewritten and not again to be printed).
pub fn syntax_file(file: &syn::File, banner: &str) -> String {
    let body = prettyplease::unparse(file);
    let mut out = String::with_capacity(body.len() + banner.len() + 8);
    for line in banner.lines() {
        out.push_str("// ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&body);
    out
}
