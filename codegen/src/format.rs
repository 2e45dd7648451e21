//! Stage 6, format: token streams become Rust source text with `prettyplease` (a locked
//! dependency, so every machine prints the same bytes), under a banner naming how to regenerate.
//!
//! Two things prettyplease does not do are done here, so that generated files read like
//! hand-written ones: every doc line becomes its own `///` line (prettyplease prints a
//! multi-line doc string as a `/** */` block), and items are separated by a blank line.

use proc_macro2::TokenStream;
use syn::visit_mut::VisitMut;

use crate::error::{Error, Result};

/// Formats `tokens` as a Rust file that starts with `banner` (one line comment per line).
pub fn rust_file(tokens: TokenStream, banner: &str, what: &str) -> Result<String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| Error::Internal(format!("generated {what} is not valid Rust: {e}")))?;
    Ok(syntax_file(file, banner))
}

/// Formats an already parsed file under `banner` (the types, which are parsed once to be
/// rewritten and not again to be printed).
pub fn syntax_file(mut file: syn::File, banner: &str) -> String {
    DocLines.visit_file_mut(&mut file);
    let body = separate_items(&prettyplease::unparse(&file));
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

/// One file holding every module inline (`pub mod types { ... }`), for `include!` at the root of
/// a crate: typify's `types`, then those of `emitted.files` named in `wanted`, then the crate
/// root's re-exports. The file has no inner attributes, which `include!` does not allow.
pub fn inline_modules(types: syn::File, emitted: crate::emit::Modules, wanted: &[&str]) -> Result<syn::File> {
    let allows = crate::emit::module_allows();
    let parse = |tokens: TokenStream, what: &str| -> Result<syn::File> {
        syn::parse2(tokens).map_err(|e| Error::Internal(format!("generated {what} is not valid Rust: {e}")))
    };
    let mut modules = vec![("types", types)];
    for (name, tokens) in emitted.files {
        if wanted.contains(&name) {
            modules.push((name, parse(tokens, name)?));
        }
    }
    // The broker clients exist only for a document with a server of their protocol.
    if let Some(missing) = wanted.iter().find(|w| !modules.iter().any(|(name, _)| name == *w)) {
        return Err(Error::Settings(format!(
            "the `{missing}` module was asked for, but no server of the document speaks its protocol"
        )));
    }
    let mut file = parse(emitted.exports, "the re-exports")?;
    let inline = modules.into_iter().map(|(name, module)| {
        let name = syn::Ident::new(name, proc_macro2::Span::call_site());
        let (attrs, items) = (module.attrs, module.items);
        let item: syn::Item = syn::parse_quote! {
            #allows
            pub mod #name {
                #(#attrs)*
                #(#items)*
            }
        };
        item
    });
    file.items.splice(0..0, inline);
    Ok(file)
}

/// Splits every `#[doc = "..."]` with several lines into one attribute per line, each starting
/// with a space (`/// text`, not `///text`).
struct DocLines;

impl DocLines {
    fn split(attrs: &mut Vec<syn::Attribute>) {
        if !attrs.iter().any(|a| doc_text(a).is_some()) {
            return;
        }
        let mut out = Vec::with_capacity(attrs.len());
        for attr in attrs.drain(..) {
            let Some(text) = doc_text(&attr) else {
                out.push(attr);
                continue;
            };
            for line in text.split('\n') {
                let line = line.trim_end();
                let line = if line.is_empty() || line.starts_with(' ') { line.to_owned() } else { format!(" {line}") };
                let mut attr = attr.clone();
                attr.meta = syn::parse_quote!(doc = #line);
                out.push(attr);
            }
        }
        *attrs = out;
    }
}

/// The text of a `#[doc = "..."]` attribute.
fn doc_text(attr: &syn::Attribute) -> Option<String> {
    let syn::Meta::NameValue(nv) = &attr.meta else { return None };
    if !nv.path.is_ident("doc") {
        return None;
    }
    match &nv.value {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
        _ => None,
    }
}

impl VisitMut for DocLines {
    fn visit_file_mut(&mut self, file: &mut syn::File) {
        DocLines::split(&mut file.attrs);
        syn::visit_mut::visit_file_mut(self, file);
    }

    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        use syn::Item;
        let attrs = match item {
            Item::Const(i) => Some(&mut i.attrs),
            Item::Enum(i) => Some(&mut i.attrs),
            Item::Fn(i) => Some(&mut i.attrs),
            Item::Impl(i) => Some(&mut i.attrs),
            Item::Macro(i) => Some(&mut i.attrs),
            Item::Mod(i) => Some(&mut i.attrs),
            Item::Static(i) => Some(&mut i.attrs),
            Item::Struct(i) => Some(&mut i.attrs),
            Item::Trait(i) => Some(&mut i.attrs),
            Item::Type(i) => Some(&mut i.attrs),
            Item::Union(i) => Some(&mut i.attrs),
            Item::Use(i) => Some(&mut i.attrs),
            _ => None,
        };
        if let Some(attrs) = attrs {
            DocLines::split(attrs);
        }
        syn::visit_mut::visit_item_mut(self, item);
    }

