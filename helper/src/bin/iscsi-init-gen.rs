//! `iscsi-init-gen`: writes the manual pages and the shell completions of
//! `iscsi-init` from its clap definitions (`iscsi_init::cli::Cli`), so they
//! cannot drift from the command line. Used by `make man completions install`
//! and the packaging scripts; not installed.
//!
//! ```text
//! iscsi-init-gen man DIR          iscsi-init.8 and iscsi-init-COMMAND.8
//! iscsi-init-gen completions DIR  iscsi-init.bash, _iscsi-init (zsh), iscsi-init.fish
//! ```
//!
//! The configuration file's page, iscsi-init.toml(5), is written by hand
//! (Documentation/man/iscsi-init.toml.5).

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::Path;
use std::process::ExitCode;

use clap::{Command, CommandFactory};
use clap_complete::Shell;
use clap_mangen::Man;
use iscsi_init::cli::Cli;
use iscsi_init::config::DEFAULT_CONFIG_PATH;

const BIN: &str = "iscsi-init";
const USAGE: &str = "usage: iscsi-init-gen man DIR | completions DIR";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [what, dir] if what == "man" => man(Path::new(dir)),
        [what, dir] if what == "completions" => completions(Path::new(dir)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("iscsi-init-gen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The sections clap does not know about, appended to every page.
fn see_also(main_page: bool) -> String {
    let mut s = String::new();
    if main_page {
        s.push_str(&format!(
            ".SH FILES\n\
             .TP\n\\fI{DEFAULT_CONFIG_PATH}\\fR\n\
             The configuration file (see \\fBiscsi-init.toml\\fR(5)); \\fB--config\\fR or \\fBISCSI_INIT_CONFIG\\fR name another.\n\
             .TP\n\\fI/etc/iscsi/initiatorname.iscsi\\fR\n\
             open-iscsi's initiator name, used when present.\n\
             .TP\n\\fI/dev/iscsi_init\\fR\n\
             The control device of the iscsi_init kernel module.\n"
        ));
    }
    s.push_str(
        ".SH \"SEE ALSO\"\n\
         \\fBiscsi-init\\fR(8), \\fBiscsi-init.toml\\fR(5), \\fBiscsiadm\\fR(8); \
         Documentation/helper.rst in the source tree.\n",
    );
    s
}

fn man(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    // As clap_mangen::generate_to, but in section 8 (administration).
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    write_pages(&cmd, dir, true)
}

/// `cmd`'s page and those of its visible subcommands, `NAME.8` each.
fn write_pages(cmd: &Command, dir: &Path, main_page: bool) -> io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, false)?;
    }
    let man = Man::new(cmd.clone())
        .section("8")
        .date(page_date())
        .manual("System Administration")
        .source(format!("iscsi-init {}", env!("CARGO_PKG_VERSION")));
    let path = dir.join(man.get_filename());
    let mut f = File::create(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    man.render(&mut f)?;
    f.write_all(see_also(main_page).as_bytes())?;
    println!("{}", path.display());
    Ok(())
}

/// The pages' date, YYYY-MM-DD: from SOURCE_DATE_EPOCH when set (reproducible
/// builds), else today (UTC).
fn page_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn completions(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut cmd = Cli::command();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let path = clap_complete::generate_to(shell, &mut cmd, BIN, dir)?;
        println!("{}", path.display());
    }
    Ok(())
}
