//! `iscsi-init`: the userland helper of the iscsi_init initiator.
//! See `iscsi-init --help` and Documentation/helper.rst.

use clap::Parser;
use iscsi_init::cli::Cli;
use iscsi_init::commands::{error_json, run};

fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    let code = match run(cli) {
        Ok(out) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out.json).expect("JSON output")
                );
            } else {
                print!("{}", out.text);
            }
            0
        }
        Err(e) => {
            eprintln!("iscsi-init: {e}");
            if json {
                println!("{}", error_json(&e));
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}
