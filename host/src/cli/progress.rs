//! Progress bars for downloads, drawn on standard error when it is a
//! terminal: the library reports progress, the command line draws it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use wasm_plugin::fetch::{Progress, ProgressFn};

/// Downloads smaller than this get no bar.
const THRESHOLD: u64 = 1 << 20;

/// A progress callback drawing one bar per download in flight.
pub fn bars() -> ProgressFn {
    let current: Mutex<Option<(String, ProgressBar)>> = Mutex::new(None);
    Arc::new(move |p: &Progress| {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let mut current = current.lock().unwrap_or_else(|e| e.into_inner());
        if p.done {
            if let Some((_, bar)) = current.take() {
                bar.finish_and_clear();
            }
            return;
        }
        if current.as_ref().is_none_or(|(url, _)| *url != p.url) {
            // Small downloads, and those of unknown length until they grow.
            if p.total.unwrap_or(p.received) < THRESHOLD {
                return;
            }
            *current = Some((p.url.clone(), bar_for(p)));
        }
        if let Some((_, bar)) = current.as_ref() {
            bar.set_position(p.received);
        }
    })
}

fn bar_for(p: &Progress) -> ProgressBar {
    let name = p.url.rsplit('/').next().unwrap_or(&p.url).to_string();
    let (bar, template) = match p.total {
        Some(total) => (
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ),
        None => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            "{msg} {bytes} {bytes_per_sec}",
        ),
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(name);
    bar
}
