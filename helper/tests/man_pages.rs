//! iscsi-init.toml(5) (Documentation/man/iscsi-init.toml.5, written by hand)
//! stays in step with the configuration code: its example is a valid
//! configuration, and every key of the file's tables is documented.

use iscsi_init::config::Config;

fn read(rel: &str) -> String {
    let path = format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn toml5_example_is_a_valid_configuration() {
    let page = read("Documentation/man/iscsi-init.toml.5");
    let example = &page[page.find(".SH EXAMPLE").expect("an EXAMPLE section")..];
    let start = example.find(".nf\n").expect(".nf in EXAMPLE") + 4;
    let end = example.find(".fi\n").expect(".fi in EXAMPLE");
    let text: String = example[start..end]
        .lines()
        .filter(|l| !l.starts_with('.'))
        .map(|l| format!("{l}\n"))
        .collect();
    let file = Config::parse(&text).unwrap_or_else(|e| panic!("example: {e}\n{text}"));
    assert!(
        file.targets.contains_key("db"),
        "the example's target record"
    );
}

#[test]
fn toml5_documents_every_key() {
    let page = read("Documentation/man/iscsi-init.toml.5");
    let code = read("helper/src/config.rs");
    let mut missing = Vec::new();
    let mut checked = 0;
    for table in [
        "ConfigFile",
        "Defaults",
        "DiscoverySection",
        "TargetRecord",
        "AuthSettings",
    ] {
        let start = code
            .find(&format!("pub struct {table} {{"))
            .unwrap_or_else(|| panic!("struct {table} in config.rs"));
        let body = &code[start..start + code[start..].find("\n}").expect("end of struct")];
        for line in body.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("pub ") else {
                continue;
            };
            let Some((key, _)) = rest.split_once(':') else {
                continue;
            };
            if key.contains(' ') || key == "struct" {
                continue;
            }
            // Documented as a key: ".B key", "\fBkey" or "[...key]".
            let documented = page.contains(&format!(".B {key} "))
                || page.contains(&format!("\\fB{key}"))
                || page.contains(&format!(".{key}]"))
                || page.contains(&format!("[{key}]"))
                || page.contains(&format!("[{key}."));
            checked += 1;
            if !documented {
                missing.push(format!("{table}.{key}"));
            }
        }
    }
    assert!(checked >= 25, "only {checked} keys found in config.rs");
    assert!(
        missing.is_empty(),
        "keys of config.rs not documented in iscsi-init.toml(5): {missing:?}"
    );
}