    fn visit_impl_item_mut(&mut self, item: &mut syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(i) => Some(&mut i.attrs),
            syn::ImplItem::Fn(i) => Some(&mut i.attrs),
            syn::ImplItem::Type(i) => Some(&mut i.attrs),
            _ => None,
        };
        if let Some(attrs) = attrs {
            DocLines::split(attrs);
        }
        syn::visit_mut::visit_impl_item_mut(self, item);
    }

    fn visit_trait_item_mut(&mut self, item: &mut syn::TraitItem) {
        let attrs = match item {
            syn::TraitItem::Const(i) => Some(&mut i.attrs),
            syn::TraitItem::Fn(i) => Some(&mut i.attrs),
            syn::TraitItem::Type(i) => Some(&mut i.attrs),
            _ => None,
        };
        if let Some(attrs) = attrs {
            DocLines::split(attrs);
        }
        syn::visit_mut::visit_trait_item_mut(self, item);
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        DocLines::split(&mut field.attrs);
        syn::visit_mut::visit_field_mut(self, field);
    }

    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        DocLines::split(&mut variant.attrs);
        syn::visit_mut::visit_variant_mut(self, variant);
    }
}

/// Whether a trimmed line begins an item (or the doc comment or attribute of one).
fn starts_item(line: &str) -> bool {
    const STARTS: &[&str] = &[
        "///",
        "#[",
        "pub ",
        "pub(",
        "fn ",
        "const fn ",
        "async fn ",
        "impl ",
        "impl<",
        "struct ",
        "enum ",
        "trait ",
        "type ",
        "const ",
        "static ",
        "mod ",
        "unsafe impl",
        "macro_rules!",
    ];
    STARTS.iter().any(|s| line.starts_with(s)) || is_runtime_macro(line)
}

/// Whether a trimmed line calls one of the runtime's item macros (`__open_enum!`,
/// `__constant!`); its functions (`__private::check_json(..)`) are statements, not items.
fn is_runtime_macro(line: &str) -> bool {
    line.strip_prefix("::asyncapi_runtime::__")
        .and_then(|rest| rest.split(['(', '{', '[']).next())
        .is_some_and(|name| name.ends_with('!') && !name.contains("::"))
}

/// Whether a trimmed line is a `use` declaration.
fn is_use(line: &str) -> bool {
    line.starts_with("use ") || line.starts_with("pub use ")
}

/// Whether a trimmed line is an inner attribute or inner doc comment (`#![...]`, `//!`).
fn is_inner(line: &str) -> bool {
    line.starts_with("#![") || line.starts_with("//!")
}

/// Puts a blank line between two items at the same depth: after a line that ends an item (a
/// closing `}` or an item ending in `;`) when the next line, at the same indentation, begins
/// another, and after the inner attributes and docs that open a file or module. Consecutive
/// `use` lines stay together.
fn separate_items(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        let Some(next) = lines.get(i + 1) else { continue };
        let (this, that) = (line.trim_start(), next.trim_start());
        if line.len() - this.len() != next.len() - that.len() || that.is_empty() {
            continue;
        }
        let comment = this.starts_with("//");
        let closes = this == "}" || (this.ends_with(';') && this.starts_with([')', ']', '}', '>']));
        let ends_item = !comment && (closes || (this.ends_with(';') && (starts_item(this) || is_use(this))));
        let starts = starts_item(that) || is_use(that);
        let blank = (is_inner(this) && !is_inner(that)) || (ends_item && starts && !(is_use(this) && is_use(that)));
        if blank {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_blocks_become_one_line_each_and_items_are_separated() {
        let tokens = quote::quote! {
            #[doc = "First line.\nSecond line."]
            pub struct A {
                #[doc = "field"]
                pub x: u8,
                pub y: u8,
            }
            impl A {
                pub fn one(&self) -> u8 { if self.x > 0 { 1 } else { 2 } }
                pub fn two(&self) -> u8 { 2 }
            }
            pub const B: u8 = 1;
            pub const C: u8 = 2;
            #[doc = "Ends with a semicolon;\nthen more."]
            pub const D: &[u8] = &[
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
            ];
            pub const E: u8 = 5;
            ::asyncapi_runtime::__constant!(E, Int);
            ::asyncapi_runtime::__open_enum!(F, Unlisted, ["a" => A]);
            pub struct G;
            fn h() -> u8 {
                ::asyncapi_runtime::__private::one();
                ::asyncapi_runtime::__private::two()
            }
        };
        let text = rust_file(tokens, "banner", "test").expect("valid");
        assert!(text.contains("/// First line.\n/// Second line.\npub struct A {"), "{text}");
        assert!(!text.contains("/**"), "{text}");
        assert!(text.contains("    /// field\n    pub x: u8,\n    pub y: u8,"), "fields stay together: {text}");
        assert!(text.contains("}\n\nimpl A {"), "{text}");
        assert!(text.contains("    }\n\n    pub fn two"), "methods are separated: {text}");
        assert!(text.contains("pub const B: u8 = 1;\n\npub const C: u8 = 2;"), "{text}");
        assert!(text.contains("} else {"), "{text}");
        assert!(text.contains("/// Ends with a semicolon;\n/// then more."), "docs are never split: {text}");
        assert!(text.contains("];\n\npub const E"), "{text}");
        assert!(
            text.contains("= 5;\n\n::asyncapi_runtime::__constant!(E, Int);\n\n::asyncapi_runtime::__open_enum!"),
            "{text}"
        );
        assert!(text.contains("]);\n\npub struct G;"), "runtime macro calls are items: {text}");
        assert!(text.contains("one();\n    ::asyncapi_runtime::__private::two()"), "runtime calls are not: {text}");
    }
}
