//! The split build (`--features split`, scripts/build-app) needs the linker's relocations in the module: the
//! splitter reads them to know which function and data each piece of code refers to.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_SPLIT").is_some()
        && std::env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32"))
    {
        println!("cargo::rustc-link-arg-bins=--emit-relocs");
    }
}
