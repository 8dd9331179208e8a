//! The `kratos` binary: parses arguments and hands over to [`kratos_cli::run`].

use clap::Parser;

fn main() {
    let cli = kratos_cli::args::Cli::parse();
    if let Err(e) = kratos_cli::run(&cli) {
        eprintln!("kratos: error: {e}");
        std::process::exit(e.exit_code());
    }
}
