//! The `kratos` binary: parses arguments and hands over to `kratos_cli::commands`.

use clap::Parser;
use kratos_cli::args::{Cli, Command};
use kratos_cli::commands;

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Demo(a) => commands::demo(a, cli.quiet),
        Command::Run(a) => commands::run(a, cli.quiet),
        Command::Evaluate(a) => commands::evaluate(a, cli.quiet),
        Command::Simulate(a) => commands::simulate_cmd(a),
    };
    if let Err(e) = result {
        eprintln!("kratos: {e}");
        std::process::exit(e.exit_code());
    }
}
