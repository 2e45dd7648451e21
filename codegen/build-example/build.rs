//! Generates the c.technology API's types, client, mock broker and fleet relay into `OUT_DIR`
//! from the spec of record; `src/lib.rs` includes them. Cargo reruns this when the spec changes.

fn main() {
    let built = asyncapi_codegen::build::Builder::new("../../spec/ctechnology-rt.asyncapi.yaml")
        .with_mock(true)
        .with_relay(true)
        .compile();
    if let Err(error) = built {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
