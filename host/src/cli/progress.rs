//! Progress bars for downloads, drawn on standard error when it is a
//! terminal: the library reports progress, the command line draws it.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use wasm_plugin::fetch::{Progress, ProgressFn};

/// Downloads smaller than this get no bar.
const THRESHOLD: u64 = 1 << 20;

/// A progress callback drawing one bar per download in flight: `sync`
/// fetches several at once, each from its own thread, so each URL keeps its
/// own bar until its download is done.
pub fn bars() -> ProgressFn {
    let lines = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let bars: Mutex<HashMap<String, ProgressBar>> = Mutex::default();
    Arc::new(move |p: &Progress| {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let mut bars = bars.lock().unwrap_or_else(|e| e.into_inner());
        if p.done {
            if let Some(bar) = bars.remove(&p.url) {
                bar.finish_and_clear();
                lines.remove(&bar);
            }
            return;
        }
        if !bars.contains_key(&p.url) {
            // Small downloads, and those of unknown length until they grow.
            if p.total.unwrap_or(p.received) < THRESHOLD {
                return;
            }
            bars.insert(p.url.clone(), lines.add(bar_for(p)));
        }
        if let Some(bar) = bars.get(&p.url) {
            bar.set_position(p.received);
        }
    })
}

fn bar_for(p: &Progress) -> ProgressBar {
    let name = p.url.rsplit('/').next().unwrap_or(&p.url).to_string();
    let (bar, template) = match p.total {
        Some(total) => (
            ProgressBar::new(total),
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ),
        None => (ProgressBar::no_length(), "{msg} {bytes} {bytes_per_sec}"),
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(name);
    bar
}
