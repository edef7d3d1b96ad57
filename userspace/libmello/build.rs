//! Makes `mello.ld` (the user-program linker script) findable by the
//! `-Tmello.ld` link argument in `userspace/.cargo/config.toml`: a link
//! search path set here applies to every binary that depends on `mello`.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rerun-if-changed=mello.ld");
    println!("cargo:rerun-if-changed=build.rs");
}
