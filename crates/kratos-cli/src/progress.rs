//! Progress bars on stderr (indicatif), hidden when stderr is not a terminal or with `--quiet`:
//! the terminal's side of [`kratos::Progress`].

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::note;

/// One bar per stage of the library's work, with the time left; all hidden when `quiet` or
/// when stderr is not a terminal.
#[derive(Debug)]
pub struct Bars {
    hidden: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars drawn unless `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        Bars {
            hidden: quiet || !std::io::stderr().is_terminal(),
            current: Mutex::new(None),
        }
    }

    fn target(&self) -> ProgressDrawTarget {
        if self.hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(guard) = self.current.lock()
            && let Some(bar) = guard.as_ref()
        {
            f(bar);
        }
    }
}

impl kratos::Progress for Bars {
    fn start(&self, stage: &str, total: u64) {
        let bar = if total > 0 {
            let bar = ProgressBar::with_draw_target(Some(total), self.target());
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:>18} [{bar:32.cyan/blue}] {pos}/{len} {elapsed_precise} (ETA {eta}) {prefix}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        } else {
            let bar = ProgressBar::with_draw_target(None, self.target());
            bar.set_style(
                ProgressStyle::with_template("{msg:>18} {spinner} {elapsed_precise} {prefix}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            if !self.hidden {
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            bar
        };
        bar.set_message(stage.to_string());
        if let Ok(mut guard) = self.current.lock() {
            if let Some(old) = guard.take() {
                old.finish_and_clear();
            }
            *guard = Some(bar);
        }
    }

    fn detail(&self, text: &str) {
        self.with_bar(|bar| bar.set_prefix(text.to_string()));
    }

    fn advance(&self, steps: u64) {
        self.with_bar(|bar| bar.inc(steps));
    }

    fn finish(&self) {
        if let Ok(mut guard) = self.current.lock()
            && let Some(bar) = guard.take()
        {
            bar.finish_and_clear();
        }
    }

    fn note(&self, text: &str) {
        match self.current.lock().ok().and_then(|g| g.clone()) {
            Some(bar) => bar.suspend(|| note(text)),
            None => note(text),
        }
    }
}
