//! Compiles the codec sources the way the kernel module does: not as a
//! crate but as a module tree under `#[path]` (see the module list in
//! src/lib.rs). Any `crate::` path or a module missing from the list breaks
//! this build. The module list here must match lib.rs and the kernel.

#[path = "../src"]
#[allow(dead_code, unreachable_pub)]
mod codec {
    pub mod ahs;
    pub mod assembler;
    pub mod async_msg;
    pub mod bhs;
    pub mod data;
    pub mod digest;
    pub mod error;
    pub mod keys;
    pub mod login;
    pub mod logout;
    pub mod lun;
    pub mod nop;
    pub mod pdu;
    pub mod reject;
    pub mod scsi;
    pub mod serial;
    pub mod snack;
    pub mod text;
    pub mod tmf;
}

#[test]
fn module_list_matches_lib_rs() {
    let lib = include_str!("../src/lib.rs");
    let this = include_str!("module_tree.rs");
    let mods = |s: &str, prefix: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.trim().strip_prefix(prefix))
            .filter_map(|l| l.strip_suffix(';'))
            .map(str::to_owned)
            .collect()
    };
    let declared: Vec<String> = mods(lib, "pub mod ")
        .into_iter()
        .filter(|m| m != "std_crc")
        .collect();
    let documented = mods(lib, "//!     pub mod ");
    let here = mods(this, "pub mod ");
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(declared.clone()),
        sorted(documented),
        "lib.rs module list vs its doc comment"
    );
    assert_eq!(
        sorted(declared.clone()),
        sorted(here),
        "lib.rs module list vs this test"
    );
    // every file in src/ is a listed module (or lib.rs / std_crc.rs)
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let stem = name.strip_suffix(".rs").unwrap_or(&name);
        assert!(
            stem == "lib" || stem == "std_crc" || declared.iter().any(|m| m == stem),
            "src/{name} not listed"
        );
    }
}

#[test]
fn receive_path_through_module_tree() {
    let mut bhs = [0u8; 48];
    let hdr = codec::nop::NopIn {
        data_segment_length: 5,
        itt: 1,
        ttt: 0xffff_ffff,
        stat_sn: codec::serial::Sn(1),
        ..Default::default()
    };
    hdr.encode(&mut bhs).unwrap();
    let pdu = codec::pdu::Pdu::decode(&bhs).unwrap();
    let l = pdu.layout(true, true, 8192).unwrap();
    assert_eq!(l.after_bhs(), 4 + 5 + 3 + 4);
}
