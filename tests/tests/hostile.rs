//! Spec text cannot hijack the generated code: a document whose descriptions, names, examples and
//! enum values try to close comments, strings and attributes (`spec/fixtures/hostile-text.yaml`)
//! generates a crate whose syntax tree contains only the items the generator means to emit.
//! (That the crate compiles and its examples round-trip is checked by its snapshot crate.)

use std::path::Path;

use asyncapi_codegen::{Settings, generate};
use syn::visit::Visit;

#[derive(Default)]
struct Items {
    names: Vec<String>,
    inner_attrs: Vec<String>,
}

impl<'ast> Visit<'ast> for Items {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let name = match item {
            syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            syn::Item::Const(c) => Some(c.ident.to_string()),
            syn::Item::Static(s) => Some(s.ident.to_string()),
            _ => None,
        };
        self.names.extend(name);
        syn::visit::visit_item(self, item);
    }
}

#[test]
fn hostile_text_stays_inside_strings_and_docs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace");
    let generated = generate(&Settings::new(root.join("spec/fixtures/hostile-text.yaml"))).expect("generates");
    for (path, text) in &generated.files {
        // The vendored runtime is the same for every document: no spec text reaches it.
        if path.extension().is_none_or(|e| e != "rs") || path.starts_with("vendor") {
            continue;
        }
        let file: syn::File = syn::parse_file(text).unwrap_or_else(|e| panic!("{}: not Rust: {e}", path.display()));
        let mut items = Items::default();
        items.visit_file(&file);
        for attr in &file.attrs {
            items
                .inner_attrs
                .push(attr.path().segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::"));
        }
        assert!(!items.names.iter().any(|n| n == "injected"), "{}: injected item in {:?}", path.display(), items.names);
        assert!(
            items.inner_attrs.iter().all(|a| matches!(a.as_str(), "doc" | "forbid" | "allow")),
            "{}: unexpected inner attribute in {:?}",
            path.display(),
            items.inner_attrs
        );
        if path.ends_with("src/lib.rs") {
            let non_doc: Vec<String> = file
                .attrs
                .iter()
                .filter(|a| !a.path().is_ident("doc"))
                .map(|a| quote::ToTokens::to_token_stream(a).to_string())
                .collect();
            assert!(non_doc.iter().any(|a| a.contains("forbid") && a.contains("unsafe_code")), "{non_doc:?}");
            assert!(!non_doc.iter().any(|a| a.contains("allow") && a.contains("unsafe_code")), "{non_doc:?}");
        }
    }
    // The hostile names survive on the wire: serde renames keep them exactly.
    let types = &generated.files[Path::new("src/types.rs")];
    assert!(types.contains(r#"rename = "*/""#) || types.contains(r#""*/""#), "enum value `*/` is kept");
    assert!(types.contains(r#"rename = "123""#), "property `123` is kept");
}
