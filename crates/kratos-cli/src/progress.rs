//! Progress bars on stderr (indicatif), hidden when stderr is not a terminal or with `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Makes progress bars; all of them hidden when `quiet` or when stderr is not a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    hidden: bool,
}

impl Progress {
    /// Bars drawn unless `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        Progress {
            hidden: quiet || !std::io::stderr().is_terminal(),
        }
    }

    /// A bar of `len` steps labelled `message`.
    pub fn bar(&self, len: u64, message: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len), self.target());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>18} [{bar:32.cyan/blue}] {pos}/{len} {elapsed_precise} {prefix}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        bar
    }

    /// A spinner for a step without countable parts.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, self.target());
        bar.set_style(
            ProgressStyle::with_template("{msg:>18} {spinner} {elapsed_precise}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        if !self.hidden {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        bar
    }

    fn target(&self) -> ProgressDrawTarget {
        if self.hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        }
    }
}
